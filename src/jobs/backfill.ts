/**
 * Job `backfill`: walk a provider's REST API page by page (a backfill asked for, or a periodic
 * reconciliation). Each page is stored, its calls recomputed and the cursor persisted in one
 * transaction, so a crash resumes at the page after the last stored one.
 */
import { eq, sql } from 'drizzle-orm';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { connectorFor, type ProviderId } from '../../connectors/index.js';
import type { Database } from '../db/client.js';
import { backfills, connections, tenants } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { recomputeCall, storeCallEvents, type CallChangeListener } from '../modules/calls/index.js';
import type { ConnectionsService } from '../modules/connections/connections.service.js';
import { providerFailure } from '../modules/connections/provider-errors.js';
import type { ConnectorContextFactory } from './context.js';
import type { JobProcessor, JobSettings } from './job.js';

export const payload = z.object({ backfillId: z.uuid() });

export const settings: JobSettings = {
  // Providers cap REST calls (RingCentral ~10 call-log requests/min): one backfill at a time per worker.
  concurrency: 1,
  // 5 s doubling over 5 tries (~75 s): a provider's short outage; its 4xx stop at once (below).
  attempts: 5,
  backoffMs: 5_000,
};

export function processor(deps: {
  db: Database;
  logger: Logger;
  connections: ConnectionsService;
  context: ConnectorContextFactory;
  listeners: CallChangeListener[];
}): JobProcessor<typeof payload> {
  const { db } = deps;
  return async ({ backfillId }, job) => {
    const [b] = await db.select().from(backfills).where(eq(backfills.id, backfillId)).limit(1);
    if (!b || b.status === 'completed') return;
    const [conn] = await db.select().from(connections).where(eq(connections.id, b.connectionId)).limit(1);
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, b.tenantId)).limit(1);
    if (!conn || !tenant || conn.deletedAt) {
      await db.update(backfills).set({ status: 'failed', error: 'connection deleted', updatedAt: new Date() }).where(eq(backfills.id, b.id));
      return;
    }
    const provider = conn.provider as ProviderId;
    const connector = connectorFor(provider);
    if (!connector.backfill) return;
    await db
      .update(backfills)
      .set({ status: 'running', attempts: job.attempt, error: null, updatedAt: new Date() })
      .where(eq(backfills.id, b.id));
    try {
      const pages = connector.backfill(
        deps.connections.credentialsOf(conn),
        { from: b.windowFrom, to: b.windowTo },
        b.cursor,
        deps.context(provider),
      );
      for await (const page of pages) {
        await db.transaction(async (tx) => {
          await storeCallEvents(tx, tenant.id, conn.id, page.events);
          for (const callKey of [...new Set(page.events.map((e) => e.callKey))].sort()) {
            await recomputeCall(tx, tenant, { id: conn.id, provider }, callKey, deps.listeners);
          }
          await tx
            .update(backfills)
            .set({
              cursor: page.cursor,
              pages: sql`${backfills.pages} + 1`,
              events: sql`${backfills.events} + ${page.events.length}`,
              progress: page.progress ?? (page.cursor === null ? 1 : b.progress),
              updatedAt: new Date(),
            })
            .where(eq(backfills.id, b.id));
        });
        if (page.progress !== undefined) await job.updateProgress(Math.round(page.progress * 100));
        if (page.cursor === null) break;
      }
      await db.update(backfills).set({ status: 'completed', progress: 1, updatedAt: new Date() }).where(eq(backfills.id, b.id));
    } catch (err) {
      // A provider refusing us (401, 403, 404, …) will refuse again: end now, saying why. What may
      // pass (408, 429, 5xx, timeouts, network, our database) is retried and shown as `retrying`.
      const failure = providerFailure(err, provider);
      const permanent = failure.permanent;
      const final = permanent || job.attempt >= settings.attempts;
      const message = failure.reason.slice(0, 2000);
      await db
        .update(backfills)
        .set({ status: final ? 'failed' : 'retrying', attempts: job.attempt, error: message, updatedAt: new Date() })
        .where(eq(backfills.id, b.id));
      deps.logger.warn({ backfillId, err: (err as Error).message, final, permanent }, 'backfill page failed');
      // Failed for good, and said so on the backfill: the queue is told not to try again.
      if (permanent) throw new UnrecoverableError(message);
      if (!final) throw err;
    }
  };
}
