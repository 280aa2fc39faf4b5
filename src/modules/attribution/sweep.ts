/**
 * Wake-ups of the `attribution` job besides the explicit request after a bulk upload:
 * - a call that marked days dirty (../costs/daily.ts roiDayListener) wakes it, at most once per
 *   tenant and second from this process, delayed because the mark is not committed yet;
 * - a sweep in every worker finds tenants whose dirty deals or dirty days have waited too long
 *   (an enqueue lost while Redis was down, a mark committed while the job was already running)
 *   or whose materialised days were cut in another timezone, and enqueues the job for them.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Logger } from '../../lib/logger.js';

/** One id per tenant and time slot (no ':' for BullMQ). */
const slotJobId = (tenantId: string, tag: string, slotMs: number, now = Date.now()) => `attribution-${tenantId}-${tag}-${Math.floor(now / slotMs)}`;

export function roiDayNotifier(queue: JobQueue, logger: Logger): (tenantId: string) => void {
  const lastSlot = new Map<string, string>();
  return (tenantId) => {
    const jobId = slotJobId(tenantId, 'days', 1000);
    if (lastSlot.get(tenantId) === jobId) return;
    if (lastSlot.size > 10_000) lastSlot.clear();
    lastSlot.set(tenantId, jobId);
    queue.enqueue('attribution', { tenantId }, { jobId, delayMs: 1000 }).catch((err: Error) => {
      lastSlot.delete(tenantId);
      logger.debug({ tenantId, err: err.message }, 'attribution not enqueued; the sweep will');
    });
  };
}

/** Tenants with ROI work older than `olderThanMs` (or days cut in another timezone). */
export async function tenantsWithWaitingRoiWork(db: Database, olderThanMs: number): Promise<string[]> {
  const secs = olderThanMs / 1000;
  const rows = await queryRows<{ tenant_id: string }>(
    db,
    sql`select distinct tenant_id from attribution_dirty_deals where marked_at < now() - make_interval(secs => ${secs})
        union
        select distinct tenant_id from roi_dirty_days where marked_at < now() - make_interval(secs => ${secs})
        union
        select b.tenant_id from roi_basis b join tenants t on t.id = b.tenant_id where t.timezone <> b.timezone`,
  );
  return rows.map((r) => r.tenant_id);
}

export function startRoiSweep(deps: { db: Database; queue: JobQueue; logger: Logger }, everyMs = 1000, olderThanMs = 1500): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tenantsWithWaitingRoiWork(deps.db, olderThanMs)
      .then((ids) =>
        deps.queue.enqueueMany(
          'attribution',
          ids.map((tenantId) => ({ payload: { tenantId }, jobId: slotJobId(tenantId, 'sweep', 2000) })),
        ),
      )
      .catch((err: Error) => deps.logger.debug({ err: err.message }, 'roi sweep skipped'))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  return () => clearInterval(timer);
}
