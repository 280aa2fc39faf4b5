/**
 * Periodic work that runs in every worker process (./every.ts loops). Each task is idempotent
 * (deterministic job ids), so several workers running it at once only repeat a no-op.
 * - sweep: inbox rows committed but never processed (Redis was down between commit and enqueue,
 *   the process died, or every attempt failed during an outage) are enqueued again.
 * - reconcile: re-read the last hours of calls through each provider's REST API and merge them, so a
 *   webhook the provider dropped is repaired.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, lt, sql } from 'drizzle-orm';
import { connectorFor, type ProviderId } from '../../connectors/index.js';
import type { Database } from '../db/client.js';
import { backfills, connections, webhookEvents } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import type { CoalescingEnqueuer } from './coalesce.js';
import { every } from './every.js';
import { backfillPriority } from './fairness.js';
import type { JobQueue } from './queue.js';
import { EVENTS_PER_BATCH } from './process-event.js';
import { pruneInbox } from './retention.js';

/**
 * Enqueue the inbox events still pending after `olderThanSeconds`: never enqueued (Redis was down
 * after the commit), or whose job failed every attempt (the database was away longer than the
 * retry budget): those get a new round of attempts. Returns how many were found and restarted.
 *
 * A job carries up to a batch of events (src/jobs/event-jobs.ts), so an event's own id does not
 * name its job: an event still in the queue is told apart by its age instead. Jobs are taken in
 * order, so an event stored before the oldest job still waiting or running was enqueued is in no
 * such job; only those are swept (a backlog of a minute moves the cutoff back a minute; so does a
 * job another worker is running when this one starts). One that is in a job waiting for its retry
 * may be enqueued twice: the second job finds it processed (process-event claims its events).
 */
export async function sweepPendingEvents(db: Database, queue: JobQueue, olderThanSeconds: number, limit = 1000): Promise<{ found: number; restarted: number }> {
  const unfinished = await queue.oldestUnfinishedSeconds('process-event');
  // A second more than the backlog: the job was enqueued just after its events' commit (within the
  // API's gathering time, src/jobs/event-jobs.ts).
  const backlogSeconds = unfinished > 0 ? Math.ceil(unfinished) + 1 : 0;
  const rows = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.status, 'pending'),
        lt(webhookEvents.receivedAt, sql`now() - make_interval(secs => ${olderThanSeconds + backlogSeconds})`),
      ),
    )
    .orderBy(asc(webhookEvents.receivedAt))
    .limit(limit);
  const jobs: { payload: { eventIds: string[] }; jobId: string }[] = [];
  for (let i = 0; i < rows.length; i += EVENTS_PER_BATCH) {
    const eventIds = rows.slice(i, i + EVENTS_PER_BATCH).map((r) => r.id);
    jobs.push({ payload: { eventIds }, jobId: `sweep-${eventIds[0]!}` });
  }
  const restarted = await queue.enqueueMany('process-event', jobs, { restartFailed: true });
  return { found: rows.length, restarted };
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
    await queue.enqueue('backfill', { backfillId: id }, { jobId, priority: await backfillPriority(db, c.tenantId) });
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
  dueDeliveries: () => Promise<{ id: string; round: number }[]>;
  raiseAlerts: () => Promise<number>;
  /** Tenants whose KPI or ROI marks waited too long, and the coalescing enqueuers of their jobs. */
  kpiRefresh: { stale: (olderThanMs: number) => Promise<string[]>; enqueuer: CoalescingEnqueuer };
  roiRefresh: { stale: (olderThanMs: number) => Promise<string[]>; enqueuer: CoalescingEnqueuer };
  /** The current hour and day so far, and notified targets (src/modules/alerts/intraday.ts). */
  judgeIntraday: () => Promise<unknown>;
  /** report.ready for the month just over (src/modules/reports/ready.ts). */
  announceReports: () => Promise<number>;
  intradayAlertMinutes: number;
  inboxRetentionDays: number;
}): () => void {
  const { db, queue, logger } = deps;
  const stops: (() => void)[] = [];
  // Inbox events stored but not processed. At start everything pending is an orphan of a previous
  // process: taken at once.
  let olderThan = 0;
  stops.push(
    every(Math.max(1000, (deps.sweepAfterSeconds * 1000) / 2), 'event sweep', async () => {
      const { found, restarted } = await sweepPendingEvents(db, queue, olderThan);
      olderThan = deps.sweepAfterSeconds;
      if (restarted > 0) logger.info({ jobs: restarted }, 'sweeper brought back events whose attempts had all failed');
      else if (found > 0) logger.debug({ events: found }, 'sweeper re-enqueued pending events');
    }, logger, { now: true }),
  );
  if (deps.reconcileEveryMinutes > 0) {
    stops.push(every(deps.reconcileEveryMinutes * 60_000, 'reconciliation scheduling', () => scheduleReconciliation(db, queue, deps.reconcileLookbackHours, deps.reconcileEveryMinutes), logger, { failureLevel: 'warn' }));
  }
  // Outbound webhooks whose (re)try time has come; the job id is the delivery's, so repeats are no-ops.
  stops.push(
    every(1000, 'delivery sweep', async () => {
      const due = await deps.dueDeliveries();
      await queue.enqueueMany('deliver', due.map((d) => ({ payload: { deliveryId: d.id }, jobId: d.id, priority: d.round })));
    }, logger),
  );
  // KPI and ROI safety nets: marks whose wake-up was lost (Redis down) or came too early.
  stops.push(every(1000, 'kpi sweep', async () => deps.kpiRefresh.enqueuer.sweep(await deps.kpiRefresh.stale(1500)), logger));
  // Marks older than the wake slot (plus the job's start) were missed by the wakes; younger ones have a job coming.
  const roiStaleMs = Math.max(1500, deps.roiRefresh.enqueuer.slotMs + 500);
  stops.push(every(1000, 'roi sweep', async () => deps.roiRefresh.enqueuer.sweep(await deps.roiRefresh.stale(roiStaleMs)), logger));
  // Anomalies of the last complete days, raised once each (alert.raised webhooks).
  stops.push(every(15 * 60_000, 'alert check', () => deps.raiseAlerts(), logger, { failureLevel: 'warn' }));
  // Alerts within the hour: the current hour and day so far, and the notified targets.
  if (deps.intradayAlertMinutes > 0) stops.push(every(deps.intradayAlertMinutes * 60_000, 'intraday alert check', () => deps.judgeIntraday(), logger, { failureLevel: 'warn' }));
  // Monthly reports: checked hourly, sent once per tenant and month from its first day on.
  stops.push(every(60 * 60_000, 'monthly report announcement', () => deps.announceReports(), logger, { failureLevel: 'warn' }));
  // Retention of raw deliveries: hourly, in small batches that never wait on a locked row.
  if (deps.inboxRetentionDays > 0) {
    stops.push(
      every(60 * 60_000, 'retention', async () => {
        const n = await pruneInbox(db, { retentionDays: deps.inboxRetentionDays });
        if (n > 0) logger.info({ deleted: n }, 'retention: old raw deliveries deleted');
      }, logger, { failureLevel: 'warn' }),
    );
  }
  if (deps.connectionCheckMinutes > 0) stops.push(every(deps.connectionCheckMinutes * 60_000, 'connection checks', () => deps.checkConnections(), logger, { failureLevel: 'warn' }));
  return () => stops.forEach((stop) => stop());
}
