import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { NotFoundError } from '../../lib/errors.js';
import { bulkBody } from '../../http/bulk.js';
import { listCostsQuery } from './costs.schemas.js';
import type { CostsService } from './costs.service.js';
import { isUuid } from '../../lib/ids.js';

const costsBody = bulkBody('costs');
const idParam = z.object({ id: z.string() });

export function costRoutes(service: CostsService): Router {
  const router = Router();
  router.post('/v1/costs', async (req, res) => {
    const { costs } = parseWith(costsBody, req.body);
    res.json(await service.upsert(tenantOf(req), costs));
  });
  router.get('/v1/costs', async (req, res) => {
    res.json({ data: await service.list(tenantOf(req), parseWith(listCostsQuery, req.query, 'query')) });
  });
  router.delete('/v1/costs/:id', async (req, res) => {
    const { id } = parseWith(idParam, req.params, 'params');
    if (!isUuid(id)) throw new NotFoundError('Cost');
    await service.remove(tenantOf(req), id);
    res.status(204).end();
  });
  return router;
}
