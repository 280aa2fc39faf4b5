/**
 * The lead figures of ROI and KPI rows (contract section 6): per row key, the won deals of the
 * range whose first touch is a lead call, and the days from each won deal's first touch to its
 * close. A deal counts in the row of its first touch (under a time grouping: the period of its
 * closedAt, where its revenue goes), once. `leads` themselves are call counts (./counts.ts, the
 * KPI rollups); `costPerLead` divides a row's cost by them.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { attributionDirtyDeals, campaigns, dealFirstTouches, type TenantRow } from '../../db/schema/index.js';
import { col, idList, pgArray } from '../../db/sql.js';
import { DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import { divideRounded, formatCents } from '../../domain/money.js';
import { c, callKeySql, isTimeGrouping, periodKeySql, type AllocationGroupBy, type RowKey } from './dimensions.js';
import { meanDaysOf } from './figures.js';
import { firstTouches, type FirstTouch } from './touches.js';

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

/**
 * The conversions of the stored first touches (default window) of the deals closed in the range,
 * but `skip`, summed per row key in SQL over one index range of deal_first_touches, which carries
 * its calls' lead flags and grouping fields (`keySql` over alias `c`: the copies bear the calls'
 * column names): no calls read, a few rows returned.
 */
async function storedConversions(db: Executor, tenant: TenantRow, range: { from: Date; to: Date }, keySql: SQL, skip: readonly string[]): Promise<Map<RowKey, LeadConversions>> {
  const f = dealFirstTouches;
  // closedAt − startedAt summed as an interval, then in ms: both are written from JS dates (whole
  // milliseconds, ./credits.ts), so this is exactly the sum of each deal's milliseconds, for a
  // third of the work of converting every instant to milliseconds first.
  const rows = await queryRows<{ key: string | null; lead_deals: string; sum_ms: string; n: string }>(
    db,
    sql`select ${keySql} as key, count(*) filter (where coalesce(${c(f.firstTimeCaller)}, false) or ${c(f.crmLead)})::text as lead_deals,
               (extract(epoch from sum(${c(f.dealClosedAt)} - ${c(f.startedAt)})) * 1000)::bigint::text as sum_ms, count(*)::text as n
        from ${f} c left join ${campaigns} cp on ${col('cp', campaigns.id)} = ${c(f.campaignId)}
        where ${c(f.tenantId)} = ${tenant.id} and ${c(f.dealClosedAt)} >= ${range.from.toISOString()}::timestamptz and ${c(f.dealClosedAt)} < ${range.to.toISOString()}::timestamptz
          ${skip.length > 0 ? sql`and ${c(f.dealId)} <> all(${pgArray(skip)}::uuid[])` : sql``}
        group by 1`,
  );
  return new Map(rows.map((r) => [r.key, { leadDeals: Number(r.lead_deals), conversionSumMs: Number(r.sum_ms), conversions: Number(r.n) }]));
}

/**
 * Per row key and in total, over the won deals closed in [from, to), touches within `windowDays`.
 * The default window reads the stored first touches (./credits.ts), and the deals still waiting for
 * the `roi-refresh` job (`waitingDealIds`, read when not given) live; other windows are all live.
 * `waitingFirstTouches`: those waiting deals' first touches (closed in the range, this grouping's
 * keys) when the caller reads them anyway (GET /v1/roi attributes the same deals now): not read twice.
 */
export async function leadConversions(
  db: Executor,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  groupBy: AllocationGroupBy,
  windowDays: number = DEFAULT_WINDOW_DAYS,
  waitingDealIds?: readonly string[],
  waitingFirstTouches?: Promise<FirstTouch[]>,
): Promise<{ byKey: Map<RowKey, LeadConversions>; total: LeadConversions }> {
  const time = groupBy === 'hour' || isTimeGrouping(groupBy);
  const closedIn = sql`closed_at >= ${range.from.toISOString()}::timestamptz and closed_at < ${range.to.toISOString()}::timestamptz`;
  let touches: FirstTouch[];
  let byKey = new Map<RowKey, LeadConversions>();
  if (windowDays !== DEFAULT_WINDOW_DAYS) {
    touches = await firstTouches(db, tenant.id, closedIn, windowDays, firstTouchKeySql(groupBy, tenant.timezone));
  } else {
    const waiting =
      waitingDealIds ??
      (await db.select({ id: attributionDirtyDeals.dealId }).from(attributionDirtyDeals).where(eq(attributionDirtyDeals.tenantId, tenant.id))).map((d) => d.id);
    const storedKey = time ? periodKeySql(groupBy, c(dealFirstTouches.dealClosedAt), tenant.timezone) : callKeySql(groupBy, tenant.timezone);
    const [stored, live] = await Promise.all([
      storedConversions(db, tenant, range, storedKey, waiting),
      waiting.length === 0
        ? []
        : (waitingFirstTouches ?? firstTouches(db, tenant.id, sql`${closedIn} and id in (${idList(waiting)}::uuid)`, windowDays, firstTouchKeySql(groupBy, tenant.timezone))),
    ]);
    byKey = stored;
    touches = live;
  }
  // Each deal once: the stored rows' sums, plus the deals read live.
  const total = noConversions();
  for (const row of byKey.values()) {
    total.leadDeals += row.leadDeals;
    total.conversionSumMs += row.conversionSumMs;
    total.conversions += row.conversions;
  }
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
