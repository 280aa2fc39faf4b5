/**
 * The cost of each KPI row, costPerCall's numerator (contract sections 6 and 7). The one place the
 * KPI engine reads costs:
 *
 * - grouped by time (day, week, month, quarter), a row holds its period's whole cost: every cost's
 *   daily shares (prorateByDay) of the days in the period, whatever calls those days had;
 * - grouped by hour, a day's cost is not split by clock hour: each (day, scope, kind) pool is spread
 *   over that day's handled calls of its scope (spreadOverCalls, as the ROI allocation does), which
 *   carry it into their hours; a day without such a call puts its pool in the null-key row;
 * - grouped by any other dimension, the ROI module's allocation (allocatedCostCents) decides (by agent: a
 *   linked agent's cents in the row of the agent it is linked to).
 *
 * The total is every cost of the range in each case. With `countProviderPrices`, each call's
 * provider price is a direct cost of that call, in the row of the call's period (or hour).
 */
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, type Database, type Executor } from '../../db/client.js';
import { costs, type TenantRow } from '../../db/schema/index.js';
import { dayOfHourKey, monthOfHourKey, quarterOfHourKey, weekOfHourKey } from '../../domain/kpis/buckets.js';
import { dayStartUtc, daysInRange, prorateByDay, spreadOverCalls } from '../../domain/costs/prorate.js';
import { parseAmount } from '../../domain/money.js';
import { agentLinks, canonicalAgentIdSql } from '../agents/index.js';
import { effectiveSettings } from '../tenants/index.js';
import { allocatedCostCents } from '../roi/index.js';
import { HOUR_KEY_FORMAT } from './invalidate.js';
import { isTimeGroupBy, type KpiGroupBy, type KpiTimeGroupBy } from './kpis.schemas.js';

export interface RowCosts {
  byKey: Map<string | null, bigint>;
  totalCents: bigint;
}

/** The row key of a local hour key under a time grouping. */
export function periodOfHourKey(groupBy: KpiTimeGroupBy, hourKey: string): string {
  switch (groupBy) {
    case 'hour':
      return hourKey;
    case 'day':
      return dayOfHourKey(hourKey);
    case 'week':
      return weekOfHourKey(hourKey);
    case 'month':
      return monthOfHourKey(hourKey);
    case 'quarter':
      return quarterOfHourKey(hourKey);
  }
}

interface CostDayShare {
  day: string;
  kind: 'direct' | 'indirect';
  campaignId: string | null;
  agentId: string | null;
  cents: bigint;
}

/** Each cost's share of each of these days (contract section 7: cents, largest remainder by day). */
async function costDayShares(db: Executor, tenant: TenantRow, days: readonly string[]): Promise<CostDayShare[]> {
  const first = days[0];
  const last = days[days.length - 1];
  if (first === undefined || last === undefined) return [];
  const daySet = new Set(days);
  const rows = await db
    .select()
    .from(costs)
    .where(and(eq(costs.tenantId, tenant.id), lte(costs.periodStart, last), gte(costs.periodEnd, first), eq(costs.currency, tenant.currency)));
  const out: CostDayShare[] = [];
  for (const cost of rows) {
    const kind = cost.kind === 'direct' ? 'direct' : 'indirect';
    for (const share of prorateByDay(parseAmount(cost.amount), cost.periodStart, cost.periodEnd)) {
      if (daySet.has(share.day) && share.cents !== 0n) out.push({ day: share.day, kind, campaignId: cost.campaignId, agentId: cost.agentId, cents: share.cents });
    }
  }
  return out;
}

/** [start of the first day, start of the day after the last) as instants. */
function dayWindow(days: readonly string[], timezone: string): { start: string; end: string } {
  const after = DateTime.fromISO(days[days.length - 1]!, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;
  return { start: dayStartUtc(days[0]!, timezone).toISOString(), end: dayStartUtc(after, timezone).toISOString() };
}

function adder(result: RowCosts) {
  return (key: string | null, cents: bigint) => {
    if (cents === 0n) return;
    result.byKey.set(key, (result.byKey.get(key) ?? 0n) + cents);
    result.totalCents += cents;
  };
}

/** countProviderPrices: each priced call of the days, a direct cost in the row of its hour's period. */
async function addProviderPrices(db: Executor, tenant: TenantRow, days: readonly string[], groupBy: KpiTimeGroupBy, add: (key: string | null, cents: bigint) => void) {
  const w = dayWindow(days, tenant.timezone);
  const priced = await queryRows<{ hour_key: string; cents: string }>(
    db,
    sql`select to_char(c.started_at at time zone ${tenant.timezone}, ${HOUR_KEY_FORMAT}) as hour_key,
          sum(round(c.cost_amount * 100))::bigint::text as cents
        from calls c
        where c.tenant_id = ${tenant.id} and c.cost_amount is not null and c.cost_currency = ${tenant.currency}
          and c.started_at >= ${w.start}::timestamptz and c.started_at < ${w.end}::timestamptz
        group by 1`,
  );
  for (const p of priced) add(periodOfHourKey(groupBy, p.hour_key), BigInt(p.cents));
}

/** Day, week, month, quarter: each daily share in the row of its day's period. */
async function periodCosts(db: Executor, tenant: TenantRow, days: readonly string[], groupBy: KpiTimeGroupBy): Promise<RowCosts> {
  const result: RowCosts = { byKey: new Map(), totalCents: 0n };
  const add = adder(result);
  for (const share of await costDayShares(db, tenant, days)) add(periodOfHourKey(groupBy, `${share.day}T00`), share.cents);
  return result;
}

interface HandledCall {
  id: string;
  ms: string;
  handle_seconds: number;
  agent_id: string | null;
  campaign_id: string | null;
  day: string;
  hour_key: string;
}

/** Hour: each (day, scope, kind) pool spread over the day's handled calls of its scope, into their hours. */
async function hourCosts(db: Executor, tenant: TenantRow, days: readonly string[]): Promise<RowCosts> {
  const result: RowCosts = { byKey: new Map(), totalCents: 0n };
  const add = adder(result);
  const pools = new Map<string, CostDayShare>();
  for (const share of await costDayShares(db, tenant, days)) {
    const key = [share.day, share.campaignId ?? '', share.agentId ?? '', share.kind].join('\u0000');
    const pool = pools.get(key);
    if (pool) pool.cents += share.cents;
    else pools.set(key, { ...share });
  }
  if (pools.size === 0) return result;
  const w = dayWindow(days, tenant.timezone);
  const handled = await queryRows<HandledCall>(
    db,
    sql`select c.id, (extract(epoch from c.started_at) * 1000)::bigint::text as ms, c.handle_seconds,
          ${canonicalAgentIdSql(sql`c.tenant_id`, sql`c.agent_id`)} as agent_id,
          c.campaign_id::text as campaign_id,
          to_char(c.started_at at time zone ${tenant.timezone}, 'YYYY-MM-DD') as day,
          to_char(c.started_at at time zone ${tenant.timezone}, ${HOUR_KEY_FORMAT}) as hour_key
        from calls c
        where c.tenant_id = ${tenant.id} and c.status = 'answered'
          and c.started_at >= ${w.start}::timestamptz and c.started_at < ${w.end}::timestamptz`,
  );
  const byDay = new Map<string, HandledCall[]>();
  for (const call of handled) byDay.set(call.day, [...(byDay.get(call.day) ?? []), call]);
  // A cost scoped to either agent of a linked pair is spread over the pair's calls.
  const links = await agentLinks(db, tenant.id);
  for (const pool of pools.values()) {
    const agentId = pool.agentId === null ? null : (links.get(pool.agentId) ?? pool.agentId);
    const candidates = (byDay.get(pool.day) ?? []).filter(
      (c) => (pool.campaignId === null || c.campaign_id === pool.campaignId) && (agentId === null || c.agent_id === agentId),
    );
    if (candidates.length === 0) {
      add(null, pool.cents);
      continue;
    }
    const hourOf = new Map(candidates.map((c) => [c.id, c.hour_key]));
    const shares = spreadOverCalls(
      pool.cents,
      candidates.map((c) => ({ id: c.id, startedAt: new Date(Number(c.ms)), handleSeconds: c.handle_seconds })),
    );
    for (const [callId, cents] of shares) add(hourOf.get(callId)!, cents);
  }
  return result;
}

/** groupBy=agent: a linked agent's cents (scoped to it, or spread over its calls) go to its pair's row. */
function underLinkedAgents(costs: RowCosts, links: Map<string, string>): RowCosts {
  if (links.size === 0) return costs;
  const byKey = new Map<string | null, bigint>();
  for (const [key, cents] of costs.byKey) {
    const row = key === null ? null : (links.get(key) ?? key);
    byKey.set(row, (byKey.get(row) ?? 0n) + cents);
  }
  return { byKey, totalCents: costs.totalCents };
}

/**
 * The cost of each row of GET /v1/kpis and of its total, in cents.
 */
export async function rowCosts(db: Database, tenant: TenantRow, range: { from: Date; to: Date }, groupBy: KpiGroupBy): Promise<RowCosts> {
  if (!isTimeGroupBy(groupBy)) {
    const allocated = await allocatedCostCents(db, tenant, range, groupBy);
    return groupBy === 'agent' ? underLinkedAgents(allocated, await agentLinks(db, tenant.id)) : allocated;
  }
  const days = daysInRange(range.from, range.to, tenant.timezone);
  if (days.length === 0) return { byKey: new Map(), totalCents: 0n };
  const result = groupBy === 'hour' ? await hourCosts(db, tenant, days) : await periodCosts(db, tenant, days, groupBy);
  if (effectiveSettings(tenant.settings).countProviderPrices) await addProviderPrices(db, tenant, days, groupBy, adder(result));
  return result;
}
