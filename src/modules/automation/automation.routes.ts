import { Router } from 'express';
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import { createEndpointBody, endpointListResponse, endpointResponse } from './automation.schemas.js';
import type { AutomationService } from './automation.service.js';

const idParam = z.object({ id: z.string() });

export function automationRoutes(service: AutomationService): Router {
  const router = Router();
  router.post('/v1/automation-endpoints', async (req, res) => {
    res.status(201).json(await service.create(tenantOf(req), parseWith(createEndpointBody, req.body)));
  });
  router.get('/v1/automation-endpoints', async (req, res) => {
    res.json({ data: await service.list(tenantOf(req)) });
  });
  router.delete('/v1/automation-endpoints/:id', async (req, res) => {
    const { id } = parseWith(idParam, req.params, 'params');
    if (!isUuid(id)) throw new NotFoundError('Automation endpoint');
    await service.remove(tenantOf(req), id);
    res.status(204).end();
  });
  return router;
}

export const automationOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/automation-endpoints',
    operationId: 'createAutomationEndpoint',
    tag: 'automation',
    auth: 'tenant',
    summary: 'Mark a number and/or queue as answered by automation (IVR, bot): its inbound calls that reach no agent are self_served, those that reach one are escalated',
    body: createEndpointBody,
    response: endpointResponse,
  },
  { method: 'get', path: '/v1/automation-endpoints', operationId: 'listAutomationEndpoints', tag: 'automation', auth: 'tenant', summary: 'The automation endpoints', response: endpointListResponse },
  { method: 'delete', path: '/v1/automation-endpoints/:id', operationId: 'deleteAutomationEndpoint', tag: 'automation', auth: 'tenant', status: 204, summary: 'Remove an automation endpoint (its calls are recomputed)' },
];
