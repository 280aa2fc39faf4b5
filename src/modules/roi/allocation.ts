/**
 * Cost allocation (contract section 7), shared by GET /v1/roi and the KPI costPerCall.
 *
 * 1. Each cost is split over the days of its period (prorateByDay: cents, round down, leftover
 *    cents to the earlier days); a day counts when its 00:00 (tenant time) lies in [from, to).
 * 2. A day's share goes straight to a row when the grouping names the cost's scope: a campaign
 *    cost to its campaign (or its campaign's channel), an agent cost to that agent (an agent linked
 *    to another counts under the other's id: its costs go there, and its calls carry that id).
 *    Under a time grouping (day, week, month, quarter) every share goes straight to the period of
 *    its day, whatever calls that day had (contract section 7): no null-key row.
 * 3. Every other share is pooled per (day, scope, kind) and spread over that day's handled
 *    (answered) calls of the scope — all calls for unscoped costs, the campaign's calls, or the
 *    calls whose `agent` is the agent — in proportion to handleSeconds (spreadOverCalls: cents,
 *    largest remainder, ties to the earliest call). Each call's cents go to the call's row.
 *    A day without such calls puts the pool in the null-key row.
 * 4. With the tenant setting `countProviderPrices`, each call's provider price (in the tenant's
 *    currency; others are ignored) is a direct cost of that call, rounded to the cent half away
 *    from zero, for calls whose day is in the range.
 *
 * Pooling per (day, scope, kind) rather than per cost keeps the work proportional to days × calls
 * and still sums exactly to the range's costs.
 *
 * `allocateCosts` reads the result of steps 1–3 materialised per day (./days.store.ts) and only sums
 * stored rows; `allocateCostsLive` computes them from costs and calls (the reference, used while
 * the tenant's days are not cut in its current timezone).
 */
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, readTogether, type Executor } from '../../db/client.js';
import { calls, costDayShares, costs, type TenantRow } from '../../db/schema/index.js';
import { parseAmount } from '../../domain/money.js';
import { dayStartUtc, daysInRange, prorateByDay, spreadOverCalls } from '../../domain/costs/prorate.js';
import { pgArray } from '../../db/sql.js';
import { effectiveSettings } from '../tenants/index.js';
import { agentLinks, canonicalAgentIdSql } from '../agents/index.js';
import { basisCurrent, computeDays, dirtyDaysOf, type DayDim, type RoiReadState } from './days.store.js';
import { c, callKeySql, campaignChannels, callsWithCampaign, groupByDimensions, isTimeGrouping, timeKey, type AllocationGroupBy, type GroupBy, type RowKey } from './dimensions.js';

export type CostKind = 'direct' | 'indirect';

export interface CostCents {
  total: bigint;
  direct: bigint;
  indirect: bigint;
}

export interface CostAllocation {
  byKey: Map<RowKey, CostCents>;
  total: CostCents;
}

const zero = (): CostCents => ({ total: 0n, direct: 0n, indirect: 0n });

/** An allocation to fill, and the one way cents are added to it (a row and the total together). */
function emptyAllocation() {
  const result: CostAllocation = { byKey: new Map(), total: zero() };
  const add = (key: RowKey, kind: CostKind, cents: bigint) => {
    if (cents === 0n) return;
    const row = result.byKey.get(key) ?? zero();
    row.total += cents;
    row[kind] += cents;
    result.byKey.set(key, row);
    result.total.total += cents;
    result.total[kind] += cents;
  };
  return { result, add };
}

/**
 * The allocation GET /v1/kpis uses for costPerCall: cents per row key, and the range's total.
 * `hour` (the KPI's clock hours) has no stored days: it is computed from costs and calls.
 */
export async function allocatedCostCents(
  db: Executor,
  tenant: TenantRow,
  range: { from: Date; to: Date },
  groupBy: string,
): Promise<{ byKey: Map<string | null, bigint>; totalCents: bigint }> {
  const by = asGroupBy(groupBy);
  const allocation = by === 'hour' ? await allocateCostsLive(db, tenant, range, by) : await allocateCosts(db, tenant, range, by);
  return {
    byKey: new Map([...allocation.byKey].map(([key, cents]) => [key, cents.total])),
    totalCents: allocation.total.total,
  };
}

export function asGroupBy(groupBy: string): AllocationGroupBy {
  if (groupBy !== 'hour' && !(groupByDimensions as readonly string[]).includes(groupBy)) {
    throw new RangeError(`groupBy must be hour or one of ${groupByDimensions.join(', ')}, got ${groupBy}`);
  }
  return groupBy as AllocationGroupBy;
}

interface HandledCall {
  id: string;
  ms: string;
  handle_seconds: number;
  agent_id: string | null;
  campaign_id: string | null;
  day: string;
  key: string | null;
}

/**
 * The allocation of the range: from the materialised days (./days.store.ts: stored rows for clean
 * days, the dirty days of the range computed now) when they are cut in the tenant's timezone,
 * else computed here from costs and calls. Both give the same cents. `state`: the request's
 * read state (./days.store.ts readRoiState), when the caller has it.
 */
export async function allocateCosts(db: Executor, tenant: TenantRow, range: { from: Date; to: Date }, groupBy: GroupBy, state?: RoiReadState): Promise<CostAllocation> {
  const days = daysInRange(range.from, range.to, tenant.timezone);
  const first = days[0];
  const last = days[days.length - 1];
  const [current, dirty, keyOf] = await readTogether(
    db,
    () => state?.current ?? basisCurrent(db, tenant),
    () => (first && last ? dirtyDaysOf(db, tenant, first, last, state, 'costs-and-counts') : []),
    () => shareKeyFn(db, tenant, groupBy),
  );
  if (!current) return allocateCostsLive(db, tenant, range, groupBy);
  const { result, add } = emptyAllocation();
  if (first && last) {
    const dim = dayDimOf(groupBy);
    const s = costDayShares;
    // Under a time grouping a share's row is its day's period alone: summed per day and kind in SQL
    // (a few rows a day instead of one per pool).
    const time = isTimeGrouping(groupBy);
    const stored = await queryRows<{ kind: CostKind; scope_campaign_id: string | null; scope_agent_id: string | null; value: string | null; day: string | null; cents: string }>(
      db,
      time
        ? sql`select ${s.kind} as kind, null as scope_campaign_id, null as scope_agent_id, null as value,
                     to_char(${s.day}, 'YYYY-MM-DD') as day, sum(${s.cents})::text as cents
              from ${s}
              where ${s.tenantId} = ${tenant.id} and ${s.dim} = ${dim} and ${s.day} >= ${first}::date and ${s.day} <= ${last}::date
                and ${s.day} <> all(${pgArray(dirty)}::date[])
              group by ${s.kind}, ${s.day}`
        : sql`select ${s.kind} as kind, ${s.scopeCampaignId}::text as scope_campaign_id, ${s.scopeAgentId} as scope_agent_id, ${s.value} as value,
                     null as day, sum(${s.cents})::text as cents
              from ${s}
              where ${s.tenantId} = ${tenant.id} and ${s.dim} = ${dim} and ${s.day} >= ${first}::date and ${s.day} <= ${last}::date
                and ${s.day} <> all(${pgArray(dirty)}::date[])
              group by 1, 2, 3, 4`,
    );
    for (const r of stored) add(keyOf(r.scope_campaign_id, r.scope_agent_id, r.value, r.day), r.kind, BigInt(r.cents));
    if (dirty.length > 0) {
      for (const r of (await computeDays(db, tenant, dirty)).shares) {
        if (r.dim === dim) add(keyOf(r.scopeCampaignId, r.scopeAgentId, r.value, r.day), r.kind, r.cents);
      }
    }
    if (effectiveSettings(tenant.settings).countProviderPrices) await addProviderPrices(db, tenant, first, last, groupBy, add);
  }
  return result;
}


/** The dimension of the stored rows a grouping reads (channel: by campaign, then its channel). */
export function dayDimOf(groupBy: GroupBy): DayDim {
  if (isTimeGrouping(groupBy)) return 'all';
  if (groupBy === 'channel') return 'campaign';
  return groupBy as DayDim;
}

/**
 * The row of a stored share: its scope when the grouping names it (a campaign cost in its
 * campaign or channel, an agent cost in its agent), else the key of the calls it was spread over
 * (value null: the day had none, the null row).
 */
async function shareKeyFn(db: Executor, tenant: TenantRow, groupBy: GroupBy) {
  const channelOf =
    groupBy === 'channel'
      ? await campaignChannels(db, tenant.id)
      : null;
  return (scopeCampaignId: string | null, scopeAgentId: string | null, value: string | null, day: string | null): RowKey => {
    switch (groupBy) {
      case 'campaign':
        return scopeCampaignId ?? value;
      case 'channel': {
        const campaignId = scopeCampaignId ?? value;
        return campaignId === null ? null : (channelOf!.get(campaignId) ?? null);
      }
      case 'agent':
        return scopeAgentId ?? value;
      case 'day':
      case 'week':
      case 'month':
      case 'quarter':
        // The period of the share's day, whether the day had calls to spread it over or not.
        return timeKey(groupBy, day!);
      default:
        return value;
    }
  };
}

/** countProviderPrices: each call's price, a direct cost of the call, for the calls of the range's days. */
async function addProviderPrices(
  db: Executor,
  tenant: TenantRow,
  first: string,
  last: string,
  groupBy: AllocationGroupBy,
  add: (key: RowKey, kind: CostKind, cents: bigint) => void,
): Promise<void> {
  const windowStart = dayStartUtc(first, tenant.timezone);
  const windowEnd = dayStartUtc(DateTime.fromISO(last, { zone: 'utc' }).plus({ days: 1 }).toISODate()!, tenant.timezone);
  const priced = await queryRows<{ key: string | null; cents: string }>(
    db,
    sql`select ${callKeySql(groupBy, tenant.timezone)} as key, sum(round(${c(calls.costAmount)} * 100))::bigint::text as cents
        from ${callsWithCampaign}
        where ${c(calls.tenantId)} = ${tenant.id} and ${c(calls.costAmount)} is not null and ${c(calls.costCurrency)} = ${tenant.currency}
          and ${c(calls.startedAt)} >= ${windowStart.toISOString()}::timestamptz and ${c(calls.startedAt)} < ${windowEnd.toISOString()}::timestamptz
        group by 1`,
  );
  for (const p of priced) add(p.key, 'direct', BigInt(p.cents));
}

/** The allocation computed from costs and calls on each call (the reference the stored days reproduce). */
export async function allocateCostsLive(db: Executor, tenant: TenantRow, range: { from: Date; to: Date }, groupBy: AllocationGroupBy): Promise<CostAllocation> {
  const { result, add } = emptyAllocation();

  const days = daysInRange(range.from, range.to, tenant.timezone);
  if (days.length === 0) return result;
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const daySet = new Set(days);
  const windowStart = dayStartUtc(first, tenant.timezone);
  const windowEnd = dayStartUtc(DateTime.fromISO(last, { zone: 'utc' }).plus({ days: 1 }).toISODate()!, tenant.timezone);

  const costRows = await db
    .select()
    .from(costs)
    .where(and(eq(costs.tenantId, tenant.id), lte(costs.periodStart, last), gte(costs.periodEnd, first), eq(costs.currency, tenant.currency)));
  const channelOf = await campaignChannels(db, tenant.id);
  // Either agent of a linked pair names the pair: its costs count under the first agent's id and
  // spread over the pair's calls (which carry that id, ./dimensions.ts).
  const links = await agentLinks(db, tenant.id);
  const agentOf = (agentId: string) => links.get(agentId) ?? agentId;

  // Pools of shares to spread over calls, keyed by day, scope and kind.
  const pools = new Map<string, { day: string; scope: Scope; kind: CostKind; cents: bigint }>();
  for (const cost of costRows) {
    const kind: CostKind = cost.kind === 'direct' ? 'direct' : 'indirect';
    for (const share of prorateByDay(parseAmount(cost.amount), cost.periodStart, cost.periodEnd)) {
      if (!daySet.has(share.day) || share.cents === 0n) continue;
      if (isTimeGrouping(groupBy)) add(timeKey(groupBy, share.day), kind, share.cents);
      else if (cost.campaignId && groupBy === 'campaign') add(cost.campaignId, kind, share.cents);
      else if (cost.campaignId && groupBy === 'channel') add(channelOf.get(cost.campaignId) ?? null, kind, share.cents);
      else if (cost.agentId && groupBy === 'agent') add(agentOf(cost.agentId), kind, share.cents);
      else {
        const scope: Scope = cost.campaignId ? { campaignId: cost.campaignId } : cost.agentId ? { agentId: agentOf(cost.agentId) } : {};
        const poolKey = `${share.day}\u0000${scope.campaignId ?? ''}\u0000${scope.agentId ?? ''}\u0000${kind}`;
        const pool = pools.get(poolKey) ?? { day: share.day, scope, kind, cents: 0n };
        pool.cents += share.cents;
        pools.set(poolKey, pool);
      }
    }
  }

  if (pools.size > 0) {
    const handled = await queryRows<HandledCall>(
      db,
      sql`select ${c(calls.id)} as id, (extract(epoch from ${c(calls.startedAt)}) * 1000)::bigint::text as ms,
                 ${c(calls.handleSeconds)} as handle_seconds, ${canonicalAgentIdSql(c(calls.tenantId), c(calls.agentId))} as agent_id, ${c(calls.campaignId)}::text as campaign_id,
                 to_char(${c(calls.startedAt)} at time zone ${tenant.timezone}, 'YYYY-MM-DD') as day,
                 ${callKeySql(groupBy, tenant.timezone)} as key
          from ${callsWithCampaign}
          where ${c(calls.tenantId)} = ${tenant.id} and ${c(calls.status)} = 'answered'
            and ${c(calls.startedAt)} >= ${windowStart.toISOString()}::timestamptz and ${c(calls.startedAt)} < ${windowEnd.toISOString()}::timestamptz
          order by ${c(calls.startedAt)}, ${c(calls.id)}`,
    );
    const byDay = new Map<string, HandledCall[]>();
    for (const call of handled) {
      const list = byDay.get(call.day) ?? [];
      list.push(call);
      byDay.set(call.day, list);
    }
    for (const pool of pools.values()) {
      const candidates = (byDay.get(pool.day) ?? []).filter(
        (c) => (pool.scope.campaignId === undefined || c.campaign_id === pool.scope.campaignId) && (pool.scope.agentId === undefined || c.agent_id === pool.scope.agentId),
      );
      if (candidates.length === 0) {
        add(null, pool.kind, pool.cents);
        continue;
      }
      const shares = spreadOverCalls(
        pool.cents,
        candidates.map((c) => ({ id: c.id, startedAt: new Date(Number(c.ms)), handleSeconds: c.handle_seconds })),
      );
      const keyOf = new Map(candidates.map((c) => [c.id, c.key]));
      for (const [callId, cents] of shares) add(keyOf.get(callId) ?? null, pool.kind, cents);
    }
  }

  if (effectiveSettings(tenant.settings).countProviderPrices) await addProviderPrices(db, tenant, first, last, groupBy, add);
  return result;
}

interface Scope {
  campaignId?: string;
  agentId?: string;
}
