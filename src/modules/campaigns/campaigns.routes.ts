import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { NotFoundError } from '../../lib/errors.js';
import { createCampaignBody, listCampaignsQuery, patchCampaignBody } from './campaigns.schemas.js';
import type { CampaignsService } from './campaigns.service.js';
import { isUuid } from '../../lib/ids.js';

const idParam = z.object({ id: z.string() });

/** A malformed id answers like an unknown one (and like another tenant's). */
function campaignId(params: unknown): string {
  const { id } = parseWith(idParam, params, 'params');
  if (!isUuid(id)) throw new NotFoundError('Campaign');
  return id;
}

export function campaignRoutes(service: CampaignsService): Router {
  const router = Router();
  router.post('/v1/campaigns', async (req, res) => {
    res.status(201).json(await service.create(tenantOf(req), parseWith(createCampaignBody, req.body)));
  });
  router.get('/v1/campaigns', async (req, res) => {
    res.json({ data: await service.list(tenantOf(req), parseWith(listCampaignsQuery, req.query, 'query')) });
  });
  router.get('/v1/campaigns/:id', async (req, res) => {
    res.json(await service.get(tenantOf(req), campaignId(req.params)));
  });
  router.patch('/v1/campaigns/:id', async (req, res) => {
    res.json(await service.update(tenantOf(req), campaignId(req.params), parseWith(patchCampaignBody, req.body)));
  });
  router.delete('/v1/campaigns/:id', async (req, res) => {
    await service.remove(tenantOf(req), campaignId(req.params));
    res.status(204).end();
  });
  return router;
}
