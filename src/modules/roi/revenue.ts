/**
 * Revenue of the default model and window from the stored credits (attribution_credits: one row
 * per credited (deal, call), kept by the `roi-refresh` job and the call listener, carrying copies of
 * the deal's closedAt and type and of the call's grouping fields), summed in SQL per row key and
 * deal type over one index range (tenant, deal closedAt): no join to deals or calls. Deals
 * waiting in attribution_dirty_deals are left out here: the caller attributes them now.
 */
import { sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, readTogether, type Executor } from '../../db/client.js';
import { attributionCredits, attributionDirtyDeals, campaigns, crmDeals, roiDayRevenue, type TenantRow } from '../../db/schema/index.js';
import { dayStartUtc } from '../../domain/costs/prorate.js';
import { col, pgArray } from '../../db/sql.js';
import { storedDaysOf, type RevenueDim, type RoiReadState } from './days.store.js';
import { callKeySql, campaignChannels, isTimeGrouping, periodKeySql, timeKey, type GroupBy, type RowKey } from './dimensions.js';
import type { DealTypeKey } from '../../domain/deals.js';

export interface StoredRevenueRow {
  /** 'row': one key and type; 'total': one type over all keys (each deal once). */
  level: 'row' | 'total';
  key: RowKey;
  type: DealTypeKey;
  cents: bigint;
  deals: number;
  /** Sum over those deals of closedAt − first touch, in ms. */
  toCloseSumMs: number;
}

export interface StoredRevenue {
  rows: StoredRevenueRow[];
  /** Won deals closed in the range, waiting ones included. */
  wonDeals: number;
  /** Amount of the range's won deals (not waiting) without any credit. */
  unattributedCents: bigint;
}

type CreditRow = { level: 'row' | 'total' | 'won'; key: string | null; type: DealTypeKey | null; cents: string; deals: string; to_close: string };

/**
 * Stored credits of the deals closed in `intervals` that are not waiting for the `roi-refresh`
 * job, summed per row key and deal type ('row') and per deal type over all keys, each deal once
 * ('total'); and in the same statement the won deals closed in `intervals` (waiting ones
 * included) with the amount of those not waiting, in cents. `keySql` is the grouping's SQL over
 * alias `c` (./dimensions.ts callKeySql): here `c` is attribution_credits, whose copied call
 * fields bear the calls' column names.
 */
async function creditRows(
  db: Executor,
  tenantId: string,
  intervals: readonly { from: Date; to: Date }[],
  keySql: SQL,
): Promise<{ rows: StoredRevenueRow[]; won: { wonDeals: number; settledCents: bigint } }> {
  if (intervals.length === 0) return { rows: [], won: { wonDeals: 0, settledCents: 0n } };
  const c = (column: { name: string }) => col('c', column);
  const d = (column: { name: string }) => col('d', column);
  const x = (column: { name: string }) => col('x', column);
  const ac = attributionCredits;
  const dd = attributionDirtyDeals;
  const closedIn = (at: SQL) =>
    sql.join(
      intervals.map((i) => sql`(${at} >= ${i.from.toISOString()}::timestamptz and ${at} < ${i.to.toISOString()}::timestamptz)`),
      sql` or `,
    );
  const notWaiting = (dealId: SQL) => sql`not exists (select 1 from ${dd} x where ${x(dd.tenantId)} = ${tenantId} and ${x(dd.dealId)} = ${dealId})`;
  const rows = await queryRows<CreditRow>(
    db,
    sql`with cr as (
          select ${keySql} as key, ${c(ac.dealId)} as deal_id, coalesce(${c(ac.dealType)}, 'unspecified') as type, sum(${c(ac.cents)}) as cents,
                 (extract(epoch from ${c(ac.dealClosedAt)} - min(${c(ac.firstTouchAt)})) * 1000)::bigint as to_close
          from ${ac} c
          left join ${campaigns} cp on ${col('cp', campaigns.id)} = ${c(ac.campaignId)}
          where ${c(ac.tenantId)} = ${tenantId} and (${closedIn(c(ac.dealClosedAt))}) and ${notWaiting(c(ac.dealId))}
          group by 1, 2, 3, ${c(ac.dealClosedAt)}
        )
        select 'row' as level, key, type, sum(cents)::text as cents, count(*)::text as deals, coalesce(sum(to_close), 0)::text as to_close
        from cr group by key, type
        union all
        select 'total', null, type, sum(cents)::text, count(*)::text, coalesce(sum(to_close), 0)::text
        from (select deal_id, type, sum(cents) as cents, min(to_close) as to_close from cr group by deal_id, type) per_deal
        group by type
        union all
        select 'won', null, null, coalesce(sum(${d(crmDeals.amount)} * 100) filter (where ${notWaiting(d(crmDeals.id))}), 0)::bigint::text, count(*)::text, '0'
        from ${crmDeals} d
        where ${d(crmDeals.tenantId)} = ${tenantId} and ${d(crmDeals.stage)} = 'won' and (${closedIn(d(crmDeals.closedAt))})`,
  );
  const won = rows.find((r) => r.level === 'won');
  return {
    rows: rows
      .filter((r) => r.level !== 'won')
      .map((r) => ({ level: r.level as 'row' | 'total', key: r.key, type: r.type!, cents: BigInt(r.cents), deals: Number(r.deals), toCloseSumMs: Number(r.to_close) })),
    won: { wonDeals: Number(won?.deals ?? 0), settledCents: BigInt(won?.cents ?? '0') },
  };
}

function summed(rows: readonly StoredRevenueRow[], won: { wonDeals: number; settledCents: bigint }): StoredRevenue {
  // The credits of a deal sum to its amount: what the settled deals' credits do not cover is the
  // amount of those without any credit.
  const credited = rows.filter((r) => r.level === 'total').reduce((sum, r) => sum + r.cents, 0n);
  return { rows: [...rows], wonDeals: won.wonDeals, unattributedCents: won.settledCents - credited };
}

/** The stored credits of the deals closed in [from, to) (not waiting), summed from attribution_credits. */
export async function storedRevenue(db: Executor, tenantId: string, from: Date, to: Date, keySql: SQL): Promise<StoredRevenue> {
  const { rows, won } = await creditRows(db, tenantId, [{ from, to }], keySql);
  return summed(rows, won);
}

/**
 * The same figures as `storedRevenue`, reading roi_day_revenue for the whole local close days of
 * the range that are not dirty (a few rows per day), plus attribution_credits summed for the
 * partial days at the ends of the range and for the dirty days, which include the close days of
 * the deals waiting for the job (./days.store.ts dirtyDaysSql): no stored day holds a waiting
 * deal. Two statements, whatever waits. `state`: the request's read state (./days.store.ts
 * readRoiState), when the caller has it.
 */
export async function dayRevenue(db: Executor, tenant: TenantRow, from: Date, to: Date, groupBy: GroupBy, state?: RoiReadState): Promise<StoredRevenue> {
  const keySql = revenueKeySql(groupBy, tenant.timezone);
  const time = isTimeGrouping(groupBy);
  const startOf = (day: string) => dayStartUtc(day, tenant.timezone);
  const nextStart = (day: string) => startOf(DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!);
  const { current, first, last, dirty } = await storedDaysOf(db, tenant, { from, to }, 'revenue', state);
  if (!current || !first || !last) return storedRevenue(db, tenant.id, from, to, keySql);

  const wholeStart = startOf(first);
  const wholeEnd = nextStart(last);
  const live = [
    ...(from < wholeStart ? [{ from, to: wholeStart }] : []),
    ...(wholeEnd < to ? [{ from: wholeEnd, to }] : []),
    ...dirty.map((d) => ({ from: startOf(d), to: nextStart(d) })),
  ];
  const dim = revenueDimOf(groupBy);
  const channelOf = () =>
    groupBy === 'channel' ? campaignChannels(db, tenant.id) : null;
  const r = roiDayRevenue;
  const [liveCredits, stored, channel] = await readTogether(
    db,
    () => creditRows(db, tenant.id, live, keySql),
    () => queryRows<{ dim: string; value: string | null; day: string | null; type: DealTypeKey; cents: string; deals: string; to_close: string }>(
      db,
      sql`select ${r.dim} as dim, ${r.value} as value, ${time ? sql`to_char(${r.day}, 'YYYY-MM-DD')` : sql`null::text`} as day, ${r.dealType} as type,
                 sum(${r.cents})::text as cents, sum(${r.deals})::text as deals, sum(${r.toCloseMs})::text as to_close
          from ${r}
          where ${r.tenantId} = ${tenant.id} and ${r.dim} = any(${pgArray(['all', 'won', dim])}::text[]) and ${r.day} >= ${first}::date and ${r.day} <= ${last}::date
            and ${r.day} <> all(${pgArray(dirty)}::date[])
          group by 1, 2, 3, 4`,
    ),
    channelOf,
  );
  const keyOf = (value: string | null): RowKey => {
    if (value === null) return null;
    if (channel) return channel.get(value) ?? null;
    return value;
  };
  const merged = new Map<string, StoredRevenueRow>();
  const add = (r: StoredRevenueRow) => {
    const k = `${r.level}\u0000${r.key ?? '\u0001'}\u0000${r.type}`;
    const acc = merged.get(k) ?? { level: r.level, key: r.key, type: r.type, cents: 0n, deals: 0, toCloseSumMs: 0 };
    acc.cents += r.cents;
    acc.deals += r.deals;
    acc.toCloseSumMs += r.toCloseSumMs;
    merged.set(k, acc);
  };
  const won = { ...liveCredits.won };
  for (const r of stored) {
    if (r.dim === 'won') {
      won.wonDeals += Number(r.deals);
      won.settledCents += BigInt(r.cents);
      continue;
    }
    // 'all' holds each deal once (the total, and under a time grouping the rows of the close
    // days' periods); the grouping's own dim holds the other groupings' rows.
    const figures = { type: r.type, cents: BigInt(r.cents), deals: Number(r.deals), toCloseSumMs: Number(r.to_close) };
    if (r.dim === 'all') add({ level: 'total', key: null, ...figures });
    if (time && r.dim === 'all') add({ level: 'row', key: isTimeGrouping(groupBy) ? timeKey(groupBy, r.day!) : null, ...figures });
    else if (!time && r.dim === dim) add({ level: 'row', key: keyOf(r.value), ...figures });
  }
  for (const r of liveCredits.rows) add(r);
  return summed([...merged.values()], won);
}

/** The roi_day_revenue dim a grouping reads (channel: by campaign, then its channel; times: 'all' by close day). */
function revenueDimOf(groupBy: GroupBy): RevenueDim {
  if (groupBy === 'channel') return 'campaign';
  if (isTimeGrouping(groupBy)) return 'all';
  return groupBy;
}

/**
 * The row key of a stored credit (SQL over attribution_credits `c`): under a time grouping the
 * period of the deal's close (contract section 7), else the credited call's key (the copied call
 * fields bear the calls' column names).
 */
export function revenueKeySql(groupBy: GroupBy, timezone: string): SQL {
  return isTimeGrouping(groupBy) ? periodKeySql(groupBy, sql`c.deal_closed_at`, timezone) : callKeySql(groupBy, timezone);
}
