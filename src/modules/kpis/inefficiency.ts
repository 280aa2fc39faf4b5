/**
 * The cost of inefficiency (contract section 6: repeatCalls, repeatCallsCost, waitCost,
 * transferRate) for the rows of another answer — `/v1/roi` — over the same range and grouping.
 * Read from the KPI rollups through `computeKpis`, so the figures on a ROI row are exactly those
 * of the KPI row of the same key (the ROI module does not depend on this one: app.ts hands this
 * to its routes). repeatCallsCost is priced at the row's cost per handled second, and a ROI row's
 * cost is the KPI row's cost (one allocation, src/modules/roi/allocation.ts).
 */
import type { Database } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';
import { effectiveSettings } from '../tenants/index.js';
import { computeKpis } from './kpis.service.js';
import type { KpiGroupBy } from './kpis.schemas.js';

// A type, not an interface: it goes where a Record<string, unknown> is expected (ROI rows).
export type Inefficiency = {
  repeatCalls: number;
  repeatCallsCost: string | null;
  waitCost: string | null;
  transferRate: number | null;
};

export interface InefficiencyRows {
  byKey: Map<string | null, Inefficiency>;
  total: Inefficiency;
  /** A row no call falls in (e.g. a period with deals closed but no calls). */
  none: Inefficiency;
}

const pick = (r: Inefficiency): Inefficiency => ({
  repeatCalls: r.repeatCalls,
  repeatCallsCost: r.repeatCallsCost,
  waitCost: r.waitCost,
  transferRate: r.transferRate,
});

/** The figures per row key over [from, to) grouped by `groupBy` (a grouping both answers have). */
export async function inefficiencyRows(db: Database, tenant: TenantRow, window: { from: Date; to: Date }, groupBy: KpiGroupBy): Promise<InefficiencyRows> {
  const answer = await computeKpis(db, tenant, { from: window.from.toISOString(), to: window.to.toISOString(), groupBy });
  const waitPriced = effectiveSettings(tenant.settings).waitCostPerHour !== null;
  return {
    byKey: new Map(answer.rows.map((r) => [r.key, pick(r)])),
    total: pick(answer.total),
    none: { repeatCalls: 0, repeatCallsCost: null, waitCost: waitPriced ? '0.00' : null, transferRate: null },
  };
}
