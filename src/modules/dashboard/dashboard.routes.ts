/**
 * GET /dashboard: a page for ops teams (KPI trends, ROI by campaign, alerts). It is static; the
 * browser calls the tenant API with the key the user types, so the page itself needs no auth.
 */
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import type { Operation } from '../../http/openapi.js';
import { z } from 'zod';

const html = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');
const script = readFileSync(new URL('./dashboard.js', import.meta.url), 'utf8');
const CSP = "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

export function dashboardRoutes(): Router {
  const router = Router();
  router.get('/dashboard', (_req, res) => {
    res.set('content-security-policy', CSP).type('html').send(html);
  });
  router.get('/dashboard/app.js', (_req, res) => {
    res.set('content-security-policy', CSP).type('application/javascript').send(script);
  });
  return router;
}

export const dashboardOperations: Operation[] = [
  { method: 'get', path: '/dashboard', operationId: 'dashboard', tag: 'dashboard', auth: 'none', summary: 'Ops dashboard: KPI trends, ROI by campaign, alerts (asks for the API key in the browser)', response: z.string(), contentType: 'text/html' },
];
