import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import type { Operation } from '../../http/openapi.js';
import { parseWith } from '../../http/validate.js';
import { isUuid } from '../../lib/ids.js';
import { NotFoundError } from '../../lib/errors.js';
import { createInitiativeBody, impactView, initiativeView, patchInitiativeBody } from './initiatives.schemas.js';
import { initiativeView as viewOf, type InitiativesService } from './initiatives.service.js';

function initiativeId(params: unknown): string {
  const { id } = parseWith(z.object({ id: z.string() }), params, 'params');
  if (!isUuid(id)) throw new NotFoundError('Initiative');
  return id;
}

export function initiativeRoutes(service: InitiativesService): Router {
  const router = Router();
  router.post('/v1/initiatives', async (req, res) => {
    res.status(201).json(await service.create(tenantOf(req), parseWith(createInitiativeBody, req.body)));
  });
  router.get('/v1/initiatives', async (req, res) => {
    res.json({ data: await service.list(tenantOf(req).id) });
  });
  router.get('/v1/initiatives/:id', async (req, res) => {
    res.json(viewOf(await service.get(tenantOf(req).id, initiativeId(req.params))));
  });
  router.get('/v1/initiatives/:id/impact', async (req, res) => {
    res.json(await service.impact(tenantOf(req), initiativeId(req.params)));
  });
  router.patch('/v1/initiatives/:id', async (req, res) => {
    res.json(await service.update(tenantOf(req), initiativeId(req.params), parseWith(patchInitiativeBody, req.body)));
  });
  router.delete('/v1/initiatives/:id', async (req, res) => {
    await service.remove(tenantOf(req).id, initiativeId(req.params));
    res.status(204).end();
  });
  return router;
}

export const initiativeOperations: Operation[] = [
  { method: 'post', path: '/v1/initiatives', operationId: 'createInitiative', tag: 'initiatives', auth: 'tenant', summary: 'Record an initiative: a KPI, the change expected and the days it needs to show', body: createInitiativeBody, response: initiativeView },
  { method: 'get', path: '/v1/initiatives', operationId: 'listInitiatives', tag: 'initiatives', auth: 'tenant', summary: "The tenant's initiatives", response: z.object({ data: z.array(initiativeView) }) },
  { method: 'get', path: '/v1/initiatives/:id', operationId: 'getInitiative', tag: 'initiatives', auth: 'tenant', summary: 'One initiative', response: initiativeView },
  {
    method: 'get',
    path: '/v1/initiatives/:id/impact',
    operationId: 'getInitiativeImpact',
    tag: 'initiatives',
    auth: 'tenant',
    summary: 'Measured impact: before and after windows, the change, its 95 % interval and a verdict',
    response: impactView,
  },
  { method: 'patch', path: '/v1/initiatives/:id', operationId: 'updateInitiative', tag: 'initiatives', auth: 'tenant', summary: 'Change an initiative', body: patchInitiativeBody, response: initiativeView },
  { method: 'delete', path: '/v1/initiatives/:id', operationId: 'deleteInitiative', tag: 'initiatives', auth: 'tenant', summary: 'Delete an initiative', status: 204 },
];
