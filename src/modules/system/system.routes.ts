import { Router } from 'express';
import { and, count, eq, inArray } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { backfills, webhookEvents } from '../../db/schema/index.js';
import { isAdmin, tenantOf } from '../../http/auth.js';
import { metricsContentType, metricsText } from '../../lib/metrics.js';
import { scrapeGauges } from './gauges.js';
import type { Operation } from '../../http/openapi.js';
import { z } from 'zod';

export function healthRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const check = async (fn: () => Promise<void>) => {
      try {
        await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
        return 'ok';
      } catch (err) {
        return `unavailable: ${(err as Error).message}`;
      }
    };
    const [database, queue] = await Promise.all([check(() => deps.database.ping()), check(() => deps.queue.ping())]);
    const ok = database === 'ok' && queue === 'ok';
    const status = ok ? 'ok' : 'unavailable';
    // The reasons name internal addresses ("connect ECONNREFUSED 10.0.3.7:5432"): operators only.
    if (!isAdmin(req, deps.adminToken)) {
      res.status(ok ? 200 : 503).json({ status });
      return;
    }
    res.status(ok ? 200 : 503).json({ status, database, queue, queueKind: deps.queue.kind });
  });
  const refreshGauges = scrapeGauges({ db: deps.database.db, queue: deps.queue });
  router.get('/metrics', async (_req, res) => {
    await refreshGauges();
    res.set('content-type', metricsContentType).send(await metricsText());
  });
  return router;
}

/** GET /v1/status: what is still in flight for this tenant, so a client can wait for zero. */
export function statusRoutes(deps: Deps, extraPending: ((tenantId: string) => Promise<number>)[] = []): Router {
  const router = Router();
  router.get('/v1/status', async (req, res) => {
    const tenantId = tenantOf(req).id;
    const [pendingEvents] = await deps.database.db
      .select({ n: count() })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.status, 'pending')));
    // Only this tenant's work: another tenant's backlog neither keeps it waiting nor shows here.
    let jobs = 0;
    let queue = 'ok';
    try {
      jobs = await deps.queue.pendingFor(tenantId);
    } catch {
      queue = 'unavailable';
    }
    const [unfinishedBackfills] = await deps.database.db
      .select({ n: count() })
      .from(backfills)
      .where(and(eq(backfills.tenantId, tenantId), inArray(backfills.status, ['queued', 'running'])));
    jobs += Number(unfinishedBackfills?.n ?? 0);
    jobs += await deps.subscriptions.pendingFor(tenantId);
    for (const f of extraPending) jobs += await f(tenantId);
    res.json({ pending: { events: Number(pendingEvents?.n ?? 0), jobs }, queue });
  });
  return router;
}

const readinessResponse = z
  .object({ status: z.enum(['ok', 'unavailable']) })
  .catchall(z.unknown())
  .describe('status, and what each dependency answered');
const statusResponse = z.object({
  pending: z.object({ events: z.number().int(), jobs: z.number().int() }),
  queue: z.enum(['ok', 'unavailable']),
});

export const systemOperations: Operation[] = [
  { method: 'get', path: '/healthz', operationId: 'health', tag: 'system', auth: 'none', summary: 'The hub serves requests', response: z.object({ status: z.literal('ok') }) },
  { method: 'get', path: '/readyz', operationId: 'readiness', tag: 'system', auth: 'none', summary: 'Database and queue reachable (503 when not): { status }; with the admin token, each check and its error too', response: readinessResponse },
  { method: 'get', path: '/metrics', operationId: 'metrics', tag: 'system', auth: 'none', summary: 'Prometheus metrics', response: z.string(), contentType: 'text/plain' },
  { method: 'get', path: '/v1/status', operationId: 'getStatus', tag: 'system', auth: 'tenant', summary: 'Events and jobs still pending: { pending: { events, jobs } }', response: statusResponse },
];
