/**
 * A test oracle: the rows of ROI days computed in TypeScript from every call of the day, as the hub
 * did before it computed them in PostgreSQL (src/modules/roi/days.compute.ts). It spreads each cost
 * pool with the domain's own `spreadOverCalls`; test/roi-days-sql.test.ts compares the two on random
 * data, to the cent.
 */
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, type Executor } from '../../src/db/client.js';
import { calls, costs, type TenantRow } from '../../src/db/schema/index.js';
import { dayStartUtc, prorateByDay, spreadOverCalls } from '../../src/domain/costs/prorate.js';
import { parseAmount } from '../../src/domain/money.js';
import { PERIOD_DIMS } from '../../src/domain/dimensions.js';
import { agentLinks, canonicalAgentIdSql } from '../../src/modules/agents/index.js';
import type { CountRow, DayDim, ShareRow } from '../../src/modules/roi/days.compute.js';

const DAY_DIMS = PERIOD_DIMS;

interface DayCall {
  id: string;
  ms: string;
  day: string;
  handle_seconds: number;
  status: string;
  agent_id: string | null;
  queue_name: string | null;
  campaign_id: string | null;
  provider: string;
  direction: string;
  lead: boolean;
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
export async function computeDaysReference(db: Executor, tenant: TenantRow, days: readonly string[]): Promise<{ shares: ShareRow[]; counts: CountRow[] }> {
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

