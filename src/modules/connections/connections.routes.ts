import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import type { Operation } from '../../http/openapi.js';
import { parseWith } from '../../http/validate.js';
import type { ConnectorContextFactory } from '../../jobs/context.js';
import type { JobQueue } from '../../jobs/queue.js';
import { backfillView, createConnectionBody, updateConnectionBody, verifyQuery, type ConnectionsService } from './connections.service.js';
import {
  backfillListResponse,
  backfillResponse,
  backfillStarted,
  connectionListResponse,
  connectionResponse,
  eventListResponse,
  reprocessResponse,
} from './connections.schemas.js';

const idParams = z.object({ id: z.string().max(100) });
const eventParams = z.object({ id: z.string().max(100), eventId: z.string().max(100) });
const eventsQuery = z
  .object({
    status: z.enum(['pending', 'processed', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
const backfillBody = z
  .object({ from: z.iso.datetime({ offset: true }).or(z.iso.date()), to: z.iso.datetime({ offset: true }).or(z.iso.date()) })
  .strict()
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: 'from must be before to', path: ['to'] });

export function connectionRoutes(service: ConnectionsService, queue: JobQueue, context: ConnectorContextFactory): Router {
  const router = Router();

  router.post('/v1/connections', async (req, res) => {
    const body = parseWith(createConnectionBody, req.body);
    const { verify } = parseWith(verifyQuery, req.query, 'query');
    const row = await service.create(tenantOf(req).id, body, verify === 'true' ? context : null);
    res.status(201).json(service.view(row));
  });

  router.get('/v1/connections', async (req, res) => {
    res.json({ data: (await service.list(tenantOf(req).id)).map((c) => service.view(c)) });
  });

  router.get('/v1/connections/:id', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    res.json(service.view(await service.get(tenantOf(req).id, id)));
  });

  router.patch('/v1/connections/:id', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    const body = parseWith(updateConnectionBody, req.body);
    const { verify } = parseWith(verifyQuery, req.query, 'query');
    res.json(service.view(await service.update(tenantOf(req).id, id, body, verify === 'true' ? context : null)));
  });

  router.delete('/v1/connections/:id', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    await service.remove(tenantOf(req).id, id);
    res.status(204).end();
  });

  /** Check now (the worker also checks every CONNECTION_CHECK_MINUTES). */
  router.post('/v1/connections/:id/check', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    const row = await service.get(tenantOf(req).id, id);
    res.json(service.view(await service.check(row, context)));
  });

  router.get('/v1/connections/:id/events', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    const q = parseWith(eventsQuery, req.query, 'query');
    res.json({ data: await service.listEvents(tenantOf(req).id, id, q) });
  });

  router.post('/v1/connections/:id/events/:eventId/reprocess', async (req, res) => {
    const { id, eventId } = parseWith(eventParams, req.params, 'params');
    const eventIdReset = await service.resetEvent(tenantOf(req).id, id, eventId);
    // A unique job id per request: the previous job for this event may still be kept as failed.
    await queue.enqueue('process-event', { eventIds: [eventIdReset] }, { jobId: `${eventIdReset}-r${Date.now()}` });
    res.status(202).json({ eventId: eventIdReset, status: 'pending' });
  });

  router.post('/v1/connections/:id/backfill', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    const body = parseWith(backfillBody, req.body);
    const b = await service.createBackfill(tenantOf(req).id, id, { from: new Date(body.from), to: new Date(body.to) });
    await queue.enqueue('backfill', { backfillId: b.id }, { jobId: b.id, priority: await service.backfillPriority(b.tenantId) });
    res.status(202).json({ jobId: b.id, status: b.status });
  });

  router.get('/v1/connections/:id/backfills', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    res.json({ data: (await service.listBackfills(tenantOf(req).id, id)).map(backfillView) });
  });

  router.get('/v1/backfills/:id', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    res.json(backfillView(await service.getBackfill(tenantOf(req).id, id)));
  });

  return router;
}

export const connectionOperations: Operation[] = [
  { method: 'post', path: '/v1/connections', operationId: 'createConnection', tag: 'connections', auth: 'tenant', summary: 'Connect a telephony account; returns the webhook URL to give the provider (?verify=true asks the provider first)', body: createConnectionBody, query: verifyQuery, response: connectionResponse },
  { method: 'get', path: '/v1/connections', operationId: 'listConnections', tag: 'connections', auth: 'tenant', summary: 'Connections with their health', response: connectionListResponse },
  { method: 'get', path: '/v1/connections/:id', operationId: 'getConnection', tag: 'connections', auth: 'tenant', summary: 'One connection (credentials are never returned)', response: connectionResponse },
  { method: 'patch', path: '/v1/connections/:id', operationId: 'updateConnection', tag: 'connections', auth: 'tenant', summary: 'Rename, rotate or complete credentials (same id and webhook URL)', body: updateConnectionBody, query: verifyQuery, response: connectionResponse },
  { method: 'delete', path: '/v1/connections/:id', operationId: 'deleteConnection', tag: 'connections', auth: 'tenant', summary: 'Delete a connection (its calls stay)', status: 204 },
  { method: 'post', path: '/v1/connections/:id/check', operationId: 'checkConnection', tag: 'connections', auth: 'tenant', summary: "Ask the provider about the connection's credentials and webhooks now (renews what expires)", status: 200, response: connectionResponse },
  { method: 'get', path: '/v1/connections/:id/events', operationId: 'listConnectionEvents', tag: 'connections', auth: 'tenant', summary: 'Stored webhook deliveries (e.g. status=failed)', query: eventsQuery, response: eventListResponse },
  { method: 'post', path: '/v1/connections/:id/events/:eventId/reprocess', operationId: 'reprocessConnectionEvent', tag: 'connections', auth: 'tenant', summary: 'Process a stored delivery again', status: 202, response: reprocessResponse },
  { method: 'post', path: '/v1/connections/:id/backfill', operationId: 'startBackfill', tag: 'connections', auth: 'tenant', summary: "Import historical calls through the provider's REST API", body: backfillBody, status: 202, response: backfillStarted },
  { method: 'get', path: '/v1/connections/:id/backfills', operationId: 'listConnectionBackfills', tag: 'connections', auth: 'tenant', summary: 'Backfill and reconciliation runs of a connection', response: backfillListResponse },
  { method: 'get', path: '/v1/backfills/:id', operationId: 'getBackfill', tag: 'connections', auth: 'tenant', summary: 'Progress of a backfill job', response: backfillResponse },
];
