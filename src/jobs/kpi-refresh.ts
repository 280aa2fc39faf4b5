/**
 * Job `kpi-refresh`: bring a tenant's KPI rollups up to date with its dirty hours
 * (src/modules/kpis refreshTenant). Coalesced per tenant (./coalesce.ts).
 */
import { z } from 'zod';
import type { Database } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { CallChangeListener } from '../modules/calls/index.js';
import { pendingDirtyHours, refreshTenant } from '../modules/kpis/index.js';
import type { CoalescingEnqueuer } from './coalesce.js';
import type { JobProcessor, JobSettings } from './job.js';

export const payload = z.object({ tenantId: z.uuid() });

export const settings: JobSettings = {
  // Coalesced per tenant; two in parallel keep one slow tenant from blocking the others.
  concurrency: 2,
  // 1 s doubling over 5 tries; the marks stay in the database, so a job failed for good is
  // replaced by the sweep's next one.
  attempts: 5,
  backoffMs: 1_000,
};

export function processor(deps: { db: Database; logger: Logger; listeners: CallChangeListener[]; enqueuer: CoalescingEnqueuer }): JobProcessor<typeof payload> {
  return async ({ tenantId }) => {
    // The listeners hear the calls rewritten when the tenant's default after-call work changed.
    const outcome = await refreshTenant(deps.db, tenantId, deps.listeners);
    if (outcome.hoursRecomputed > 0) deps.logger.debug({ tenantId, ...outcome }, 'kpi rollups refreshed');
    if (!outcome.tenantGone && (await pendingDirtyHours(deps.db, tenantId)) > 0) await deps.enqueuer.again(tenantId);
  };
}
