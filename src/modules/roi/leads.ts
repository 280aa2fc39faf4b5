/**
 * The lead figures of ROI and KPI rows (contract section 6): per row key, the won deals of the
 * range whose first touch is a lead call, and the days from each won deal's first touch to its
 * close. A deal counts in the row of its first touch (under a time grouping: the period of its
 * closedAt, where its revenue goes), once. `leads` themselves are call counts (./counts.ts, the
 * KPI rollups); `costPerLead` divides a row's cost by them.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';
import { DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import { divideRounded, formatCents } from '../../domain/money.js';
import { callKeySql, isTimeGrouping, periodKeySql, type AllocationGroupBy, type RowKey } from './dimensions.js';
import { meanDaysOf } from './figures.js';
import { firstTouches } from './touches.js';

export interface LeadConversions {
  /** Won deals whose first touch is a lead call. */
  leadDeals: number;
  /** closedAt − first touch, over the won deals with a touch: sum (ms, exact integers) and count. */
  conversionSumMs: number;
  conversions: number;
}

export const noConversions = (): LeadConversions => ({ leadDeals: 0, conversionSumMs: 0, conversions: 0 });

/** The key of a deal's first touch: the close period under a time grouping (`hour` too), else the call's key. */
function firstTouchKeySql(groupBy: AllocationGroupBy, timezone: string) {
  return groupBy === 'hour' || isTimeGrouping(groupBy) ? periodKeySql(groupBy, sql`d.closed_at`, timezone) : callKeySql(groupBy, timezone);
}

/** Per row key and in total, over the won deals closed in [from, to), touches within `windowDays`. */
export async function leadConversions(
  db: Executor,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  groupBy: AllocationGroupBy,
  windowDays: number = DEFAULT_WINDOW_DAYS,
): Promise<{ byKey: Map<RowKey, LeadConversions>; total: LeadConversions }> {
  const touches = await firstTouches(
    db,
    tenant.id,
    sql`closed_at >= ${range.from.toISOString()}::timestamptz and closed_at < ${range.to.toISOString()}::timestamptz`,
    windowDays,
    firstTouchKeySql(groupBy, tenant.timezone),
  );
  const byKey = new Map<RowKey, LeadConversions>();
  const total = noConversions();
  for (const t of touches) {
    let row = byKey.get(t.key);
    if (!row) byKey.set(t.key, (row = noConversions()));
    const ms = t.closedAt.getTime() - t.startedAt.getTime();
    for (const acc of [row, total]) {
      if (t.lead) acc.leadDeals += 1;
      acc.conversionSumMs += ms;
      acc.conversions += 1;
    }
  }
  return { byKey, total };
}

/** The four figures of a row: `leads` calls, its cost in cents, its conversions. */
export function leadFigures(leads: number, costCents: bigint | null, conv: LeadConversions) {
  return {
    leads,
    leadCloseRate: leads === 0 ? null : conv.leadDeals / leads,
    costPerLead: leads === 0 || costCents === null ? null : formatCents(divideRounded(costCents, BigInt(leads))),
    avgDaysToConversion: meanDaysOf(conv.conversionSumMs, conv.conversions),
  };
}
