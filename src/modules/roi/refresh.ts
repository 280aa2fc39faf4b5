/**
 * Bringing a tenant's derived ROI figures up to date: drain its dirty deals (stored credits), a
 * batch per transaction, then rebuild its dirty days of cost allocation, call counts and revenue
 * (./days.store.ts). Both are "the tenant's derived ROI figures"; one job (`roi-refresh`,
 * src/jobs/roi-refresh.ts) keeps one wake-up path.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client.js';
import { recomputeStoredCredits } from './credits.js';
import { refreshDirtyDays } from './days.store.js';

const CLAIM = 1000;

export async function refreshRoi(db: Database, tenantId: string): Promise<void> {
  for (;;) {
    const claimed = await db.transaction(async (tx) => {
      // Claimed rows are deleted in the same transaction as the recompute: a crash puts them back.
      const rows = await queryRows<{ deal_id: string }>(
        tx,
        sql`delete from attribution_dirty_deals where (tenant_id, deal_id) in (
              select tenant_id, deal_id from attribution_dirty_deals where tenant_id = ${tenantId}
              order by deal_id limit ${CLAIM} for update skip locked)
            returning deal_id`,
      );
      await recomputeStoredCredits(tx, tenantId, rows.map((r) => r.deal_id));
      return rows.length;
    });
    if (claimed < CLAIM) break;
  }
  await refreshDirtyDays(db, tenantId);
}

/**
 * Tenants with ROI work older than `olderThanMs` (an enqueue lost while Redis was down, a mark
 * committed while the job was already running), or whose days were cut in another timezone.
 */
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
