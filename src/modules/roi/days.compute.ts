/**
 * The rows of ROI days (./days.store.ts), computed in PostgreSQL.
 *
 * A day's rows used to be computed in Node from every call of the day: on a day with tens of
 * thousands of calls, each `roi-refresh` (re-run every second while events arrive) read them all
 * over the wire, and the worker's CPU per event grew with the calls already there (BENCHMARKS.md,
 * process section: 1.4 ms per event at 1 500 calls, 4 to 10 ms at 60 000). Now only the cost pools
 * are computed here (a few costs, with the money rules of src/domain/costs/prorate.ts); the calls
 * never leave the database: their counts are one GROUP BY, and each pool is spread over its
 * candidate calls by the same largest-remainder rule as `spreadOverCalls`, in window functions.
 *
 * The cents are exactly those of the TypeScript computation (test/oracles/roi-days.ts, compared
 * on random data by test/roi-days-sql.test.ts):
 * - a pool's candidates are the day's answered calls of its scope (campaign, else canonical agent);
 * - each gets ⌊|cents| × w / W⌋ with w its handle seconds and W their sum (w = 1, W = count when
 *   every w is 0), the leftover cents one each to the largest remainders, ties to the earliest
 *   call by (startedAt in whole milliseconds, id), and a negative pool mirrors the positive one;
 * - a pool without candidates is the null-value row of every dimension;
 * - a call's share counts under each of its dimension values (zero shares are not rows).
 */
import { and, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, readTogether, type Executor } from '../../db/client.js';
import { calls, costs, type TenantRow } from '../../db/schema/index.js';
import { dayStartUtc, prorateByDay } from '../../domain/costs/prorate.js';
import { parseAmount } from '../../domain/money.js';
import { PERIOD_DIMS, type PeriodDim } from '../../domain/dimensions.js';
import { pgArray } from '../../db/sql.js';
import { agentLinks, canonicalAgentIdSql } from '../agents/index.js';

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

/** A day's share of the costs of one scope and kind, to be spread over that scope's calls. */
export interface CostPool {
  day: string;
  kind: 'direct' | 'indirect';
  campaignId: string | null;
  agentId: string | null;
  cents: bigint;
}

const nextDay = (day: string) => DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;

/** The UTC instants of [00:00 of the first day, 00:00 after the last) in the tenant's timezone. */
export function dayWindow(tenant: TenantRow, days: readonly string[]): { start: string; end: string } {
  return {
    start: dayStartUtc(days[0]!, tenant.timezone).toISOString(),
    end: dayStartUtc(nextDay(days[days.length - 1]!), tenant.timezone).toISOString(),
  };
}

/** The cost pools of these (sorted) days: each cost's day shares summed per (day, scope, kind). */
export async function costPools(db: Executor, tenant: TenantRow, days: readonly string[]): Promise<CostPool[]> {
  if (days.length === 0) return [];
  const daySet = new Set(days);
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const [costRows, links] = await readTogether(
    db,
    () =>
      db
        .select()
        .from(costs)
        .where(and(eq(costs.tenantId, tenant.id), lte(costs.periodStart, last), gte(costs.periodEnd, first), eq(costs.currency, tenant.currency))),
    () => agentLinks(db, tenant.id),
  );
  const pools = new Map<string, CostPool>();
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
  return [...pools.values()];
}

/** The calls of these days, local day as text (`day`), by an index range then exactly by day. */
function dayCallsSql(tenant: TenantRow, days: readonly string[], where: SQL = sql`true`): SQL {
  const { start, end } = dayWindow(tenant, days);
  return sql`select ${calls.id} as id, (extract(epoch from ${calls.startedAt}) * 1000)::bigint as ms,
                    to_char(${calls.startedAt} at time zone ${tenant.timezone}, 'YYYY-MM-DD') as day,
                    ${calls.handleSeconds} as handle_seconds, ${calls.agentId} as raw_agent_id, ${calls.queueName} as queue_name,
                    ${calls.campaignId}::text as campaign_id, ${calls.provider} as provider, ${calls.direction} as direction,
                    (coalesce(${calls.firstTimeCaller}, false) or ${calls.crmLead}) as lead
             from ${calls}
             where ${calls.tenantId} = ${tenant.id} and ${calls.startedAt} >= ${start}::timestamptz and ${calls.startedAt} < ${end}::timestamptz
               and to_char(${calls.startedAt} at time zone ${tenant.timezone}, 'YYYY-MM-DD') = any(${pgArray(days)}::text[])
               and ${where}`;
}

/** Every dimension value of a row `alias` with columns agent_id, queue_name, campaign_id, provider, direction ('all': ''). */
const dimValues = (alias: string) =>
  sql.raw(`(values ('all', ''), ('agent', ${alias}.agent_id), ('queue', ${alias}.queue_name), ('campaign', ${alias}.campaign_id),
    ('provider', ${alias}.provider), ('direction', ${alias}.direction)) as v(dim, value)`);

/**
 * The call counts of these days: columns day (text), dim, value, calls, leads. The calls are grouped by
 * their raw fields first, so the agent link is looked up once per agent, not once per call.
 */
export function countsSql(tenant: TenantRow, days: readonly string[]): SQL {
  return sql`
    select g.day, v.dim, v.value, sum(g.n)::int as calls, sum(g.leads)::int as leads
    from (
      select dc.day, ${canonicalAgentIdSql(sql`${tenant.id}::uuid`, sql`dc.raw_agent_id`)} as agent_id, dc.queue_name, dc.campaign_id, dc.provider, dc.direction, dc.n, dc.leads
      from (
        select day, raw_agent_id, queue_name, campaign_id, provider, direction, count(*) as n, count(*) filter (where lead) as leads
        from (${dayCallsSql(tenant, days)}) c
        group by 1, 2, 3, 4, 5, 6
      ) dc
    ) g
    cross join lateral ${dimValues('g')}
    group by 1, 2, 3`;
}

/**
 * The cost shares of these days' pools, spread over their candidate calls: columns day (text),
 * kind, scope_campaign_id, scope_agent_id, dim, value, cents (bigint). See the rule above.
 */
export function sharesSql(tenant: TenantRow, days: readonly string[], pools: readonly CostPool[]): SQL {
  const poolJson = JSON.stringify(pools.map((p) => [p.day, p.kind, p.campaignId, p.agentId, p.cents.toString()]));
  return sql`
    with pools as (
      select p.n as pool_no, p.r->>0 as day, p.r->>1 as kind, p.r->>2 as campaign_id, p.r->>3 as agent_id, (p.r->>4)::numeric as cents
      from jsonb_array_elements(${poolJson}::jsonb) with ordinality as p(r, n)
    ), handled as (
      select h.id, h.ms, h.day, h.handle_seconds, ${canonicalAgentIdSql(sql`${tenant.id}::uuid`, sql`h.raw_agent_id`)} as agent_id,
             h.queue_name, h.campaign_id, h.provider, h.direction
      from (${dayCallsSql(tenant, days, sql`${calls.status} = 'answered'`)}) h
    ), candidates as (
      select p.pool_no, p.day, p.kind, p.campaign_id as scope_campaign_id, p.agent_id as scope_agent_id, p.cents, h.id, h.ms, h.handle_seconds,
             h.agent_id, h.queue_name, h.campaign_id, h.provider, h.direction,
             sum(h.handle_seconds) over w as weight_sum, count(*) over w as n
      from pools p
      join handled h on h.day = p.day and (p.campaign_id is null or h.campaign_id = p.campaign_id) and (p.agent_id is null or h.agent_id = p.agent_id)
      window w as (partition by p.pool_no)
    ), floored as (
      select c.*, div(abs(c.cents) * e.w, e.den) as base, mod(abs(c.cents) * e.w, e.den) as rem
      from candidates c
      cross join lateral (select case when c.weight_sum = 0 then 1 else c.handle_seconds end::numeric as w,
                                 case when c.weight_sum = 0 then c.n else c.weight_sum end::numeric as den) e
    ), ranked as (
      select f.*, abs(f.cents) - sum(f.base) over (partition by f.pool_no) as leftover,
             row_number() over (partition by f.pool_no order by f.rem desc, f.ms, f.id) as rk
      from floored f
    ), spread as (
      select r.*, sign(r.cents) * (r.base + case when r.rk <= r.leftover then 1 else 0 end) as share from ranked r
    ), by_values as (
      -- The calls' shares summed per pool and dimension values first (as countsSql does), so the
      -- rows multiplied by the six dimensions are value combinations, not calls: sorting six rows
      -- per call spilled to disk and was most of a day's rebuild (bench/roi.ts). A pool's shares
      -- all bear its sign, so no sum of non-zero shares is zero.
      select day, kind, scope_campaign_id, scope_agent_id, agent_id, queue_name, campaign_id, provider, direction, sum(share) as cents
      from spread
      where share <> 0
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9
    )
    select s.day, s.kind, s.scope_campaign_id, s.scope_agent_id, v.dim, v.value, sum(s.cents)::bigint as cents
    from by_values s cross join lateral ${dimValues('s')}
    group by 1, 2, 3, 4, 5, 6
    union all
    select p.day, p.kind, p.campaign_id, p.agent_id, d.dim, null, p.cents::bigint
    from pools p cross join unnest(${pgArray(PERIOD_DIMS)}::text[]) as d(dim)
    where not exists (
      select 1 from handled h
      where h.day = p.day and (p.campaign_id is null or h.campaign_id = p.campaign_id) and (p.agent_id is null or h.agent_id = p.agent_id))`;
}

/** The rows of these days (sorted, distinct), computed from costs and calls as they are now. */
export async function computeDays(db: Executor, tenant: TenantRow, days: readonly string[]): Promise<{ shares: ShareRow[]; counts: CountRow[] }> {
  if (days.length === 0) return { shares: [], counts: [] };
  const pools = await costPools(db, tenant, days);
  const [countRows, shareRows] = await readTogether(
    db,
    () => queryRows<{ day: string; dim: DayDim; value: string | null; calls: number; leads: number }>(db, countsSql(tenant, days)),
    () =>
      pools.length === 0
        ? []
        : queryRows<{ day: string; kind: 'direct' | 'indirect'; scope_campaign_id: string | null; scope_agent_id: string | null; dim: DayDim; value: string | null; cents: string }>(
            db,
            sharesSql(tenant, days, pools),
          ),
  );
  return {
    counts: countRows.map((r) => ({ day: r.day, dim: r.dim, value: r.value, calls: Number(r.calls), leads: Number(r.leads) })),
    shares: shareRows.map((r) => ({
      day: r.day,
      kind: r.kind,
      scopeCampaignId: r.scope_campaign_id,
      scopeAgentId: r.scope_agent_id,
      dim: r.dim,
      value: r.value,
      cents: BigInt(r.cents),
    })),
  };
}
