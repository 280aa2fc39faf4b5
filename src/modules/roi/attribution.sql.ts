/**
 * Revenue attribution in SQL (contract section 7), every model, exact to the cent against the
 * TypeScript reference (src/domain/attribution/models.ts `attribute`, which tests compare this with):
 * one statement over the touch CTEs of ./touches.ts credits each touch in cents and sums the credits
 * per row key and deal type, without sending deals × touches to Node.
 *
 * The rules, as in the reference:
 * - touches ordered by (startedAt in ms, call id): the ms are `(extract(epoch) × 1000)::bigint`, the
 *   value the reference is given (./touches.ts), so calls stored with microseconds sort the same;
 * - each touch gets ⌊|amount| × w / W⌋ cents, the leftover cents go one by one to the largest
 *   remainders (|amount| × w mod W), ties to the earliest touch; a negative amount is allocated as
 *   its magnitude then negated; zero credits are left out;
 * - weights: first/last touch and linear in closed form (no remainder ranking needed: linear's
 *   remainders are all equal, so the leftover goes to the first `|amount| mod n` touches);
 *   position_based in closed form too (two remainder classes, ends and middles, ranked by
 *   comparing them); time_decay through `timeDecayWeightSql`, the very operations of the
 *   reference's `timeDecayWeight`, then a ranking of the remainders.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { crmDeals } from '../../db/schema/index.js';
import { names } from '../../db/sql.js';
import { TIME_DECAY_POLYNOMIAL, TIME_DECAY_SCALE_EXPONENT, HALF_LIFE_MS, type AttributionModel } from '../../domain/attribution/models.js';
import type { DealTypeKey } from '../../domain/deals.js';
import { effectiveSettings } from '../tenants/index.js';
import type { StoredRevenue } from './revenue.js';
import type { RevenueSource } from './roi.service.js';
import { touchCtes } from './touches.js';

/** A JS double as a float8 literal: String() gives the shortest text that reads back as the same double. */
const float8 = (x: number): SQL => sql.raw(`'${String(x)}'::float8`);

/**
 * `timeDecayWeight` of src/domain/attribution/models.ts in SQL, over `ageMs` (a bigint ≥ 0, better a
 * plain column: it is repeated): the same IEEE 754 double operations in the same order (/, floor,
 * −, ×, + are correctly rounded on both sides, and each SQL operator is one float8 operation), then
 * the same integer steps, so both give the same weight, bit for bit. PostgreSQL does not share
 * common subexpressions: evaluate it where it is computed once per row (a materialized CTE).
 */
export function timeDecayWeightSql(ageMs: SQL): SQL {
  const x = sql`((${ageMs})::float8 / ${float8(HALF_LIFE_MS)})`;
  const z = sql`((${x} - floor(${x})) * ${float8(Math.LN2)})`;
  const coefficients = TIME_DECAY_POLYNOMIAL;
  let horner: SQL = float8(coefficients[coefficients.length - 1]!);
  for (let n = coefficients.length - 2; n >= 0; n--) horner = sql`(${horner} * ${z} + ${float8(coefficients[n]!)})`;
  const scale = float8(2 ** TIME_DECAY_SCALE_EXPONENT);
  return sql`(case when floor(${x}) >= 63 then 0::bigint else floor(${horner} * ${scale})::bigint >> floor(${x})::int end)`;
}

/**
 * The credited touches of the deals in CTE `d` (columns id, amount_cents (null: left out),
 * closed_at, closed_ms, type, phones, contact_external_id) as CTE `credits`: deal_id, call_id, key,
 * type, closed_ms, cents (0 included), first_ms (the deal's first touch, credited or not). `keySql`: the touch's row key (./touches.ts).
 */
function creditCtes(tenantId: string, model: AttributionModel, windowDays: number, keySql: SQL): SQL {
  // a: |amount| in cents; each touch's rank rn (1-based, by ms then id) of n touches.
  const ranked = sql`${touchCtes(tenantId, windowDays, keySql)}, ranked as (
          select t.deal_id, t.call_id, t.key, tm.ms, abs(d.amount_cents) as a, sign(d.amount_cents) as s, d.type, d.closed_ms,
                 row_number() over (partition by t.deal_id order by tm.ms, t.call_id) as rn,
                 count(*) over (partition by t.deal_id) as n,
                 min(tm.ms) over (partition by t.deal_id) as first_ms,
                 max(tm.ms) over (partition by t.deal_id) as newest_ms
          from t join d on d.id = t.deal_id
          cross join lateral (select (extract(epoch from t.started_at) * 1000)::bigint as ms) tm
          where d.amount_cents is not null
        )`;
  const credited = (centsSql: SQL, from: SQL = sql`ranked`) =>
    sql`${ranked}, credits as (
          select deal_id, call_id, key, type, closed_ms, first_ms, s * (${centsSql}) as cents from ${from}
        )`;
  switch (model) {
    case 'first_touch':
      return credited(sql`case when rn = 1 then a else 0 end`);
    case 'last_touch':
      return credited(sql`case when rn = n then a else 0 end`);
    case 'linear':
      return credited(sql`div(a, n) + case when rn <= mod(a, n) then 1 else 0 end`);
    case 'position_based':
      // n ≥ 3: weights 2(n−2) at both ends, 1 in the middle, W = 5(n−2). An end's share is 2a/5
      // (remainder (2a mod 5)(n−2) over W), a middle's a/(5(n−2)) (remainder a mod 5(n−2)). The
      // leftover goes down the ranking by remainder then rn: ends first when their remainder is
      // larger, middles first when smaller, plain rn order when equal. n ≤ 2: linear.
      // One pass (no union over ranked, which would materialise it); greatest() keeps n ≤ 2 rows
      // from dividing by zero in the columns they do not use.
      return sql`${ranked}, pb as (
          select r.*, div(2 * a, 5) as end_base, mod(2 * a, 5) * (n - 2) as end_rem,
                 div(a, 5 * greatest(n - 2, 1)) as mid_base, mod(a, 5 * greatest(n - 2, 1)) as mid_rem
          from ranked r
        ), pb_ranked as (
          select pb.*, a - 2 * end_base - (n - 2) * mid_base as leftover,
                 case when end_rem > mid_rem then case when rn = 1 then 1 when rn = n then 2 else rn + 1 end
                      when end_rem < mid_rem then case when rn = 1 then n - 1 when rn = n then n else rn - 1 end
                      else rn end as place
          from pb
        ), credits as (
          select deal_id, call_id, key, type, closed_ms, first_ms,
                 s * case when n <= 2 then div(a, n) + case when rn <= mod(a, n) then 1 else 0 end
                          else case when rn = 1 or rn = n then end_base else mid_base end + case when place <= leftover then 1 else 0 end end as cents
          from pb_ranked
        )`;
    case 'time_decay':
      // Exact integer arithmetic on numeric: a × w reaches 2^62 × |amount|.
      // tw kept apart by `offset 0`: each weight computed once (a subquery pulled up would repeat
      // the expression at every use of w), and the rows keep ranked's order (deal, ms, id).
      return sql`${ranked}, tw as (
          select r.*, ${timeDecayWeightSql(sql`r.newest_ms - r.ms`)}::numeric as w from ranked r offset 0
        ), shares as (
          select ws.*, div(a * w, total_w) as base, mod(a * w, total_w) as rem
          from (select tw.*, sum(w) over (partition by deal_id) as total_w from tw) ws
        ), placed as (
          select shares.*, a - sum(base) over (partition by deal_id) as leftover,
                 row_number() over (partition by deal_id order by rem desc, rn) as place
          from shares
        ), credits as (
          select deal_id, call_id, key, type, closed_ms, first_ms, s * (base + case when place <= leftover then 1 else 0 end) as cents from placed
        )`;
  }
}

/** A deal's amount as attributed: `revenue` its amount; `margin` its margin (src/domain/deals.ts marginCentsOf), null when unknown. */
export type AmountBasis = { basis: 'revenue' } | { basis: 'margin'; tenantDefaultPercent: number | null };

function amountCentsSql(amount: AmountBasis): SQL {
  if (amount.basis === 'revenue') return sql`(amount * 100)::bigint`;
  // marginCentsOf: the margin, else a percent of the amount rounded half away from zero (numeric round).
  const fallback = amount.tenantDefaultPercent === null ? sql`null::numeric` : sql`${String(amount.tenantDefaultPercent)}::numeric`;
  return sql`case when margin is not null then (margin * 100)::bigint
                  else round((amount * 100) * coalesce(margin_percent, ${fallback}) / 100)::bigint end`;
}

const dealsCte = (tenantId: string, dealFilter: SQL, amount: AmountBasis) => sql`d as materialized (
          select ${names(crmDeals.id)}, ${amountCentsSql(amount)} as amount_cents, ${names(crmDeals.closedAt, crmDeals.phones, crmDeals.contactExternalId)},
                 (extract(epoch from closed_at) * 1000)::bigint as closed_ms, coalesce(type, 'unspecified') as type
          from ${crmDeals}
          where ${crmDeals.tenantId} = ${tenantId} and ${crmDeals.stage} = 'won' and ${crmDeals.closedAt} is not null and (${dealFilter})
        )`;

export interface SqlRevenue extends StoredRevenue {
  /** Won deals of the range left out for want of an amount (basis margin: no margin known). */
  withoutAmount: number;
}

/**
 * Revenue of the won deals selected by `dealFilter` (SQL over crm_deals' columns) under `model`,
 * summed per row key and deal type ('row') and per type over all keys, each deal once ('total'),
 * as ./revenue.ts StoredRevenue; `keySql` is the touch's row key (./roi.service.ts touchKeySql).
 */
export async function sqlAttributedRevenue(
  db: Executor,
  tenantId: string,
  dealFilter: SQL,
  model: AttributionModel,
  windowDays: number,
  keySql: SQL,
  amount: AmountBasis = { basis: 'revenue' },
): Promise<SqlRevenue> {
  const rows = await queryRows<{ level: 'row' | 'total' | 'won'; key: string | null; type: DealTypeKey | null; cents: string; deals: string; to_close: string }>(
    db,
    sql`with ${dealsCte(tenantId, dealFilter, amount)}, ${creditCtes(tenantId, model, windowDays, keySql)}, cr as (
          select key, deal_id, type, sum(cents) as cents, closed_ms - min(first_ms) as to_close
          from credits
          where cents <> 0
          -- deal_id first: the credits come sorted by deal, so grouping needs no full sort
          -- (with the planner's inflated estimates it would not hash, and a full sort spills).
          group by deal_id, key, type, closed_ms
        )
        select 'row' as level, key, type, sum(cents)::text as cents, count(*)::text as deals, sum(to_close)::text as to_close
        from cr group by key, type
        union all
        select 'total', null, type, sum(cents)::text, count(*)::text, sum(to_close)::text
        from (select deal_id, type, sum(cents) as cents, min(to_close) as to_close from cr group by deal_id, type) per_deal
        group by type
        union all
        -- every won deal of the range: amounts known (sum, count) and how many are not (to_close column)
        select 'won', null, null, coalesce(sum(amount_cents), 0)::text, count(*)::text, count(*) filter (where amount_cents is null)::text from d`,
  );
  const won = rows.find((r) => r.level === 'won')!;
  const parsed = rows
    .filter((r) => r.level !== 'won')
    .map((r) => ({ level: r.level as 'row' | 'total', key: r.key, type: r.type!, cents: BigInt(r.cents), deals: Number(r.deals), toCloseSumMs: Number(r.to_close) }));
  const credited = parsed.filter((r) => r.level === 'total').reduce((sum, r) => sum + r.cents, 0n);
  return { rows: parsed, wonDeals: Number(won.deals), unattributedCents: BigInt(won.cents) - credited, withoutAmount: Number(won.to_close) };
}

/**
 * Per-touch credits of the deals selected by `dealFilter`: deal id → call id → cents (the touches
 * credited non-zero), for tests that compare them with the reference touch by touch.
 */
export async function sqlDealCredits(
  db: Executor,
  tenantId: string,
  dealFilter: SQL,
  model: AttributionModel,
  windowDays: number,
): Promise<Map<string, Map<string, bigint>>> {
  const rows = await queryRows<{ deal_id: string; call_id: string; cents: string }>(
    db,
    sql`with ${dealsCte(tenantId, dealFilter, { basis: 'revenue' })}, ${creditCtes(tenantId, model, windowDays, sql`null::text`)}
        select deal_id::text, call_id::text, cents::text from credits where cents <> 0`,
  );
  const out = new Map<string, Map<string, bigint>>();
  for (const r of rows) {
    let deal = out.get(r.deal_id);
    if (!deal) out.set(r.deal_id, (deal = new Map()));
    deal.set(r.call_id, BigInt(r.cents));
  }
  return out;
}

/**
 * GET /v1/roi's revenue for any model and window attributed in SQL (./roi.service.ts serves the
 * models and windows that have no stored credits with it; `liveRevenue` there is the reference).
 */
export const sqlRevenue: RevenueSource = async (db, tenant, req, keySql) => {
  const closedIn = sql`closed_at >= ${req.from.toISOString()}::timestamptz and closed_at < ${req.to.toISOString()}::timestamptz`;
  const amount: AmountBasis =
    req.basis === 'margin' ? { basis: 'margin', tenantDefaultPercent: effectiveSettings(tenant.settings).defaultMarginPercent } : { basis: 'revenue' };
  const summed = await sqlAttributedRevenue(db, tenant.id, closedIn, req.model, req.windowDays, keySql, amount);
  return { summed, attributeNow: [], withoutAmount: summed.withoutAmount };
};
