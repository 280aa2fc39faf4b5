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
 *   the fly with the same code (`computeDays`), so figures never lag behind the marks.
 * - The days are cut in the tenant's timezone, recorded in roi_basis: while it differs from the
 *   tenant's (a PATCHed timezone), readers use the live allocation and the job rebuilds everything.
 *
 * A day's rows do not depend on the grouping: every cost share goes into its (day, scope, kind)
 * pool and is spread over the day's handled calls of the scope (src/domain/costs/prorate.ts);
 * readers decide the row (the scope for campaign/channel or agent groupings, the call's key
 * otherwise). The cents are exactly those of `allocateCostsLive` in ./allocation.ts.
 */
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, type Database, type Executor, type Tx } from '../../db/client.js';
import {
  attributionCredits,
  attributionDirtyDeals,
  calls,
  costDayShares,
  costs,
  crmDeals,
  roiBasis,
  roiDayCalls,
  roiDayRevenue,
  roiDirtyDays,
  tenants,
  type TenantRow,
} from '../../db/schema/index.js';
import { dayStartUtc, daysInRange, prorateByDay, spreadOverCalls } from '../../domain/costs/prorate.js';
import { parseAmount } from '../../domain/money.js';
import { PERIOD_DIMS, type PeriodDim } from '../../domain/dimensions.js';
import { col, names, pgArray } from '../../db/sql.js';
import { agentLinks, canonicalAgentIdSql } from '../agents/index.js';

/** The call dimensions a day's rows are summed by ('all': the day itself). */
export const DAY_DIMS = PERIOD_DIMS;
export type DayDim = PeriodDim;

export interface ShareRow {
  day: string;
  kind: 'direct' | 'indirect';
  scopeCampaignId: string | null;
  scopeAgentId: string | null;
  dim: DayDim;
  value: string | null;
  cents: bigint;
}

export interface CountRow {
  day: string;
  dim: DayDim;
  value: string | null;
  calls: number;
  /** Of those, the leads (firstTimeCaller or crmLead). */
  leads: number;
}

interface DayCall {
  id: string;
  lead: boolean;
  ms: string;
  day: string;
  handle_seconds: number;
  status: string;
  agent_id: string | null;
  queue_name: string | null;
  campaign_id: string | null;
  provider: string;
  direction: string;
}

const nextDay = (day: string) => DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;

function dimValues(c: DayCall): [DayDim, string | null][] {
  return [
    ['all', ''],
    ['agent', c.agent_id],
    ['queue', c.queue_name],
    ['campaign', c.campaign_id],
    ['provider', c.provider],
    ['direction', c.direction],
  ];
}

/** The rows of these days (sorted, distinct), computed from costs and calls as they are now. */
export async function computeDays(db: Executor, tenant: TenantRow, days: readonly string[]): Promise<{ shares: ShareRow[]; counts: CountRow[] }> {
  if (days.length === 0) return { shares: [], counts: [] };
  const daySet = new Set(days);
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const windowStart = dayStartUtc(first, tenant.timezone);
  const windowEnd = dayStartUtc(nextDay(last), tenant.timezone);

  const dayCalls = await queryRows<DayCall>(
    db,
    sql`select ${calls.id}, (extract(epoch from ${calls.startedAt}) * 1000)::bigint::text as ms,
               to_char(${calls.startedAt} at time zone ${tenant.timezone}, 'YYYY-MM-DD') as day,
               ${calls.handleSeconds}, ${calls.status}, ${canonicalAgentIdSql(sql`${tenant.id}::uuid`, sql`${calls.agentId}`)} as agent_id, ${calls.queueName}, ${calls.campaignId}::text as campaign_id,
               ${calls.provider}, ${calls.direction}, (coalesce(${calls.firstTimeCaller}, false) or ${calls.crmLead}) as lead
        from ${calls}
        where ${calls.tenantId} = ${tenant.id} and ${calls.startedAt} >= ${windowStart.toISOString()}::timestamptz and ${calls.startedAt} < ${windowEnd.toISOString()}::timestamptz
        order by ${calls.startedAt}, ${calls.id}`,
  );
  const handledByDay = new Map<string, DayCall[]>();
  const counts = new Map<string, CountRow>();
  for (const c of dayCalls) {
    if (!daySet.has(c.day)) continue;
    for (const [dim, value] of dimValues(c)) {
      const k = `${c.day}\u0000${dim}\u0000${value ?? '\u0001'}`;
      const row = counts.get(k);
      const lead = c.lead ? 1 : 0;
      if (row) {
        row.calls += 1;
        row.leads += lead;
      } else counts.set(k, { day: c.day, dim, value, calls: 1, leads: lead });
    }
    if (c.status !== 'answered') continue;
    const list = handledByDay.get(c.day);
    if (list) list.push(c);
    else handledByDay.set(c.day, [c]);
  }

  const [costRows, links] = await Promise.all([
    db
      .select()
      .from(costs)
      .where(and(eq(costs.tenantId, tenant.id), lte(costs.periodStart, last), gte(costs.periodEnd, first), eq(costs.currency, tenant.currency))),
    agentLinks(db, tenant.id),
  ]);
  const pools = new Map<string, { day: string; kind: 'direct' | 'indirect'; campaignId: string | null; agentId: string | null; cents: bigint }>();
  for (const cost of costRows) {
    const kind = cost.kind === 'direct' ? 'direct' : 'indirect';
    // As allocateCostsLive: a cost is scoped by its campaign, else by its agent (either agent of a
    // linked pair names the pair, whose calls carry the first one's id).
    const campaignId = cost.campaignId ?? null;
    const agentId = campaignId || !cost.agentId ? null : (links.get(cost.agentId) ?? cost.agentId);
    for (const share of prorateByDay(parseAmount(cost.amount), cost.periodStart, cost.periodEnd)) {
      if (!daySet.has(share.day) || share.cents === 0n) continue;
      const k = `${share.day}\u0000${campaignId ?? ''}\u0000${agentId ?? ''}\u0000${kind}`;
      const pool = pools.get(k);
      if (pool) pool.cents += share.cents;
      else pools.set(k, { day: share.day, kind, campaignId, agentId, cents: share.cents });
    }
  }

  const shares = new Map<string, ShareRow>();
  const add = (pool: { day: string; kind: 'direct' | 'indirect'; campaignId: string | null; agentId: string | null }, dim: DayDim, value: string | null, cents: bigint) => {
    const k = `${pool.day}\u0000${pool.kind}\u0000${pool.campaignId ?? ''}\u0000${pool.agentId ?? ''}\u0000${dim}\u0000${value ?? '\u0001'}`;
    const row = shares.get(k);
    if (row) row.cents += cents;
    else shares.set(k, { day: pool.day, kind: pool.kind, scopeCampaignId: pool.campaignId, scopeAgentId: pool.agentId, dim, value, cents });
  };
  for (const pool of pools.values()) {
    const candidates = (handledByDay.get(pool.day) ?? []).filter(
      (c) => (pool.campaignId === null || c.campaign_id === pool.campaignId) && (pool.agentId === null || c.agent_id === pool.agentId),
    );
    if (candidates.length === 0) {
      for (const dim of DAY_DIMS) add(pool, dim, null, pool.cents);
      continue;
    }
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const spread = spreadOverCalls(
      pool.cents,
      candidates.map((c) => ({ id: c.id, startedAt: new Date(Number(c.ms)), handleSeconds: c.handle_seconds })),
    );
    for (const [callId, cents] of spread) {
      if (cents === 0n) continue;
      for (const [dim, value] of dimValues(byId.get(callId)!)) add(pool, dim, value, cents);
    }
  }
  return { shares: [...shares.values()], counts: [...counts.values()] };
}

const BATCH = 2000;

async function storeDays(tx: Tx, tenant: TenantRow, days: string[]): Promise<void> {
  const { shares, counts } = await computeDays(tx, tenant, days);
  // Both lists as arrays: the (tenant, dim, day) index serves `dim = any and day = any`.
  const dayList = pgArray(days);
  const dimList = pgArray(DAY_DIMS);
  for (const t of [costDayShares, roiDayCalls]) {
    await tx.execute(sql`delete from ${t} where ${t.tenantId} = ${tenant.id} and ${t.dim} = any(${dimList}::text[]) and ${t.day} = any(${dayList}::date[])`);
  }
  await rebuildRevenueDays(tx, tenant, days);
  // One JSON parameter per batch: thousands of rows in one statement without a parameter each.
  for (let i = 0; i < shares.length; i += BATCH) {
    const rows = shares.slice(i, i + BATCH).map((r) => [r.day, r.kind, r.scopeCampaignId, r.scopeAgentId, r.dim, r.value, r.cents.toString()]);
    await tx.execute(sql`
      insert into ${costDayShares} (${names(costDayShares.tenantId, costDayShares.day, costDayShares.kind, costDayShares.scopeCampaignId, costDayShares.scopeAgentId, costDayShares.dim, costDayShares.value, costDayShares.cents)})
      select ${tenant.id}::uuid, (r->>0)::date, r->>1, (r->>2)::uuid, r->>3, r->>4, r->>5, (r->>6)::bigint
      from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) r`);
  }
  for (let i = 0; i < counts.length; i += BATCH) {
    const rows = counts.slice(i, i + BATCH).map((r) => [r.day, r.dim, r.value, r.calls, r.leads]);
    await tx.execute(sql`
      insert into ${roiDayCalls} (${names(roiDayCalls.tenantId, roiDayCalls.day, roiDayCalls.dim, roiDayCalls.value, roiDayCalls.calls, roiDayCalls.leads)})
      select ${tenant.id}::uuid, (r->>0)::date, r->>1, r->>2, (r->>3)::int, (r->>4)::int
      from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) r`);
  }
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
  for (const t of [costDayShares, roiDayCalls, roiDayRevenue, roiDirtyDays]) await tx.execute(sql`delete from ${t} where ${t.tenantId} = ${tenant.id}`);
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
      const taken = await queryRows<{ day: string }>(
        tx,
        sql`delete from ${roiDirtyDays} where ${roiDirtyDays.tenantId} = ${tenantId} and ${roiDirtyDays.day} in (
              select distinct ${roiDirtyDays.day} from ${roiDirtyDays} where ${roiDirtyDays.tenantId} = ${tenantId} order by 1 limit ${daysPerBatch})
            returning to_char(${roiDirtyDays.day}, 'YYYY-MM-DD') as day`,
      );
      if (taken.length === 0) return true;
      const days = [...new Set(taken.map((r) => r.day))].sort();
      await storeDays(tx, tenant, days);
      rebuilt += days.length;
      return false;
    });
    if (done) return rebuilt;
  }
}

/** Mark the days of these instants (in the tenant's timezone) dirty. */
export async function markInstants(tx: Executor, tenantId: string, instants: Date[]): Promise<void> {
  if (instants.length === 0) return;
  await tx.execute(sql`
    insert into ${roiDirtyDays} (${names(roiDirtyDays.tenantId, roiDirtyDays.day)})
    select distinct ${tenants.id}, (x::timestamptz at time zone ${tenants.timezone})::date
    from ${tenants}, jsonb_array_elements_text(${JSON.stringify(instants.map((d) => d.toISOString()))}::jsonb) x
    where ${tenants.id} = ${tenantId}`);
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
 * their calls (roi_day_revenue by agent).
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

/** The distinct dirty days of the tenant within [first, last]. */
export async function dirtyDaysBetween(db: Executor, tenantId: string, first: string, last: string): Promise<string[]> {
  const rows = await queryRows<{ day: string }>(
    db,
    sql`select distinct to_char(${roiDirtyDays.day}, 'YYYY-MM-DD') as day from ${roiDirtyDays}
        where ${roiDirtyDays.tenantId} = ${tenantId} and ${roiDirtyDays.day} >= ${first}::date and ${roiDirtyDays.day} <= ${last}::date order by 1`,
  );
  return rows.map((r) => r.day);
}

/**
 * What a reader of the stored ROI figures must know before summing them, read once per request in
 * one round trip: whether the days are cut in the tenant's timezone, which days of
 * [first, last] are marked dirty (computed on the fly), and which deals wait for the job (their
 * stored credits are replaced by credits computed now). Each reader narrows the days to its own.
 */
export interface RoiReadState {
  current: boolean;
  dirtyDays: string[];
  waitingDealIds: string[];
}

export async function readRoiState(db: Executor, tenant: TenantRow, first: string | undefined, last: string | undefined): Promise<RoiReadState> {
  const d = roiDirtyDays;
  const [row] = await queryRows<{ basis: string | null; dirty: string[]; waiting: string[] }>(
    db,
    sql`select (select ${roiBasis.timezone} from ${roiBasis} where ${roiBasis.tenantId} = ${tenant.id}) as basis,
               ${
                 first && last
                   ? sql`coalesce((select array_agg(distinct to_char(${d.day}, 'YYYY-MM-DD')) from ${d}
                           where ${d.tenantId} = ${tenant.id} and ${d.day} >= ${first}::date and ${d.day} <= ${last}::date), '{}')`
                   : sql`'{}'::text[]`
               } as dirty,
               coalesce((select array_agg(${attributionDirtyDeals.dealId}::text) from ${attributionDirtyDeals}
                         where ${attributionDirtyDeals.tenantId} = ${tenant.id}), '{}') as waiting`,
  );
  return { current: row?.basis === tenant.timezone, dirtyDays: [...(row?.dirty ?? [])].sort(), waitingDealIds: row?.waiting ?? [] };
}

/** A reader's dirty days: those of `state` within [first, last], or read now without a state. */
export async function dirtyDaysOf(db: Executor, tenant: TenantRow, first: string, last: string, state: RoiReadState | undefined): Promise<string[]> {
  return state ? state.dirtyDays.filter((day) => day >= first && day <= last) : dirtyDaysBetween(db, tenant.id, first, last);
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
