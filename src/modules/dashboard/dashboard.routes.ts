/**
 * GET /dashboard: the ops page (Overview, KPIs, ROI, Alerts, Connections, Get started). Static
 * files: the browser calls the tenant API itself with the key the user types, kept in the tab's
 * sessionStorage, so the page needs no auth and no server of its own. uPlot is served from
 * node_modules, like Swagger UI: nothing comes from a CDN, the page works offline.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { Operation } from '../../http/openapi.js';
import { z } from 'zod';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
// Scripts and styles from this origin only; uPlot and the page set element styles from script.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'";

export function dashboardRoutes(): Router {
  const router = Router();
  const headers = (res: express.Response) => {
    res.set('content-security-policy', CSP);
    res.set('referrer-policy', 'no-referrer');
    res.set('cache-control', 'no-cache');
  };
  router.get('/dashboard', (_req, res) => {
    headers(res);
    res.sendFile(join(publicDir, 'index.html'));
  });
  router.use('/dashboard/assets', express.static(uplotDir, { index: false, setHeaders: headers }));
  router.use('/dashboard', express.static(publicDir, { index: false, setHeaders: headers }));
  return router;
}

export const dashboardOperations: Operation[] = [
  { method: 'get', path: '/dashboard', operationId: 'dashboard', tag: 'dashboard', auth: 'none', summary: 'Ops dashboard: overview tiles, KPI and ROI charts and tables, alerts, connections, getting started (asks for the API key in the browser)', response: z.string(), contentType: 'text/html' },
];
