/**
 * Bringing a tenant's derived ROI figures up to date: drain its dirty deals (stored credits), a
 * batch per transaction, then rebuild its dirty days of cost allocation, call counts and revenue
 * (./days.store.ts). Both are "the tenant's derived ROI figures"; one job (`roi-refresh`,
 * src/jobs/roi-refresh.ts) keeps one wake-up path.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client.js';
import { attributionDirtyDeals, roiBasis, roiDirtyDays, tenants } from '../../db/schema/index.js';
import { recomputeStoredCredits } from './credits.js';
import { refreshDirtyDays } from './days.store.js';

const CLAIM = 1000;
const d = attributionDirtyDeals;

export async function refreshRoi(db: Database, tenantId: string): Promise<void> {
  for (;;) {
    const claimed = await db.transaction(async (tx) => {
      // Claimed rows are deleted in the same transaction as the recompute: a crash puts them back.
      const rows = await queryRows<{ deal_id: string }>(
        tx,
        sql`delete from ${d} where (${d.tenantId}, ${d.dealId}) in (
              select ${d.tenantId}, ${d.dealId} from ${d} where ${d.tenantId} = ${tenantId}
              order by ${d.dealId} limit ${CLAIM} for update skip locked)
            returning ${d.dealId} as deal_id`,
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
    sql`select distinct ${d.tenantId} as tenant_id from ${d} where ${d.markedAt} < now() - make_interval(secs => ${secs})
        union
        select distinct ${roiDirtyDays.tenantId} from ${roiDirtyDays} where ${roiDirtyDays.markedAt} < now() - make_interval(secs => ${secs})
        union
        select ${roiBasis.tenantId} from ${roiBasis} join ${tenants} on ${tenants.id} = ${roiBasis.tenantId} where ${tenants.timezone} <> ${roiBasis.timezone}`,
  );
  return rows.map((r) => r.tenant_id);
}
