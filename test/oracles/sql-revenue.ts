/**
 * A test oracle: revenue of any window under a model with positional integer weights, computed
 * entirely in SQL from deals × touches. It was measured slower than the TypeScript attribution
 * (bench/roi.ts), so the hub does not use it; tests and the benchmark compare the hub's answers
 * with it.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../src/db/client.js';
import type { StoredRevenue } from '../../src/modules/roi/revenue.js';
import type { RevenueSource } from '../../src/modules/roi/roi.service.js';
import type { DealTypeKey } from '../../src/domain/deals.js';
import { touchCtes } from '../../src/modules/roi/touches.js';

/** Models with integer weights by position, attributed in SQL (time_decay's irrational weights stay in TypeScript). */
export const sqlModels = ['first_touch', 'last_touch', 'linear', 'position_based'] as const;
export type SqlModel = (typeof sqlModels)[number];

/** Weight of touch `rn` (1-based, by startedAt then id) of `n`, as src/domain/attribution/models.ts modelWeights. */
function weightSql(model: SqlModel): SQL {
  switch (model) {
    case 'first_touch':
      return sql`case when rn = 1 then 1 else 0 end`;
    case 'last_touch':
      return sql`case when rn = n then 1 else 0 end`;
    case 'linear':
      return sql`1`;
    case 'position_based':
      return sql`case when n <= 2 then 1 when rn = 1 or rn = n then 2 * (n - 2) else 1 end`;
  }
}

/**
 * Revenue of any window under a model with positional integer weights, computed in SQL from
 * deals × touches (contract section 7, exactly as src/domain/attribution/models.ts `attribute`):
 * each touch gets ⌊amount × w / W⌋ cents, the leftover cents go one by one to the largest
 * remainders (amount × w mod W), ties to the earliest touch; zero credits are dropped.
 */
export async function sqlRevenue(db: Executor, tenantId: string, from: Date, to: Date, model: SqlModel, windowDays: number, keySql: SQL): Promise<StoredRevenue> {
  const rows = await queryRows<{ level: 'row' | 'total'; key: string | null; type: DealTypeKey; cents: string; deals: string; to_close: string }>(
    db,
    sql`with d as materialized (
          select id, (amount * 100)::bigint as amount_cents, closed_at, coalesce(type, 'unspecified') as type, phones, contact_external_id from crm_deals
          where tenant_id = ${tenantId} and stage = 'won' and closed_at >= ${from.toISOString()}::timestamptz and closed_at < ${to.toISOString()}::timestamptz
        ), ${touchCtes(tenantId, windowDays, keySql)}, ranked as (
          select t.*, row_number() over w as rn, count(*) over (partition by t.deal_id) as n,
                 min(t.started_at) over (partition by t.deal_id) as first_at
          from t window w as (partition by t.deal_id order by t.started_at, t.call_id)
        ), weighted as (
          select r.*, (${weightSql(model)})::numeric as w from ranked r
        ), shares as (
          select wt.*, d.amount_cents, d.type, d.closed_at,
                 div(d.amount_cents * wt.w, sum(wt.w) over (partition by wt.deal_id)) as base,
                 mod(d.amount_cents * wt.w, sum(wt.w) over (partition by wt.deal_id)) as rem
          from weighted wt join d on d.id = wt.deal_id
        ), credits as (
          select s.*, s.base + case when row_number() over (partition by s.deal_id order by s.rem desc, s.rn)
                                         <= s.amount_cents - sum(s.base) over (partition by s.deal_id) then 1 else 0 end as cents
          from shares s
        ), cr as (
          select key, deal_id, type, sum(cents) as cents, (extract(epoch from closed_at - min(first_at)) * 1000)::bigint as to_close
          from credits where cents <> 0
          group by key, deal_id, type, closed_at
        )
        select 'row' as level, key, type, sum(cents)::text as cents, count(*)::text as deals, coalesce(sum(to_close), 0)::text as to_close
        from cr group by key, type
        union all
        select 'total', null, type, sum(cents)::text, count(*)::text, coalesce(sum(to_close), 0)::text
        from (select deal_id, type, sum(cents) as cents, min(to_close) as to_close from cr group by deal_id, type) per_deal
        group by type`,
  );
  const [won] = await queryRows<{ n: string; cents: string }>(
    db,
    sql`select count(*)::text as n, coalesce(sum(amount * 100), 0)::bigint::text as cents from crm_deals
        where tenant_id = ${tenantId} and stage = 'won' and closed_at >= ${from.toISOString()}::timestamptz and closed_at < ${to.toISOString()}::timestamptz`,
  );
  const parsed = rows.map((r) => ({ level: r.level, key: r.key, type: r.type, cents: BigInt(r.cents), deals: Number(r.deals), toCloseSumMs: Number(r.to_close) }));
  const credited = parsed.filter((r) => r.level === 'total').reduce((sum, r) => sum + r.cents, 0n);
  return { rows: parsed, wonDeals: Number(won?.n ?? 0), unattributedCents: BigInt(won?.cents ?? '0') - credited };
}

/** The oracle as a revenue source of computeRoi (positional models only). */
export const sqlRevenueSource: RevenueSource = async (db, tenant, req, keySql) => ({
  summed: await sqlRevenue(db, tenant.id, req.from, req.to, req.model as SqlModel, req.windowDays, keySql),
  attributeNow: [],
});
