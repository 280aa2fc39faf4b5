/**
 * The cost of inefficiency (contract section 6: repeatCalls, repeatCallsCost, waitCost,
 * transferRate) for the rows of another answer — `/v1/roi` — over the same range and grouping,
 * with that answer's own cost per row. The same rollup sums and the same `finalize` as
 * `GET /v1/kpis`, so a ROI row's figures are those of the KPI row of the same key (one cost
 * allocation, src/modules/roi/allocation.ts). Only the rollup sums are read — no cost allocation or
 * staffed time of its own: that read cost the ROI answer more than the answer itself (bench/roi.ts).
 * The ROI module does not depend on this one: app.ts hands this to its routes.
 */
import type { Database } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';
import { addSums, costContribution, emptySums, finalize, type KpiSums } from '../../domain/kpis/definitions.js';
import { effectiveSettings } from '../tenants/index.js';
import { rollupSums } from './kpis.repo.js';
import { kpiRange, kpiSettingsOf } from './kpis.service.js';
import type { KpiGroupBy } from './kpis.schemas.js';

// A type, not an interface: it goes where a Record<string, unknown> is expected (ROI rows).
export type Inefficiency = {
  repeatCalls: number;
  repeatCallsCost: string | null;
  waitCost: string | null;
  transferRate: number | null;
};

export interface InefficiencyRows {
  /** The figures of the row `key` (null: the row without a key) whose cost is `costCents`. */
  row(key: string | null, costCents: bigint | null): Inefficiency;
  total(costCents: bigint | null): Inefficiency;
}

/** The sums `finalize` reads for the four figures (with the cost): the only ones read. */
const INEFFICIENCY_SUMS = ['fcrEligible', 'fcrResolved', 'repeatHandleSum', 'handleSumHandled', 'waitSumOffered', 'transferred', 'handledCount'] as const satisfies readonly (keyof KpiSums)[];

/** The rollup sums per row key over [from, to) grouped by `groupBy` (a grouping both answers have). */
export async function inefficiencyRows(db: Database, tenant: TenantRow, window: { from: Date; to: Date }, groupBy: KpiGroupBy): Promise<InefficiencyRows> {
  const settings = kpiSettingsOf(effectiveSettings(tenant.settings));
  const range = kpiRange({ from: window.from.toISOString(), to: window.to.toISOString() }, tenant.timezone);
  const grouped = await rollupSums(db, {
    tenantId: tenant.id,
    fromKey: range.fromKey,
    toKey: range.toKey,
    groupBy,
    filters: {},
    businessHours: null,
    sums: INEFFICIENCY_SUMS,
  });
  const byKey = new Map(grouped.rows.map((r) => [r.key, r.sums]));
  const figures = (sums: KpiSums, costCents: bigint | null): Inefficiency => {
    const row = finalize(costCents === null ? sums : addSums(sums, costContribution(costCents)), settings);
    return {
      repeatCalls: row.repeatCalls,
      repeatCallsCost: costCents === null ? null : row.repeatCallsCost,
      waitCost: row.waitCost,
      transferRate: row.transferRate,
    };
  };
  return {
    row: (key, costCents) => figures(byKey.get(key) ?? emptySums(), costCents),
    total: (costCents) => figures(grouped.total.sums, costCents),
  };
}
