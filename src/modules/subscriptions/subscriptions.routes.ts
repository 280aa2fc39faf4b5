import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import type { Operation } from '../../http/openapi.js';
import { parseWith } from '../../http/validate.js';
import { createSubscriptionBody, subscriptionView, type SubscriptionsService } from './subscriptions.service.js';

const idParams = z.object({ id: z.string().max(100) });
const logQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

export function subscriptionRoutes(service: SubscriptionsService): Router {
  const router = Router();
  router.post('/v1/subscriptions', async (req, res) => {
    const body = parseWith(createSubscriptionBody, req.body);
    res.status(201).json(await service.create(tenantOf(req).id, body));
  });
  router.get('/v1/subscriptions', async (req, res) => {
    res.json({ data: await service.list(tenantOf(req).id) });
  });
  router.get('/v1/subscriptions/:id', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    res.json(subscriptionView(await service.get(tenantOf(req).id, id)));
  });
  router.delete('/v1/subscriptions/:id', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    await service.remove(tenantOf(req).id, id);
    res.status(204).end();
  });
  router.post('/v1/subscriptions/:id/resume', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    res.json(subscriptionView(await service.resume(tenantOf(req).id, id)));
  });
  router.get('/v1/subscriptions/:id/deliveries', async (req, res) => {
    const { id } = parseWith(idParams, req.params, 'params');
    const { limit } = parseWith(logQuery, req.query, 'query');
    res.json({ data: await service.deliveryLog(tenantOf(req).id, id, limit) });
  });
  return router;
}

const subscriptionResponse = z.object({ id: z.uuid(), url: z.string(), events: z.array(z.string()), createdAt: z.string() });
const deliveryLogResponse = z.object({
  data: z.array(
    z.object({
      id: z.uuid(),
      eventType: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      lastStatusCode: z.number().int().nullable(),
      lastError: z.string().nullable(),
      nextAttemptAt: z.string().nullable(),
      deliveredAt: z.string().nullable(),
      createdAt: z.string(),
      payload: z.unknown(),
    }),
  ),
});

export const subscriptionOperations: Operation[] = [
  { method: 'post', path: '/v1/subscriptions', operationId: 'createSubscription', tag: 'subscriptions', auth: 'tenant', summary: 'Subscribe a URL to call.enriched, deal.attributed, alert.raised, alert.resolved or report.ready; the signing secret is shown once', body: createSubscriptionBody, response: subscriptionResponse.extend({ secret: z.string().describe('shown once: verifies the Standard Webhooks signatures') }) },
  { method: 'get', path: '/v1/subscriptions', operationId: 'listSubscriptions', tag: 'subscriptions', auth: 'tenant', summary: 'Subscriptions', response: z.object({ data: z.array(subscriptionResponse) }) },
  { method: 'get', path: '/v1/subscriptions/:id', operationId: 'getSubscription', tag: 'subscriptions', auth: 'tenant', summary: 'One subscription', response: subscriptionResponse },
  { method: 'delete', path: '/v1/subscriptions/:id', operationId: 'deleteSubscription', tag: 'subscriptions', auth: 'tenant', summary: 'Stop deliveries', status: 204 },
  { method: 'post', path: '/v1/subscriptions/:id/resume', operationId: 'resumeSubscription', tag: 'subscriptions', auth: 'tenant', status: 200, summary: 'Deliver again to an endpoint paused after repeated failures (its waiting deliveries are due at once)', response: subscriptionResponse },
  { method: 'get', path: '/v1/subscriptions/:id/deliveries', operationId: 'listSubscriptionDeliveries', tag: 'subscriptions', auth: 'tenant', summary: 'Delivery log: every event, its attempts, last status and error', query: logQuery, response: deliveryLogResponse },
];
