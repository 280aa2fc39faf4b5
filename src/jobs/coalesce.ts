/**
 * Coalescing per-tenant jobs (`kpi-refresh`, `roi-refresh`). A change only writes a mark in its
 * own transaction; the job drains all the tenant's marks at once. So a thousand changes of a
 * tenant need one job, not a thousand:
 * - `wake` enqueues at most one job per tenant and time slot from this process, with the slot in
 *   the job id (a second process asking in the same slot is a no-op too), delayed because the
 *   mark that asked is not committed yet;
 * - `sweep` enqueues the job for tenants whose marks waited too long (a wake-up lost while Redis
 *   was down, or a mark committed while the job was already running), in slots of its own.
 */
import type { Logger } from '../lib/logger.js';
import type { JobQueue } from './queue.js';

type TenantJob = 'kpi-refresh' | 'roi-refresh';

/** One id per tenant, tag and time slot (no ':' for BullMQ). */
export function slotJobId(name: TenantJob, tenantId: string, tag: string, slotMs: number, now = Date.now()): string {
  return `${name}-${tenantId}-${tag}-${Math.floor(now / slotMs)}`;
}

export function coalescingEnqueuer(queue: JobQueue, name: TenantJob, logger: Logger, slotMs = 1000) {
  const lastSlot = new Map<string, string>();
  return {
    /** The slot: at most one job per tenant and slot from wakes (the sweep waits longer than this). */
    slotMs,
    wake(tenantId: string): void {
      const jobId = slotJobId(name, tenantId, 'wake', slotMs);
      if (lastSlot.get(tenantId) === jobId) return;
      if (lastSlot.size > 10_000) lastSlot.clear();
      lastSlot.set(tenantId, jobId);
      queue.enqueue(name, { tenantId }, { jobId, delayMs: slotMs }).catch((err: Error) => {
        lastSlot.delete(tenantId);
        logger.debug({ tenantId, job: name, err: err.message }, 'not enqueued; the sweep will');
      });
    },
    async sweep(tenantIds: readonly string[]): Promise<void> {
      await queue.enqueueMany(
        name,
        tenantIds.map((tenantId) => ({ payload: { tenantId }, jobId: slotJobId(name, tenantId, 'sweep', 2 * slotMs) })),
      );
    },
    /** Run once more shortly: marks committed while the job ran found its id taken. */
    async again(tenantId: string): Promise<void> {
      await queue.enqueue(name, { tenantId }, { jobId: slotJobId(name, tenantId, 'again', slotMs), delayMs: slotMs / 2 });
    },
  };
}

export type CoalescingEnqueuer = ReturnType<typeof coalescingEnqueuer>;
