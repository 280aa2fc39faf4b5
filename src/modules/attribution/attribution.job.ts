/**
 * The `attribution` job: drain the tenant's dirty deals (stored credits), a batch per
 * transaction, then rebuild its dirty days of materialised cost allocation and call counts
 * (../costs/daily.ts). Both are "the tenant's derived ROI figures"; one job keeps one wake-up path.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client.js';
import type { Processor } from '../../jobs/definitions.js';
import { refreshDirtyDays } from '../costs/daily.js';
import { recomputeStoredCredits } from './stored.js';

const CLAIM = 1000;

export function attributionProcessor(deps: { db: Database }): Processor<'attribution'> {
  return async ({ tenantId }) => {
    for (;;) {
      const claimed = await deps.db.transaction(async (tx) => {
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
    await refreshDirtyDays(deps.db, tenantId);
  };
}
