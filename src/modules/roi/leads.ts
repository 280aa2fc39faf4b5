/**
 * The lead figures of ROI and KPI rows (contract section 6): per row key, the won deals of the
 * range whose first touch is a lead call, and the days from each won deal's first touch to its
 * close. A deal counts in the row of its first touch (under a time grouping: the period of its
 * closedAt, where its revenue goes), once. `leads` themselves are call counts (./counts.ts, the
 * KPI rollups); `costPerLead` divides a row's cost by them.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { attributionDirtyDeals, calls, campaigns, dealFirstTouches, type TenantRow } from '../../db/schema/index.js';
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

/** Stored first touches (default window) of the deals closed in the range, but `skip`. */
async function storedFirstTouches(db: Executor, tenant: TenantRow, range: { from: Date; to: Date }, keySql: SQL, skip: readonly string[]): Promise<FirstTouch[]> {
  const ft = dealFirstTouches;
  const rows = await queryRows<{ deal_id: string; closed_ms: string; started_ms: string; lead: boolean; key: string | null }>(
    db,
    sql`select ft.deal_id, (extract(epoch from ft.deal_closed_at) * 1000)::bigint::text as closed_ms,
               (extract(epoch from ft.started_at) * 1000)::bigint::text as started_ms,
               (coalesce(${c(calls.firstTimeCaller)}, false) or ${c(calls.crmLead)}) as lead, ${keySql} as key
        from ${ft} ft join ${calls} c on ${c(calls.id)} = ft.call_id
        left join ${campaigns} cp on ${col('cp', campaigns.id)} = ${c(calls.campaignId)}
        where ft.tenant_id = ${tenant.id} and ft.deal_closed_at >= ${range.from.toISOString()}::timestamptz and ft.deal_closed_at < ${range.to.toISOString()}::timestamptz
          ${skip.length > 0 ? sql`and ft.deal_id <> all(${pgArray(skip)}::uuid[])` : sql``}`,
  );
  return rows.map((r) => ({ dealId: r.deal_id, closedAt: new Date(Number(r.closed_ms)), startedAt: new Date(Number(r.started_ms)), lead: r.lead, key: r.key }));
}

/**
 * Per row key and in total, over the won deals closed in [from, to), touches within `windowDays`.
 * The default window reads the stored first touches (./credits.ts), and the deals still waiting for
 * the `roi-refresh` job (`waitingDealIds`, read when not given) live; other windows are all live.
 */
export async function leadConversions(
  db: Executor,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  groupBy: AllocationGroupBy,
  windowDays: number = DEFAULT_WINDOW_DAYS,
  waitingDealIds?: readonly string[],
): Promise<{ byKey: Map<RowKey, LeadConversions>; total: LeadConversions }> {
  const time = groupBy === 'hour' || isTimeGrouping(groupBy);
  const closedIn = sql`closed_at >= ${range.from.toISOString()}::timestamptz and closed_at < ${range.to.toISOString()}::timestamptz`;
  let touches: FirstTouch[];
  if (windowDays !== DEFAULT_WINDOW_DAYS) {
    touches = await firstTouches(db, tenant.id, closedIn, windowDays, firstTouchKeySql(groupBy, tenant.timezone));
  } else {
    const waiting =
      waitingDealIds ??
      (await db.select({ id: attributionDirtyDeals.dealId }).from(attributionDirtyDeals).where(eq(attributionDirtyDeals.tenantId, tenant.id))).map((d) => d.id);
    const storedKey = time ? periodKeySql(groupBy, sql`ft.deal_closed_at`, tenant.timezone) : callKeySql(groupBy, tenant.timezone);
    const [stored, live] = await Promise.all([
      storedFirstTouches(db, tenant, range, storedKey, waiting),
      waiting.length > 0
        ? firstTouches(db, tenant.id, sql`${closedIn} and id in (${idList(waiting)}::uuid)`, windowDays, firstTouchKeySql(groupBy, tenant.timezone))
        : Promise.resolve([]),
    ]);
    touches = [...stored, ...live];
  }
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
