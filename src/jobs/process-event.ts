/**
 * Job `process-event`: one stored delivery → call events → the calls it touches, in one
 * transaction. A worker killed mid-job rolls the transaction back; the event stays `pending` and is
 * taken again (BullMQ stalled-job recovery, or the sweeper, src/jobs/maintenance.ts, which also
 * brings back an event whose every attempt failed while the database was away).
 */
import { and, eq, sql } from 'drizzle-orm';
import { z, ZodError } from 'zod';
import { connectorFor, DeliveryShapeError, type ProviderId } from '../../connectors/index.js';
import type { Database } from '../db/client.js';
import { connections, tenants, webhookEvents } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { recomputeCall, storeCallEvents, type CallChangeListener, type PresenceSink } from '../modules/calls/index.js';
import type { ConnectionsService } from '../modules/connections/connections.service.js';
import type { JobProcessor, JobSettings } from './job.js';

export const payload = z.object({ eventId: z.uuid() });

export const settings: JobSettings = {
  // Events are small DB transactions; how many run at once is the operator's WORKER_CONCURRENCY
  // (the pool, 20, is shared with the API in the embedded mode).
  concurrency: 'WORKER_CONCURRENCY',
  // 500 ms doubling over 8 tries: about a minute of database trouble is ridden out in one round;
  // longer outages are the sweeper's (a new round once the database is back).
  attempts: 8,
  backoffMs: 500,
};

export function processor(deps: {
  db: Database;
  logger: Logger;
  listeners: CallChangeListener[];
  presence: PresenceSink;
  connections: ConnectionsService;
}): JobProcessor<typeof payload> {
  const { db, logger } = deps;
  return async ({ eventId }, job) => {
    const [event] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId)).limit(1);
    if (!event || event.status !== 'pending') return;
    const provider = event.provider as ProviderId;
    const connector = connectorFor(provider);

    let parsed;
    try {
      const connection = await deps.connections.forWebhook(provider, event.connectionId);
      parsed = connector.parse(
        { rawBody: event.body, headers: event.headers, query: event.query, receivedAt: event.receivedAt },
        connection?.credentials,
      );
    } catch (err) {
      if (err instanceof DeliveryShapeError || err instanceof ZodError || err instanceof SyntaxError) {
        // Valid delivery, unreadable shape: keep it, visible and reprocessable after a fix.
        await db
          .update(webhookEvents)
          .set({ status: 'failed', error: (err as Error).message.slice(0, 2000), attempts: sql`${webhookEvents.attempts} + 1`, processedAt: new Date() })
          .where(eq(webhookEvents.id, eventId));
        logger.warn({ eventId, provider, err: (err as Error).message }, 'delivery shape not understood');
        return;
      }
      throw err;
    }

    try {
      await db.transaction(async (tx) => {
        const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, event.tenantId)).limit(1);
        if (!tenant) throw new DeliveryShapeError('tenant no longer exists');
        await storeCallEvents(tx, event.tenantId, event.connectionId, parsed.calls);
        const keys = [...new Set(parsed.calls.map((e) => e.callKey))].sort();
        for (const callKey of keys) {
          await recomputeCall(tx, tenant, { id: event.connectionId, provider }, callKey, deps.listeners);
        }
        if (parsed.connectionState) {
          // Written only when it changes: this row is shared by every event of the connection.
          await tx
            .update(connections)
            .set({ state: sql`${connections.state} || ${JSON.stringify(parsed.connectionState)}::jsonb` })
            .where(and(eq(connections.id, event.connectionId), sql`not (${connections.state} @> ${JSON.stringify(parsed.connectionState)}::jsonb)`));
        }
        if (parsed.presence.length > 0) await deps.presence.record(tx, event.tenantId, event.connectionId, provider, parsed.presence);
        await tx
          .update(webhookEvents)
          .set({ status: 'processed', error: null, attempts: sql`${webhookEvents.attempts} + 1`, processedAt: new Date() })
          .where(eq(webhookEvents.id, eventId));
      });
    } catch (err) {
      // Out of retries: mark it failed (visible, reprocessable) rather than leave it pending forever.
      // If the database is what failed, this throws too: the event stays pending for the sweeper.
      if (job.attempt >= settings.attempts || err instanceof DeliveryShapeError) {
        await db
          .update(webhookEvents)
          .set({ status: 'failed', error: (err as Error).message.slice(0, 2000), attempts: sql`${webhookEvents.attempts} + 1` })
          .where(eq(webhookEvents.id, eventId));
        logger.error({ eventId, err: (err as Error).message }, 'event failed for good');
        return;
      }
      throw err;
    }
  };
}
