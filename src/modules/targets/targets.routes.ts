import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import type { Operation } from '../../http/openapi.js';
import { parseWith } from '../../http/validate.js';
import { isUuid } from '../../lib/ids.js';
import { NotFoundError } from '../../lib/errors.js';
import { createTargetBody, patchTargetBody, targetView } from './targets.schemas.js';
import { targetView as viewOf, type TargetsService } from './targets.service.js';

function targetId(params: unknown): string {
  const { id } = parseWith(z.object({ id: z.string() }), params, 'params');
  if (!isUuid(id)) throw new NotFoundError('Target');
  return id;
}

export function targetRoutes(service: TargetsService): Router {
  const router = Router();
  router.post('/v1/targets', async (req, res) => {
    res.status(201).json(await service.create(tenantOf(req).id, parseWith(createTargetBody, req.body)));
  });
  router.get('/v1/targets', async (req, res) => {
    res.json({ data: await service.list(tenantOf(req).id) });
  });
  router.get('/v1/targets/:id', async (req, res) => {
    res.json(viewOf(await service.get(tenantOf(req).id, targetId(req.params))));
  });
  router.patch('/v1/targets/:id', async (req, res) => {
    res.json(await service.update(tenantOf(req).id, targetId(req.params), parseWith(patchTargetBody, req.body)));
  });
  router.delete('/v1/targets/:id', async (req, res) => {
    await service.remove(tenantOf(req).id, targetId(req.params));
    res.status(204).end();
  });
  return router;
}

export const targetOperations: Operation[] = [
  { method: 'post', path: '/v1/targets', operationId: 'createTarget', tag: 'targets', auth: 'tenant', summary: 'Create a target (a KPI, a comparison, a value; optional scope, period, notify)', body: createTargetBody, response: targetView },
  { method: 'get', path: '/v1/targets', operationId: 'listTargets', tag: 'targets', auth: 'tenant', summary: "The tenant's targets (a new tenant starts with NPS ≥ 70, CSAT ≥ 0.85, service level ≥ 0.80)", response: z.object({ data: z.array(targetView) }) },
  { method: 'get', path: '/v1/targets/:id', operationId: 'getTarget', tag: 'targets', auth: 'tenant', summary: 'One target', response: targetView },
  { method: 'patch', path: '/v1/targets/:id', operationId: 'updateTarget', tag: 'targets', auth: 'tenant', summary: 'Change a target (turn notify on to get alerts on a breach)', body: patchTargetBody, response: targetView },
  { method: 'delete', path: '/v1/targets/:id', operationId: 'deleteTarget', tag: 'targets', auth: 'tenant', summary: 'Delete a target', status: 204 },
];
