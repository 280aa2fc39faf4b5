/**
 * Periodic work that runs in every worker process. Each task is idempotent (deterministic job ids),
 * so several workers running it at once only repeat a no-op.
 * - sweep: inbox rows committed but never processed (Redis was down between commit and enqueue, or
 *   the process died) are enqueued again.
 * - reconcile: re-read the last hours of calls through each provider's REST API and merge them, so a
 *   webhook the provider dropped is repaired.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, lt, sql } from 'drizzle-orm';
import { connectorFor, type ProviderId } from '../../connectors/index.js';
import type { Database } from '../db/client.js';
import { backfills, connections, webhookEvents } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import type { JobQueue } from './queue.js';
import { pruneInbox } from './retention.js';

export async function sweepPendingEvents(db: Database, queue: JobQueue, olderThanSeconds: number, limit = 1000): Promise<number> {
  const rows = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.status, 'pending'),
        lt(webhookEvents.receivedAt, sql`now() - make_interval(secs => ${olderThanSeconds})`),
      ),
    )
    .orderBy(asc(webhookEvents.receivedAt))
    .limit(limit);
  await queue.enqueueMany('process-event', rows.map((r) => ({ payload: { eventId: r.id }, jobId: r.id })));
  return rows.length;
}

export async function scheduleReconciliation(db: Database, queue: JobQueue, lookbackHours: number, everyMinutes: number, now = new Date()): Promise<number> {
  const active = await db.select().from(connections).where(isNull(connections.deletedAt));
  // One reconciliation per connection per period: the slot number is part of the job id.
  const slot = Math.floor(now.getTime() / (everyMinutes * 60_000));
  let scheduled = 0;
  for (const c of active) {
    if (!connectorFor(c.provider as ProviderId).backfill) continue;
    const id = randomUUID();
    const jobId = `reconcile-${c.id}-${slot}`;
    const [existing] = await db
      .select({ id: backfills.id })
      .from(backfills)
      .where(and(eq(backfills.connectionId, c.id), eq(backfills.kind, 'reconcile'), sql`${backfills.detail}->>'slot' = ${String(slot)}`))
      .limit(1);
    if (existing) continue;
    await db.insert(backfills).values({
      id,
      tenantId: c.tenantId,
      connectionId: c.id,
      kind: 'reconcile',
      windowFrom: new Date(now.getTime() - lookbackHours * 3600_000),
      windowTo: now,
      detail: { slot: String(slot) },
    });
    await queue.enqueue('backfill', { backfillId: id }, { jobId });
    scheduled++;
  }
  return scheduled;
}

export function startMaintenance(deps: {
  db: Database;
  queue: JobQueue;
  logger: Logger;
  sweepAfterSeconds: number;
  reconcileEveryMinutes: number;
  reconcileLookbackHours: number;
  connectionCheckMinutes: number;
  checkConnections: () => Promise<number>;
  dueDeliveries: () => Promise<string[]>;
  raiseAlerts: () => Promise<number>;
  inboxRetentionDays: number;
}): () => void {
  const { db, queue, logger } = deps;
  const timers: NodeJS.Timeout[] = [];
  let sweeping = false;
  const sweep = async (olderThan: number) => {
    if (sweeping) return;
    sweeping = true;
    try {
      const n = await sweepPendingEvents(db, queue, olderThan);
      if (n > 0) logger.info({ events: n }, 'sweeper re-enqueued pending events');
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'sweep skipped');
    } finally {
      sweeping = false;
    }
  };
  // At start, everything pending is an orphan of a previous process: take it at once.
  void sweep(0);
  timers.push(setInterval(() => void sweep(deps.sweepAfterSeconds), Math.max(1000, (deps.sweepAfterSeconds * 1000) / 2)));
  if (deps.reconcileEveryMinutes > 0) {
    timers.push(
      setInterval(() => {
        scheduleReconciliation(db, queue, deps.reconcileLookbackHours, deps.reconcileEveryMinutes).catch((err: Error) =>
          logger.warn({ err: err.message }, 'reconciliation scheduling failed'),
        );
      }, deps.reconcileEveryMinutes * 60_000),
    );
  }
  // Outbound webhooks whose (re)try time has come; the job id is the delivery's, so repeats are no-ops.
  let delivering = false;
  timers.push(
    setInterval(() => {
      if (delivering) return;
      delivering = true;
      deps
        .dueDeliveries()
        .then((ids) => queue.enqueueMany('deliver', ids.map((id) => ({ payload: { deliveryId: id }, jobId: id }))))
        .catch((err: Error) => logger.debug({ err: err.message }, 'delivery sweep skipped'))
        .finally(() => {
          delivering = false;
        });
    }, 1000),
  );
  // Anomalies of the last complete days, raised once each (alert.raised webhooks).
  timers.push(
    setInterval(() => {
      deps.raiseAlerts().catch((err: Error) => logger.warn({ err: err.message }, 'alert check failed'));
    }, 15 * 60_000),
  );
  // Retention of raw deliveries: hourly, a few minutes after start (not in the way of the sweep).
  if (deps.inboxRetentionDays > 0) {
    let pruning = false;
    const prune = () => {
      if (pruning) return;
      pruning = true;
      pruneInbox(db, { retentionDays: deps.inboxRetentionDays })
        .then((n) => n > 0 && logger.info({ deleted: n }, 'retention: old raw deliveries deleted'))
        .catch((err: Error) => logger.warn({ err: err.message }, 'retention skipped'))
        .finally(() => {
          pruning = false;
        });
    };
    timers.push(setTimeout(prune, 5 * 60_000), setInterval(prune, 60 * 60_000));
  }
  if (deps.connectionCheckMinutes > 0) {
    const check = () =>
      deps.checkConnections().catch((err: Error) => logger.warn({ err: err.message }, 'connection checks failed'));
    timers.push(setInterval(check, deps.connectionCheckMinutes * 60_000));
  }
  return () => timers.forEach(clearInterval);
}
