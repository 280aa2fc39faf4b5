import { z } from 'zod';
import { Router } from 'express';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import type { Operation } from '../../http/openapi.js';
import { parseWith } from '../../http/validate.js';
import { recordsCsv, sendCsv, wantsCsv } from '../../http/csv.js';
import { alertsQuery, alertView, computeAlerts, listStoredAlerts } from './alerts.service.js';

export function alertRoutes(db: Database): Router {
  const router = Router();
  router.get('/v1/alerts', async (req, res) => {
    const q = parseWith(alertsQuery, req.query, 'query');
    const data = q.status ? await listStoredAlerts(db, tenantOf(req).id, q.status) : (await computeAlerts(db, tenantOf(req), q)).map(alertView);
    if (wantsCsv(req)) {
      sendCsv(res, `callroi-alerts${q.status ? `-${q.status}` : ''}.csv`, recordsCsv(data));
      return;
    }
    res.json({ data });
  });
  return router;
}

export const alertOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/alerts',
    operationId: 'listAlerts',
    tag: 'alerts',
    auth: 'tenant',
    summary: 'Anomalies: each day against its trailing 14-day baseline; with status=open|resolved|all, the alerts raised so far (days, the current hour and day so far, target breaches) with their lifecycle',
    query: alertsQuery,
    response: z.object({
      data: z.array(
        z.object({
          id: z.string(),
          type: z.string(),
          day: z.string(),
          value: z.number(),
          baseline: z.object({ mean: z.number(), stddev: z.number(), days: z.number().int() }),
          message: z.string(),
        }),
      ),
    }),
  },
];
