/**
 * Won deals and their touches (contract section 7), in SQL: a touch is a call of the tenant whose
 * `externalNumber` is one of the deal's phones (its own or its contact's), started within
 * `windowDays` × 86 400 s before `closedAt` (both ends included, absolute time as in
 * src/domain/attribution/models.ts `touchesOf`), inbound whatever its status or outbound answered.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { calls, campaigns, crmContacts, crmDeals } from '../../db/schema/index.js';
import { col, names } from '../../db/sql.js';
import { parseAmount } from '../../domain/money.js';
import type { RowKey } from './dimensions.js';

export interface DealTouch {
  callId: string;
  startedAt: Date;
  /** The call's row key under the requested grouping (null without a grouping). */
  key: RowKey;
  /** The call is a lead call (firstTimeCaller or crmLead): the lead figures of a deal's first touch. */
  lead: boolean;
}

export interface WonDeal {
  id: string;
  amountCents: bigint;
  /** The deal's own margin (cents) or margin percent, as posted (src/domain/deals.ts marginCentsOf). */
  marginCents: bigint | null;
  marginPercent: string | null;
  closedAt: Date;
  type: string | null;
  /** Sorted by (startedAt, id). */
  touches: DealTouch[];
}

interface Row {
  deal_id: string;
  amount: string;
  margin: string | null;
  margin_percent: string | null;
  closed_ms: string;
  type: string | null;
  call_id: string | null;
  started_ms: string | null;
  key: string | null;
  lead: boolean | null;
}

/**
 * The touch rule of contract section 7 as two CTEs, `dp` (each deal's phones, its own and its
 * contact's) and `t` (the touches: deal_id, call_id, started_at, key), after a CTE `d` of deals
 * with columns id, closed_at, phones, contact_external_id. The one place this rule is written in SQL.
 * `t.lead`: the touch is a lead call (firstTimeCaller or crmLead).
 */
export function touchCtes(tenantId: string, windowDays: number, keySql: SQL): SQL {
  const c = (column: { name: string }) => col('c', column);
  const ct = (column: { name: string }) => col('ct', column);
  // dp carries the deal's closedAt, so that the window is an index range condition of each
  // (number, startedAt) probe of calls_tenant_external_idx: only the calls inside the window are
  // fetched (joining d after the probe fetched every call of the number, 3.6× as many rows in
  // bench/roi.ts). The probe is a LATERAL subquery kept apart by `offset 0`, so that it stays one
  // index probe per (deal, phone): jsonb_array_elements_text is estimated at 100 rows a deal
  // (1 in fact), and on that estimate the planner hashes the whole calls table instead.
  // In t, `d` is dp (keySql reads d.closed_at) and `c` the call.
  return sql`dp as (
          select d.id as deal_id, p.phone, d.closed_at from d cross join lateral jsonb_array_elements_text(d.phones) as p(phone)
          union
          select d.id, p.phone, d.closed_at from d
            join ${crmContacts} ct on ${ct(crmContacts.tenantId)} = ${tenantId} and ${ct(crmContacts.externalId)} = d.contact_external_id
            cross join lateral jsonb_array_elements_text(${ct(crmContacts.phones)}) as p(phone)
        ), t as (
          select d.deal_id, ${c(calls.id)} as call_id, ${c(calls.startedAt)} as started_at, ${keySql} as key,
                 (coalesce(${c(calls.firstTimeCaller)}, false) or ${c(calls.crmLead)}) as lead
          from dp d
          cross join lateral (
            select * from ${calls} c
            where ${c(calls.tenantId)} = ${tenantId} and ${c(calls.externalNumber)} = d.phone
              and ${c(calls.startedAt)} >= d.closed_at - make_interval(secs => ${windowDays * 86_400})
              and ${c(calls.startedAt)} <= d.closed_at
              and (${c(calls.direction)} = 'inbound' or ${c(calls.status)} = 'answered')
            offset 0
          ) c
          left join ${campaigns} cp on ${col('cp', campaigns.id)} = ${c(calls.campaignId)}
        )`;
}

/**
 * Won deals selected by `dealFilter` (SQL over alias `crm_deals`, e.g. a closedAt range or ids),
 * each with its touches; `keySql` is evaluated over `calls c left join campaigns cp`.
 */
export async function wonDealsWithTouches(
  db: Executor,
  tenantId: string,
  dealFilter: SQL,
  windowDays: number,
  keySql: SQL = sql`null::text`,
): Promise<WonDeal[]> {
  const rows = await queryRows<Row>(
    db,
    sql`with d as (
          select ${names(crmDeals.id, crmDeals.amount, crmDeals.margin, crmDeals.marginPercent, crmDeals.closedAt, crmDeals.type, crmDeals.phones, crmDeals.contactExternalId)}
          from ${crmDeals}
          where ${crmDeals.tenantId} = ${tenantId} and ${crmDeals.stage} = 'won' and ${crmDeals.closedAt} is not null and (${dealFilter})
        ), ${touchCtes(tenantId, windowDays, keySql)}
        select d.id as deal_id, d.amount::text as amount, d.margin::text as margin, d.margin_percent::text as margin_percent, (extract(epoch from d.closed_at) * 1000)::bigint::text as closed_ms,
               d.type, t.call_id, (extract(epoch from t.started_at) * 1000)::bigint::text as started_ms, t.key, t.lead
        from d left join t on t.deal_id = d.id
        order by d.id, t.started_at, t.call_id`,
  );
  const deals = new Map<string, WonDeal>();
  for (const r of rows) {
    let deal = deals.get(r.deal_id);
    if (!deal) {
      deal = {
        id: r.deal_id,
        amountCents: parseAmount(r.amount),
        marginCents: r.margin === null ? null : parseAmount(r.margin),
        marginPercent: r.margin_percent,
        closedAt: new Date(Number(r.closed_ms)),
        type: r.type,
        touches: [],
      };
      deals.set(r.deal_id, deal);
    }
    if (r.call_id !== null && r.started_ms !== null) deal.touches.push({ callId: r.call_id, startedAt: new Date(Number(r.started_ms)), key: r.key, lead: r.lead === true });
  }
  return [...deals.values()];
}

/** A won deal's first touch (the earliest by startedAt, then id), as the lead figures read it. */
export interface FirstTouch {
  dealId: string;
  closedAt: Date;
  startedAt: Date;
  /** The first touch is a lead call. */
  lead: boolean;
  /** Its row key (`keySql`; under a time grouping the period of the deal's closedAt). */
  key: RowKey;
}

/** The first touch of each of these deals that has one: `firstTouches` of the same deals, window and key, without a read. */
export function firstTouchesOf(deals: readonly WonDeal[]): FirstTouch[] {
  return deals.flatMap((d) => {
    const first = d.touches[0];
    return first ? [{ dealId: d.id, closedAt: d.closedAt, startedAt: first.startedAt, lead: first.lead, key: first.key }] : [];
  });
}

/**
 * The first touch of each won deal selected by `dealFilter` that has a touch (deals without one
 * are left out): leadCloseRate and avgDaysToConversion (contract section 6). One query.
 */
export async function firstTouches(db: Executor, tenantId: string, dealFilter: SQL, windowDays: number, keySql: SQL): Promise<FirstTouch[]> {
  const rows = await queryRows<{ deal_id: string; closed_ms: string; started_ms: string; lead: boolean; key: string | null }>(
    db,
    sql`with d as (
          select ${names(crmDeals.id, crmDeals.closedAt, crmDeals.phones, crmDeals.contactExternalId)}
          from ${crmDeals}
          where ${crmDeals.tenantId} = ${tenantId} and ${crmDeals.stage} = 'won' and ${crmDeals.closedAt} is not null and (${dealFilter})
        ), ${touchCtes(tenantId, windowDays, keySql)}
        select distinct on (t.deal_id) t.deal_id, (extract(epoch from d.closed_at) * 1000)::bigint::text as closed_ms,
               (extract(epoch from t.started_at) * 1000)::bigint::text as started_ms, t.lead, t.key
        from t join d on d.id = t.deal_id
        order by t.deal_id, t.started_at, t.call_id`,
  );
  return rows.map((r) => ({ dealId: r.deal_id, closedAt: new Date(Number(r.closed_ms)), startedAt: new Date(Number(r.started_ms)), lead: r.lead, key: r.key }));
}
