import { Router } from 'express';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { recordsCsv, sendCsv, wantsCsv } from '../../http/csv.js';
import { kpisQuery } from './kpis.schemas.js';
import { computeKpis } from './kpis.service.js';
import { listTargets, withTargets } from '../targets/index.js';

export function kpiRoutes(db: Database): Router {
  const router = Router();
  router.get('/v1/kpis', async (req, res) => {
    const query = parseWith(kpisQuery, req.query, 'query');
    const tenant = tenantOf(req);
    const [answer, targets] = await Promise.all([computeKpis(db, tenant, query), listTargets(db, tenant.id)]);
    const filters = { campaignId: query.campaignId, agentId: query.agentId, queue: query.queue };
    const body = withTargets(targets, { groupBy: query.groupBy, filters }, answer);
    if (wantsCsv(req)) {
      // The rows then the total, every field of the JSON as a column (the first says which).
      sendCsv(res, `callroi-kpis-${query.groupBy}.csv`, recordsCsv([...body.rows.map((r) => ({ row: 'row', ...r })), { row: 'total', ...body.total }]));
      return;
    }
    res.json(body);
  });
  return router;
}
