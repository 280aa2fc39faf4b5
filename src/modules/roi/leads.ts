/**
 * The lead figures of ROI and KPI rows (contract section 6): per row key, the won deals of the
 * range whose first touch is a lead call, and the days from each won deal's first touch to its
 * close. A deal counts in the row of its first touch (under a time grouping: the period of its
 * closedAt, where its revenue goes), once. `leads` themselves are call counts (./counts.ts, the
 * KPI rollups); `costPerLead` divides a row's cost by them.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, readTogether, type Executor } from '../../db/client.js';
import { attributionDirtyDeals, campaigns, dealFirstTouches, roiDayConversions, type TenantRow } from '../../db/schema/index.js';
import { col, idList, pgArray } from '../../db/sql.js';
import { DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import { divideRounded, formatCents } from '../../domain/money.js';
import { c, callKeySql, campaignChannels, isTimeGrouping, periodKeySql, timeKey, type AllocationGroupBy, type GroupBy, type RowKey } from './dimensions.js';
import { dayDimOf } from './allocation.js';
import { readRoiState, storedDaysOf, wholeDaysInRange, type RoiReadState } from './days.store.js';
import { dayStartUtc } from '../../domain/costs/prorate.js';
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
 * The conversions of the stored first touches (default window) of the deals closed in
 * `intervals`, but `skip`, summed per row key in SQL over index ranges of deal_first_touches,
 * which carries its calls' lead flags and grouping fields (`keySql` over alias `c`: the copies bear
 * the calls' column names): no calls read, a few rows returned.
 */
async function storedConversions(db: Executor, tenant: TenantRow, intervals: readonly { from: Date; to: Date }[], keySql: SQL, skip: readonly string[]): Promise<Map<RowKey, LeadConversions>> {
  if (intervals.length === 0) return new Map();
  const rows = await queryRows<{ key: string | null; lead_deals: string; sum_ms: string; n: string }>(db, storedConversionsSql(tenant, intervals, keySql, skip));
  return new Map(rows.map((r) => [r.key, { leadDeals: Number(r.lead_deals), conversionSumMs: Number(r.sum_ms), conversions: Number(r.n) }]));
}

/** storedConversions' statement: columns key, lead_deals, sum_ms, n (texts); no rows without intervals. */
function storedConversionsSql(tenant: TenantRow, intervals: readonly { from: Date; to: Date }[], keySql: SQL, skip: readonly string[]): SQL {
  if (intervals.length === 0) return sql`select null::text as key, '0' as lead_deals, '0' as sum_ms, '0' as n where false`;
  const f = dealFirstTouches;
  const closedIn = sql.join(
    intervals.map((i) => sql`(${c(f.dealClosedAt)} >= ${i.from.toISOString()}::timestamptz and ${c(f.dealClosedAt)} < ${i.to.toISOString()}::timestamptz)`),
    sql` or `,
  );
  // closedAt − startedAt summed as an interval, then in ms: both are written from JS dates (whole
  // milliseconds, ./credits.ts), so this is exactly the sum of each deal's milliseconds, for a
  // third of the work of converting every instant to milliseconds first.
  return sql`select ${keySql} as key, count(*) filter (where coalesce(${c(f.firstTimeCaller)}, false) or ${c(f.crmLead)})::text as lead_deals,
               (extract(epoch from sum(${c(f.dealClosedAt)} - ${c(f.startedAt)})) * 1000)::bigint::text as sum_ms, count(*)::text as n
        from ${f} c left join ${campaigns} cp on ${col('cp', campaigns.id)} = ${c(f.campaignId)}
        where ${c(f.tenantId)} = ${tenant.id} and (${closedIn})
          ${skip.length > 0 ? sql`and ${c(f.dealId)} <> all(${pgArray(skip)}::uuid[])` : sql``}
        group by 1`;
}

function addConversions(into: Map<RowKey, LeadConversions>, key: RowKey, conv: LeadConversions): void {
  const row = into.get(key);
  if (!row) into.set(key, { ...conv });
  else {
    row.leadDeals += conv.leadDeals;
    row.conversionSumMs += conv.conversionSumMs;
    row.conversions += conv.conversions;
  }
}

/**
 * The same figures as `storedConversions` over [from, to), reading roi_day_conversions for the
 * whole local close days of the range that are not dirty (a few rows per day, whatever the deals),
 * and the stored first touches for the partial days at the ends and the dirty days, which include
 * the close days of the deals waiting for the job (./days.store.ts dirtyDaysSql): no stored day
 * holds a waiting deal. `state`: the request's read state, when the caller has it.
 */
async function dayConversions(
  db: Executor,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  groupBy: GroupBy,
  skip: readonly string[],
  state?: RoiReadState,
): Promise<Map<RowKey, LeadConversions>> {
  const time = isTimeGrouping(groupBy);
  const firstKey = time ? periodKeySql(groupBy, c(dealFirstTouches.dealClosedAt), tenant.timezone) : callKeySql(groupBy, tenant.timezone);
  const startOf = (day: string) => dayStartUtc(day, tenant.timezone);
  const nextStart = (day: string) => startOf(DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!);
  const { current, first, last, dirty } = await storedDaysOf(db, tenant, range, 'revenue', state);
  if (!current || !first || !last) return storedConversions(db, tenant, [range], firstKey, skip);
  const wholeStart = startOf(first);
  const wholeEnd = nextStart(last);
  const live = [
    ...(range.from < wholeStart ? [{ from: range.from, to: wholeStart }] : []),
    ...(wholeEnd < range.to ? [{ from: wholeEnd, to: range.to }] : []),
    ...dirty.map((d) => ({ from: startOf(d), to: nextStart(d) })),
  ];
  const rc = roiDayConversions;
  // One statement: the live first touches (their final keys) and the stored days (dimension values).
  const [rows, channel] = await readTogether(
    db,
    () => queryRows<{ live: boolean; value: string | null; day: string | null; lead_deals: string; deals: string; to_close: string }>(
      db,
      sql`select true as live, l.key as value, null::text as day, l.lead_deals, l.n as deals, l.sum_ms as to_close
          from (${storedConversionsSql(tenant, live, firstKey, skip)}) l
          union all
          select false, ${rc.value}, ${time ? sql`to_char(${rc.day}, 'YYYY-MM-DD')` : sql`null::text`},
                 sum(${rc.leadDeals})::text, sum(${rc.deals})::text, sum(${rc.toCloseMs})::text
          from ${rc}
          where ${rc.tenantId} = ${tenant.id} and ${rc.dim} = ${dayDimOf(groupBy)} and ${rc.day} >= ${first}::date and ${rc.day} <= ${last}::date
            and ${rc.day} <> all(${pgArray(dirty)}::date[])
          group by 2, 3`,
    ),
    () => (groupBy === 'channel' ? campaignChannels(db, tenant.id) : null),
  );
  const byKey = new Map<RowKey, LeadConversions>();
  for (const r of rows) {
    const key: RowKey = r.live
      ? r.value
      : isTimeGrouping(groupBy)
        ? timeKey(groupBy, r.day!)
        : r.value === null
          ? null
          : channel
            ? (channel.get(r.value) ?? null)
            : r.value;
    addConversions(byKey, key, { leadDeals: Number(r.lead_deals), conversionSumMs: Number(r.to_close), conversions: Number(r.deals) });
  }
  return byKey;
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
  state?: RoiReadState,
): Promise<{ byKey: Map<RowKey, LeadConversions>; total: LeadConversions }> {
  const time = groupBy === 'hour' || isTimeGrouping(groupBy);
  const closedIn = sql`closed_at >= ${range.from.toISOString()}::timestamptz and closed_at < ${range.to.toISOString()}::timestamptz`;
  let touches: FirstTouch[];
  let byKey = new Map<RowKey, LeadConversions>();
  if (windowDays !== DEFAULT_WINDOW_DAYS) {
    touches = await firstTouches(db, tenant.id, closedIn, windowDays, firstTouchKeySql(groupBy, tenant.timezone));
  } else {
    // A caller without the request's read state (GET /v1/kpis): read it here, in one statement,
    // rather than the waiting deals, the basis and the dirty days one after another.
    if (!state && waitingDealIds === undefined && groupBy !== 'hour') {
      const whole = wholeDaysInRange(range.from, range.to, tenant.timezone);
      state = await readRoiState(db, tenant, whole[0], whole[whole.length - 1]);
    }
    const waiting =
      waitingDealIds ??
      state?.waitingDealIds ??
      (await db.select({ id: attributionDirtyDeals.dealId }).from(attributionDirtyDeals).where(eq(attributionDirtyDeals.tenantId, tenant.id))).map((d) => d.id);
    const storedKey = time ? periodKeySql(groupBy, c(dealFirstTouches.dealClosedAt), tenant.timezone) : callKeySql(groupBy, tenant.timezone);
    const [stored, live] = await readTogether(
      db,
      // Clock hours (KPIs) have no stored days.
      () => (groupBy === 'hour' ? storedConversions(db, tenant, [range], storedKey, waiting) : dayConversions(db, tenant, range, groupBy, waiting, state)),
      () =>
        waiting.length === 0
          ? []
          : (waitingFirstTouches ?? firstTouches(db, tenant.id, sql`${closedIn} and id in (${idList(waiting)}::uuid)`, windowDays, firstTouchKeySql(groupBy, tenant.timezone))),
    );
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
