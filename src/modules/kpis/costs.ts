/**
 * Cost allocation belongs to the ROI module (issue 5): `src/modules/costs/allocation.ts` exports
 * `allocatedCostCents`. It is loaded lazily so that the KPI engine works (costPerCall null) while
 * that module does not exist; groupBy keys are exactly those of GET /v1/kpis.
 */
import type { Database } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';

export type AllocatedCostCents = (
  db: Database,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  groupBy: string,
) => Promise<{ byKey: Map<string | null, bigint>; totalCents: bigint }>;

// A variable specifier: the type checker must not require the file to exist.
const ALLOCATION_MODULE = '../costs/allocation.js';
let allocation: AllocatedCostCents | null = null;

export async function costAllocation(): Promise<AllocatedCostCents | null> {
  if (allocation) return allocation;
  try {
    const mod = (await import(ALLOCATION_MODULE)) as { allocatedCostCents?: unknown };
    if (typeof mod.allocatedCostCents === 'function') allocation = mod.allocatedCostCents as AllocatedCostCents;
  } catch {
    // Not there (yet): costPerCall is null.
  }
  return allocation;
}
