/**
 * The ROI days: materialised per-day cost allocation, call counts and revenue (tables
 * cost_day_shares, roi_day_calls, roi_day_revenue),
 * so that GET /v1/roi and the KPI costPerCall sum a few hundred stored rows instead of spreading
 * every cost over every call of the range on each request.
 *
 * - A change marks tenant-local days dirty (roi_dirty_days, a log): a call that appears or whose
 *   allocation fields change (its days before and after), a cost posted, replaced or deleted (the
 *   days of its periods). The `roi-refresh` job (./refresh.ts) drains the marks (coalesced: a day marked by a
 *   thousand calls is rebuilt once) and rebuilds those days, under a per-tenant lock.
 * - Readers take stored rows for clean days and compute the still-dirty days of their range on
 *   the fly with the same SQL (`computeDays`, ./days.compute.ts), so figures never lag behind the marks.
 * - The days are cut in the tenant's timezone, recorded in roi_basis: while it differs from the
 *   tenant's (a PATCHed timezone), readers use the live allocation and the job rebuilds everything.
 *
 * A day's rows do not depend on the grouping: every cost share goes into its (day, scope, kind)
 * pool and is spread over the day's handled calls of the scope (src/domain/costs/prorate.ts);
 * readers decide the row (the scope for campaign/channel or agent groupings, the call's key
 * otherwise). The cents are exactly those of `allocateCostsLive` in ./allocation.ts.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, readTogether, type Database, type Executor, type Tx } from '../../db/client.js';
import {
  attributionCredits,
  attributionDirtyDeals,
  calls,
  costDayShares,
  costs,
  crmDeals,
  dealFirstTouches,
  roiBasis,
  roiDayConversions,
  roiDayCalls,
  roiDayRevenue,
  roiDirtyDays,
  tenants,
  type TenantRow,
} from '../../db/schema/index.js';
import { dayStartUtc, daysInRange } from '../../domain/costs/prorate.js';
import { PERIOD_DIMS } from '../../domain/dimensions.js';
import { col, names, pgArray } from '../../db/sql.js';
import { canonicalAgentIdSql } from '../agents/index.js';
import { costPools, countsSql, sharesSql } from './days.compute.js';

/** The call dimensions a day's rows are summed by ('all': the day itself). */
export const DAY_DIMS = PERIOD_DIMS;
export type { CountRow, DayDim, ShareRow } from './days.compute.js';
export { computeDays } from './days.compute.js';

const nextDay = (day: string) => DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;

/** Replace the rows of these (sorted) days, computed in PostgreSQL by ./days.compute.ts: no call leaves the database. */
async function storeDays(tx: Tx, tenant: TenantRow, days: string[]): Promise<void> {
  const pools = await costPools(tx, tenant, days);
  // Both lists as arrays: the (tenant, dim, day) index serves `dim = any and day = any`.
  const dayList = pgArray(days);
  const dimList = pgArray(DAY_DIMS);
  for (const t of [costDayShares, roiDayCalls]) {
    await tx.execute(sql`delete from ${t} where ${t.tenantId} = ${tenant.id} and ${t.dim} = any(${dimList}::text[]) and ${t.day} = any(${dayList}::date[])`);
  }
  await rebuildRevenueDays(tx, tenant, days);
  if (pools.length > 0) {
    await tx.execute(sql`
      insert into ${costDayShares} (${names(costDayShares.tenantId, costDayShares.day, costDayShares.kind, costDayShares.scopeCampaignId, costDayShares.scopeAgentId, costDayShares.dim, costDayShares.value, costDayShares.cents)})
      select ${tenant.id}::uuid, r.day::date, r.kind, r.scope_campaign_id::uuid, r.scope_agent_id, r.dim, r.value, r.cents
      from (${sharesSql(tenant, days, pools)}) r`);
  }
  await tx.execute(sql`
    insert into ${roiDayCalls} (${names(roiDayCalls.tenantId, roiDayCalls.day, roiDayCalls.dim, roiDayCalls.value, roiDayCalls.calls, roiDayCalls.leads)})
    select ${tenant.id}::uuid, r.day::date, r.dim, r.value, r.calls, r.leads
    from (${countsSql(tenant, days)}) r`);
}

/** The revenue dims of roi_day_revenue ('all' by close day also serves the time groupings; 'won': the CRM's won deals). */
export const REVENUE_DIMS = [...DAY_DIMS, 'won'] as const;
/** Rows of dims no longer built ('day': by the credited call's day), deleted with the day's rows. */
const RETIRED_REVENUE_DIMS = ['day'] as const;
export type RevenueDim = (typeof REVENUE_DIMS)[number];

/**
 * roi_day_revenue of these local close days, from the stored credits as committed now (all of
 * them, waiting deals included: readers subtract those, see ./revenue.ts).
 */
async function rebuildRevenueDays(tx: Tx, tenant: TenantRow, days: string[]): Promise<void> {
  const dayList = pgArray(days);
  const r = roiDayRevenue;
  await tx.execute(sql`delete from ${r} where ${r.tenantId} = ${tenant.id} and ${r.dim} = any(${pgArray([...REVENUE_DIMS, ...RETIRED_REVENUE_DIMS])}::text[]) and ${r.day} = any(${dayList}::date[])`);
  const a = (column: { name: string }) => col('a', column);
  const c = attributionCredits;
  const windowStart = dayStartUtc(days[0]!, tenant.timezone);
  const windowEnd = dayStartUtc(nextDay(days[days.length - 1]!), tenant.timezone);
  await tx.execute(sql`
    with cr as (
      select (${a(c.dealClosedAt)} at time zone ${tenant.timezone})::date as day, ${a(c.dealId)} as deal_id,
             coalesce(${a(c.dealType)}, 'unspecified') as deal_type, ${a(c.cents)} as cents,
             (extract(epoch from ${a(c.dealClosedAt)} - ${a(c.firstTouchAt)}) * 1000)::bigint as to_close,
             ${canonicalAgentIdSql(a(c.tenantId), a(c.agentId))} as agent_id, ${a(c.queueName)} as queue_name, ${a(c.campaignId)}::text as campaign_id,
             ${a(c.provider)} as provider, ${a(c.direction)} as direction
      from ${c} a
      where ${a(c.tenantId)} = ${tenant.id} and ${a(c.dealClosedAt)} >= ${windowStart.toISOString()}::timestamptz and ${a(c.dealClosedAt)} < ${windowEnd.toISOString()}::timestamptz
    ), per_deal as (
      select cr.day, cr.deal_id, cr.deal_type, v.dim, v.value, sum(cr.cents) as cents, min(cr.to_close) as to_close
      from cr cross join lateral (values ('all', ''), ('agent', cr.agent_id), ('queue', cr.queue_name), ('campaign', cr.campaign_id),
        ('provider', cr.provider), ('direction', cr.direction)) as v(dim, value)
      where cr.day = any(${dayList}::date[])
      group by 1, 2, 3, 4, 5
    )
    insert into ${r} (${revenueColumns})
    select ${tenant.id}::uuid, day, dim, value, deal_type, sum(cents), count(*), coalesce(sum(to_close), 0)
    from per_deal group by day, dim, value, deal_type`);
  // dim 'won': the won deals closed that day as the CRM has them now (count, amount in cents);
  // deal upserts and deletions mark the close days they change (dealsChanged in ./changes.ts).
  await tx.execute(sql`
    insert into ${r} (${revenueColumns})
    select ${tenant.id}::uuid, (${crmDeals.closedAt} at time zone ${tenant.timezone})::date, 'won', null, 'all', sum(${crmDeals.amount} * 100)::bigint, count(*), 0
    from ${crmDeals}
    where ${crmDeals.tenantId} = ${tenant.id} and ${crmDeals.stage} = 'won'
      and ${crmDeals.closedAt} >= ${windowStart.toISOString()}::timestamptz and ${crmDeals.closedAt} < ${windowEnd.toISOString()}::timestamptz
      and (${crmDeals.closedAt} at time zone ${tenant.timezone})::date = any(${dayList}::date[])
    group by 2`);
  // The lead figures of the days: the stored first touches closed on them, per dimension of the first call.
  const f = (column: { name: string }) => col('f', column);
  const ft = dealFirstTouches;
  const rc = roiDayConversions;
  await tx.execute(sql`delete from ${rc} where ${rc.tenantId} = ${tenant.id} and ${rc.day} = any(${dayList}::date[])`);
  await tx.execute(sql`
    insert into ${rc} (${names(rc.tenantId, rc.day, rc.dim, rc.value, rc.leadDeals, rc.deals, rc.toCloseMs)})
    select ${tenant.id}::uuid, g.day, v.dim, v.value, sum(g.lead_deals), sum(g.deals), sum(g.to_close)
    from (
      select (${f(ft.dealClosedAt)} at time zone ${tenant.timezone})::date as day,
             ${canonicalAgentIdSql(f(ft.tenantId), f(ft.agentId))} as agent_id, ${f(ft.queueName)} as queue_name, ${f(ft.campaignId)}::text as campaign_id,
             ${f(ft.provider)} as provider, ${f(ft.direction)} as direction,
             count(*) filter (where coalesce(${f(ft.firstTimeCaller)}, false) or ${f(ft.crmLead)}) as lead_deals, count(*) as deals,
             -- closedAt − startedAt summed as an interval, then in ms: exact (whole ms, ./leads.ts).
             (extract(epoch from sum(${f(ft.dealClosedAt)} - ${f(ft.startedAt)})) * 1000)::bigint as to_close
      from ${ft} f
      where ${f(ft.tenantId)} = ${tenant.id} and ${f(ft.dealClosedAt)} >= ${windowStart.toISOString()}::timestamptz and ${f(ft.dealClosedAt)} < ${windowEnd.toISOString()}::timestamptz
        and (${f(ft.dealClosedAt)} at time zone ${tenant.timezone})::date = any(${dayList}::date[])
      group by 1, 2, 3, 4, 5, 6
    ) g
    cross join lateral (values ('all', ''), ('agent', g.agent_id), ('queue', g.queue_name), ('campaign', g.campaign_id),
      ('provider', g.provider), ('direction', g.direction)) as v(dim, value)
    group by 2, 3, 4`);
}

const revenueColumns = names(
  roiDayRevenue.tenantId,
  roiDayRevenue.day,
  roiDayRevenue.dim,
  roiDayRevenue.value,
  roiDayRevenue.dealType,
  roiDayRevenue.cents,
  roiDayRevenue.deals,
  roiDayRevenue.toCloseMs,
);

async function lockTenantDays(tx: Tx, tenantId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`roi-days/${tenantId}`}, 0))`);
}

/**
 * The timezone changed since the days were cut (or they never were and rows exist): drop the
 * tenant's rows and mark every day that has calls or costs, in the new timezone.
 */
async function ensureBasis(tx: Tx, tenant: TenantRow): Promise<void> {
  if (await basisCurrent(tx, tenant)) return;
  for (const t of [costDayShares, roiDayCalls, roiDayRevenue, roiDayConversions, roiDirtyDays]) await tx.execute(sql`delete from ${t} where ${t.tenantId} = ${tenant.id}`);
  const tz = tenant.timezone;
  await tx.execute(sql`
    insert into ${roiDirtyDays} (${names(roiDirtyDays.tenantId, roiDirtyDays.day)})
    select distinct ${tenant.id}::uuid, (${calls.startedAt} at time zone ${tz})::date from ${calls} where ${calls.tenantId} = ${tenant.id}
    union
    select distinct ${tenant.id}::uuid, (${attributionCredits.dealClosedAt} at time zone ${tz})::date from ${attributionCredits}
    where ${attributionCredits.tenantId} = ${tenant.id} and ${attributionCredits.dealClosedAt} is not null
    union
    select distinct ${tenant.id}::uuid, (${crmDeals.closedAt} at time zone ${tz})::date from ${crmDeals}
    where ${crmDeals.tenantId} = ${tenant.id} and ${crmDeals.stage} = 'won' and ${crmDeals.closedAt} is not null
    union
    select ${tenant.id}::uuid, g::date from ${costs}
      cross join lateral generate_series(${costs.periodStart}::timestamp, ${costs.periodEnd}::timestamp, interval '1 day') g
    where ${costs.tenantId} = ${tenant.id}`);
  await tx
    .insert(roiBasis)
    .values({ tenantId: tenant.id, timezone: tz })
    .onConflictDoUpdate({ target: roiBasis.tenantId, set: { timezone: tz } });
}

/** Rebuild the tenant's dirty days, `daysPerBatch` distinct days per transaction. Returns the days rebuilt. */
export async function refreshDirtyDays(db: Database, tenantId: string, daysPerBatch = 16): Promise<number> {
  let rebuilt = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      await lockTenantDays(tx, tenantId);
      const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, tenantId));
      if (!tenant) {
        await tx.delete(roiDirtyDays).where(eq(roiDirtyDays.tenantId, tenantId));
        return true;
      }
      await ensureBasis(tx, tenant);
      // The earliest dirty days, every mark of them (the lock makes this the only claimer).
      const taken = await queryRows<{ day: string; revenue_only: boolean }>(
        tx,
        sql`delete from ${roiDirtyDays} where ${roiDirtyDays.tenantId} = ${tenantId} and ${roiDirtyDays.day} in (
              select distinct ${roiDirtyDays.day} from ${roiDirtyDays} where ${roiDirtyDays.tenantId} = ${tenantId} order by 1 limit ${daysPerBatch})
            returning to_char(${roiDirtyDays.day}, 'YYYY-MM-DD') as day, ${roiDirtyDays.revenueOnly} as revenue_only`,
      );
      if (taken.length === 0) return true;
      // A day whose every mark is revenue-only (deal close days: credits recomputed, deals won or
      // lost) keeps its cost shares and call counts, as readers do meanwhile (RoiReadState
      // dirtyCostDays): only its revenue rows are rebuilt. Spreading the costs over the day's calls
      // again is most of a day's work, and a CRM upload marks the close days of all its deals.
      const everything = new Set(taken.filter((r) => !r.revenue_only).map((r) => r.day));
      const days = [...new Set(taken.map((r) => r.day))].sort();
      const revenueOnly = days.filter((day) => !everything.has(day));
      if (everything.size > 0) await storeDays(tx, tenant, [...everything].sort());
      if (revenueOnly.length > 0) await rebuildRevenueDays(tx, tenant, revenueOnly);
      rebuilt += days.length;
      return false;
    });
    if (done) return rebuilt;
  }
}

/**
 * Mark the days of these instants (in the tenant's timezone) dirty. `revenueOnly`: only their
 * revenue changed (deal close days), so readers keep using their stored cost shares and counts.
 */
export async function markInstants(tx: Executor, tenantId: string, instants: Date[], opts: { revenueOnly?: boolean } = {}): Promise<void> {
  if (instants.length === 0) return;
  await tx.execute(instantMarks(tenantId, instants, opts));
}

/** markInstants' statement, for a caller that sends it with another (a data-modifying `with`). */
export function instantMarks(tenantId: string, instants: Date[], opts: { revenueOnly?: boolean } = {}): SQL {
  return sql`
    insert into ${roiDirtyDays} (${names(roiDirtyDays.tenantId, roiDirtyDays.day, roiDirtyDays.revenueOnly)})
    select distinct ${tenants.id}, (x::timestamptz at time zone ${tenants.timezone})::date, ${opts.revenueOnly === true}::boolean
    from ${tenants}, jsonb_array_elements_text(${JSON.stringify(instants.map((d) => d.toISOString()))}::jsonb) x
    where ${tenants.id} = ${tenantId}`;
}

/** Mark the days of cost periods dirty (both ends included). */
export async function markCostDaysDirty(tx: Executor, tenantId: string, periods: readonly { periodStart: string; periodEnd: string }[]): Promise<void> {
  if (periods.length === 0) return;
  await tx.execute(sql`
    insert into ${roiDirtyDays} (${names(roiDirtyDays.tenantId, roiDirtyDays.day)})
    select distinct ${tenantId}::uuid, g::date
    from jsonb_array_elements(${JSON.stringify(periods.map((p) => [p.periodStart, p.periodEnd]))}::jsonb) p
    cross join lateral generate_series((p->>0)::timestamp, (p->>1)::timestamp, interval '1 day') g`);
}

/**
 * Mark the days whose rows depend on which id these agents count under (a link made or undone):
 * the days of their calls (counts, and the shares spread over them), of the costs scoped to them
 * (now spread over the pair's calls, or no longer) and the close days of the deals credited to
 * their calls (roi_day_revenue by agent) or first touched by them (roi_day_conversions by agent).
 */
export async function markAgentDaysDirty(tx: Executor, tenantId: string, agentIds: readonly string[]): Promise<void> {
  if (agentIds.length === 0) return;
  const ids = pgArray(agentIds);
  const ac = attributionCredits;
  await tx.execute(sql`
    insert into ${roiDirtyDays} (${names(roiDirtyDays.tenantId, roiDirtyDays.day)})
    select ${tenantId}::uuid, day from (
      select (${calls.startedAt} at time zone ${tenants.timezone})::date as day
      from ${calls} join ${tenants} on ${tenants.id} = ${calls.tenantId}
      where ${calls.tenantId} = ${tenantId} and ${calls.agentId} = any(${ids}::text[])
      union
      select (${ac.dealClosedAt} at time zone ${tenants.timezone})::date
      from ${ac} join ${tenants} on ${tenants.id} = ${ac.tenantId}
      where ${ac.tenantId} = ${tenantId} and ${ac.agentId} = any(${ids}::text[]) and ${ac.dealClosedAt} is not null
      union
      select (${dealFirstTouches.dealClosedAt} at time zone ${tenants.timezone})::date
      from ${dealFirstTouches} join ${tenants} on ${tenants.id} = ${dealFirstTouches.tenantId}
      where ${dealFirstTouches.tenantId} = ${tenantId} and ${dealFirstTouches.agentId} = any(${ids}::text[])
      union
      select g::date from ${costs} cross join lateral generate_series(${costs.periodStart}::timestamp, ${costs.periodEnd}::timestamp, interval '1 day') g
      where ${costs.tenantId} = ${tenantId} and ${costs.agentId} = any(${ids}::text[])
    ) days`);
}

/** Dirty day marks and dirty deals of the tenant (GET /v1/status counts them as pending jobs). */
export async function pendingRoiWork(db: Executor, tenantId: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    db,
    sql`select ((select count(*) from (select 1 from ${roiDirtyDays} where ${roiDirtyDays.tenantId} = ${tenantId} limit 10000) a)
              + (select count(*) from (select 1 from ${attributionDirtyDeals} where ${attributionDirtyDeals.tenantId} = ${tenantId} limit 10000) b))::text as n`,
  );
  return Number(row?.n ?? 0);
}

/**
 * The local close days of the deals waiting for the job (SQL, a set of dates): the days their
 * stored credits and first touches (as last recomputed) and their won amounts (as the CRM has
 * them now) lie in.
 * A waiting deal's stored credits are stale, and its close day may have been rebuilt with them
 * (the job drains deals before days: a deal marked in between waits on a clean day), so readers
 * compute these days' revenue on the fly, without the waiting deals, which they attribute now:
 * no stored day holds a waiting deal, and nothing needs subtracting.
 */
function waitingCloseDaysSql(tenant: TenantRow): SQL {
  const x = (column: { name: string }) => col('x', column);
  const a = (column: { name: string }) => col('a', column);
  const d = (column: { name: string }) => col('d', column);
  const dd = attributionDirtyDeals;
  const ac = attributionCredits;
  return sql`select (${a(ac.dealClosedAt)} at time zone ${tenant.timezone})::date as day
      from ${dd} x join ${ac} a on ${a(ac.dealId)} = ${x(dd.dealId)} and ${a(ac.tenantId)} = ${x(dd.tenantId)}
      where ${x(dd.tenantId)} = ${tenant.id} and ${a(ac.dealClosedAt)} is not null
      union
      select (${d(crmDeals.closedAt)} at time zone ${tenant.timezone})::date
      from ${dd} x join ${crmDeals} d on ${d(crmDeals.id)} = ${x(dd.dealId)} and ${d(crmDeals.tenantId)} = ${x(dd.tenantId)}
      where ${x(dd.tenantId)} = ${tenant.id} and ${d(crmDeals.stage)} = 'won' and ${d(crmDeals.closedAt)} is not null
      union
      select (${col('f', dealFirstTouches.dealClosedAt)} at time zone ${tenant.timezone})::date
      from ${dd} x join ${dealFirstTouches} f on ${col('f', dealFirstTouches.dealId)} = ${x(dd.dealId)}
      where ${x(dd.tenantId)} = ${tenant.id}`;
}

/**
 * The distinct days of [first, last] a reader computes on the fly (for `what`: see DirtyFor):
 * the days marked dirty, and for the revenue the close days of the deals waiting for the job.
 */
function dirtyDaysSql(tenant: TenantRow, first: string, last: string, what: DirtyFor): SQL {
  const d = roiDirtyDays;
  const marked = sql`select ${d.day} as day from ${d}
      where ${d.tenantId} = ${tenant.id} and ${d.day} >= ${first}::date and ${d.day} <= ${last}::date
        ${what === 'costs-and-counts' ? sql`and not ${d.revenueOnly}` : sql``}`;
  if (what === 'costs-and-counts') return marked;
  return sql`${marked}
      union
      select day from (${waitingCloseDaysSql(tenant)}) w where day >= ${first}::date and day <= ${last}::date`;
}

/** The days of [first, last] a reader computes on the fly, read now (see dirtyDaysSql). */
export async function dirtyDaysBetween(db: Executor, tenant: TenantRow, first: string, last: string, what: DirtyFor): Promise<string[]> {
  const rows = await queryRows<{ day: string }>(
    db,
    sql`select distinct to_char(day, 'YYYY-MM-DD') as day from (${dirtyDaysSql(tenant, first, last, what)}) days order by 1`,
  );
  return rows.map((r) => r.day);
}

/**
 * What a reader of the stored ROI figures must know before summing them, read once per request in
 * one round trip: whether the days are cut in the tenant's timezone, which days of
 * [first, last] are computed on the fly (see dirtyDaysSql), and which deals wait for the job
 * (attributed now, their stored credits left out). Each reader narrows the days to its own.
 */
export interface RoiReadState {
  current: boolean;
  /** Days with any mark, and the close days of the waiting deals: their revenue is computed on the fly. */
  dirtyDays: string[];
  /** Of those, the days whose cost shares and call counts are stale too (a mark not revenue-only). */
  dirtyCostDays: string[];
  waitingDealIds: string[];
}

/** What a reader reads of a dirty day on the fly: its revenue (any mark) or its cost shares and counts. */
export type DirtyFor = 'revenue' | 'costs-and-counts';

export async function readRoiState(db: Executor, tenant: TenantRow, first: string | undefined, last: string | undefined): Promise<RoiReadState> {
  const daysOf = (what: DirtyFor) =>
    first && last
      ? sql`coalesce((select array_agg(distinct to_char(day, 'YYYY-MM-DD')) from (${dirtyDaysSql(tenant, first, last, what)}) days), '{}')`
      : sql`'{}'::text[]`;
  const [row] = await queryRows<{ basis: string | null; dirty: string[]; dirty_costs: string[]; waiting: string[] }>(
    db,
    sql`select (select ${roiBasis.timezone} from ${roiBasis} where ${roiBasis.tenantId} = ${tenant.id}) as basis,
               ${daysOf('revenue')} as dirty, ${daysOf('costs-and-counts')} as dirty_costs,
               coalesce((select array_agg(${attributionDirtyDeals.dealId}::text) from ${attributionDirtyDeals}
                         where ${attributionDirtyDeals.tenantId} = ${tenant.id}), '{}') as waiting`,
  );
  return {
    current: row?.basis === tenant.timezone,
    dirtyDays: [...(row?.dirty ?? [])].sort(),
    dirtyCostDays: [...(row?.dirty_costs ?? [])].sort(),
    waitingDealIds: row?.waiting ?? [],
  };
}

/** A reader's dirty days for `what`: those of `state` within [first, last], or read now without a state. */
export async function dirtyDaysOf(db: Executor, tenant: TenantRow, first: string, last: string, state: RoiReadState | undefined, what: DirtyFor): Promise<string[]> {
  if (!state) return dirtyDaysBetween(db, tenant, first, last, what);
  const days = what === 'revenue' ? state.dirtyDays : state.dirtyCostDays;
  return days.filter((day) => day >= first && day <= last);
}

/**
 * What a reader of the stored days settles first: the tenant days wholly inside [from, to) (its
 * `first` and `last`, none when no whole day is), whether the stored days are cut in the tenant's
 * timezone, and which of those days it computes on the fly for `what`. `state`: the request's
 * read state, when the caller has it.
 */
export async function storedDaysOf(
  db: Executor,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  what: DirtyFor,
  state: RoiReadState | undefined,
): Promise<{ current: boolean; first: string | undefined; last: string | undefined; dirty: string[] }> {
  const whole = wholeDaysInRange(range.from, range.to, tenant.timezone);
  const first = whole[0];
  const last = whole[whole.length - 1];
  const [current, dirty] = await readTogether(
    db,
    () => state?.current ?? basisCurrent(db, tenant),
    () => (first && last ? dirtyDaysOf(db, tenant, first, last, state, what) : []),
  );
  return { current, first, last, dirty };
}

/**
 * The tenant days wholly inside [from, to): those whose start lies in it (daysInRange) but the last
 * one when it ends after `to` (only the last can: every other day ends where the next begins).
 */
export function wholeDaysInRange(from: Date, to: Date, timezone: string): string[] {
  const days = daysInRange(from, to, timezone);
  const last = days[days.length - 1];
  return last !== undefined && dayStartUtc(nextDay(last), timezone) > to ? days.slice(0, -1) : days;
}

/** Whether the stored days of the tenant are cut in its current timezone. */
export async function basisCurrent(db: Executor, tenant: TenantRow): Promise<boolean> {
  const [basis] = await db.select({ timezone: roiBasis.timezone }).from(roiBasis).where(eq(roiBasis.tenantId, tenant.id));
  return basis?.timezone === tenant.timezone;
}
