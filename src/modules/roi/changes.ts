/**
 * What other areas tell the ROI module, inside their own transaction (so a committed change is
 * never without its mark), then once committed: deals that changed (crm), cost periods that
 * changed (costs). The `roi-refresh` job (src/jobs/roi-refresh.ts) then brings the stored credits
 * and the ROI days up to date; readers compute what is still marked on the fly meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { attributionDirtyDeals } from '../../db/schema/index.js';
import { idList, names } from '../../db/sql.js';
import type { JobQueue } from '../../jobs/queue.js';
import { recomputeStoredCredits } from './credits.js';
import { markAgentDaysDirty, markCostDaysDirty, markInstants } from './days.store.js';

/** Note deals whose credits must be recomputed by the `roi-refresh` job. */
export async function markDealsDirty(tx: Executor, tenantId: string, dealIds: readonly string[]): Promise<void> {
  for (let i = 0; i < dealIds.length; i += 5000) {
    await tx.execute(sql`
      insert into ${attributionDirtyDeals} (${names(attributionDirtyDeals.tenantId, attributionDirtyDeals.dealId)})
      select ${tenantId}, x::uuid from (${idList(dealIds.slice(i, i + 5000))}) as d(x)
      on conflict do nothing`);
  }
}

/**
 * Deals changed (upserted, or their contact's phones changed): their credits are recomputed by
 * the job. Deals about to be deleted (`deleted`, called before the delete): their credits go now,
 * and their calls' attributedRevenue with them. Either way the local days of the won close
 * instants they had or have are rebuilt (roi_day_revenue keeps the won deals per close day).
 */
export async function dealsChanged(tx: Tx, tenantId: string, change: { dealIds: readonly string[]; closeInstants?: readonly Date[]; deleted?: boolean }): Promise<void> {
  if (change.deleted) await recomputeStoredCredits(tx, tenantId, change.dealIds, { forget: true });
  else await markDealsDirty(tx, tenantId, change.dealIds);
  if (change.closeInstants && change.closeInstants.length > 0) await markInstants(tx, tenantId, [...change.closeInstants], { revenueOnly: true });
}

/** Costs posted, replaced or deleted: the days of their periods (old and new) are rebuilt. */
export async function costPeriodsChanged(tx: Executor, tenantId: string, periods: readonly { periodStart: string; periodEnd: string }[]): Promise<void> {
  await markCostDaysDirty(tx, tenantId, periods);
}

/**
 * Agents linked to another (or unlinked): they count under another id now, in the agent rows and
 * in the spread of agent-scoped costs; the days that depend on it are rebuilt.
 */
export async function agentLinksChanged(tx: Executor, tenantId: string, agentIds: readonly string[]): Promise<void> {
  await markAgentDaysDirty(tx, tenantId, agentIds);
}

/**
 * After the transaction that marked deals or days has committed. Every request gets its own job
 * id: a job already running may have drained the marks before this commit, so coalescing on one
 * id could lose the change; concurrent jobs share the work through SKIP LOCKED.
 */
export async function requestRoiRefresh(queue: JobQueue, tenantId: string): Promise<void> {
  await queue.enqueue('roi-refresh', { tenantId }, { jobId: `roi-refresh-${tenantId}-${randomUUID()}` });
}
