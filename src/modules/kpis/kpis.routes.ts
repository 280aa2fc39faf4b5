import { Router } from 'express';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { kpisQuery } from './kpis.schemas.js';
import { computeKpis } from './kpis.service.js';

export function kpiRoutes(db: Database): Router {
  const router = Router();
  router.get('/v1/kpis', async (req, res) => {
    const query = parseWith(kpisQuery, req.query, 'query');
    res.json(await computeKpis(db, tenantOf(req), query));
  });
  return router;
}
