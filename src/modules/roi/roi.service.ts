/**
 * GET /v1/roi (contract section 7). Computed on the fly, for any model and window:
 * - revenue: the won deals whose closedAt lies in [from, to), each credited to its touches under
 *   the model (src/domain/attribution/models.ts: cents, largest remainder), each credit going to
 *   the row of its call, even when the call started before `from`;
 * - cost: ../costs/allocation.ts, the same allocation as the KPI costPerCall;
 * - calls: calls started in [from, to), by key; deals: deals with a credit in the row.
 */
import { and, eq, sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client.js';
import { campaigns, type TenantRow } from '../../db/schema/index.js';
import { attribute, type AttributionModel } from '../../domain/attribution/models.js';
import { formatCents } from '../../domain/money.js';
import { wonDealsWithTouches } from '../attribution/touches.js';
import { allocateCosts, type CostCents } from '../costs/allocation.js';
import { callKeySql, type GroupBy, type RowKey } from '../costs/dimensions.js';
import { dealTypes } from '../crm/crm.schemas.js';
import { meanDays, perUnit, roiPercent } from './figures.js';

export interface RoiRequest {
  from: Date;
  to: Date;
  groupBy: GroupBy;
  model: AttributionModel;
  windowDays: number;
}

type DealTypeKey = (typeof dealTypes)[number] | 'unspecified';
const dealTypeKeys: DealTypeKey[] = [...dealTypes, 'unspecified'];

class Accumulator {
  revenue = 0n;
  cost: CostCents = { total: 0n, direct: 0n, indirect: 0n };
  calls = 0;
  readonly deals = new Set<string>();
  readonly byType = new Map<DealTypeKey, bigint>();
  /** closedAt − first touch of each deal credited here. */
  readonly toCloseMs: number[] = [];

  credit(type: DealTypeKey, cents: bigint): void {
    this.revenue += cents;
    this.byType.set(type, (this.byType.get(type) ?? 0n) + cents);
  }

  view() {
    const deals = this.deals.size;
    return {
      revenue: formatCents(this.revenue),
      cost: formatCents(this.cost.total),
      net: formatCents(this.revenue - this.cost.total),
      roiPercent: roiPercent(this.revenue, this.cost.total),
      calls: this.calls,
      deals,
      // Extras (contract: "add to it freely").
      directCost: formatCents(this.cost.direct),
      indirectCost: formatCents(this.cost.indirect),
      revenuePerCall: perUnit(this.revenue, this.calls),
      costPerAcquisition: perUnit(this.cost.total, deals),
      avgDaysFirstCallToClose: meanDays(this.toCloseMs),
      revenueByDealType: Object.fromEntries(dealTypeKeys.map((t) => [t, formatCents(this.byType.get(t) ?? 0n)])) as Record<DealTypeKey, string>,
    };
  }
}

export async function computeRoi(db: Database, tenant: TenantRow, req: RoiRequest) {
  const keySql = callKeySql(req.groupBy, tenant.timezone);
  const rows = new Map<RowKey, Accumulator>();
  const row = (key: RowKey) => {
    let acc = rows.get(key);
    if (!acc) rows.set(key, (acc = new Accumulator()));
    return acc;
  };
  const total = new Accumulator();

  const deals = await wonDealsWithTouches(
    db,
    tenant.id,
    sql`closed_at >= ${req.from.toISOString()}::timestamptz and closed_at < ${req.to.toISOString()}::timestamptz`,
    req.windowDays,
    keySql,
  );
  let unattributed = 0n;
  for (const deal of deals) {
    const credits = attribute(deal.amountCents, deal.touches.map((t) => ({ id: t.callId, startedAt: t.startedAt })), req.model, deal.closedAt);
    if (credits.size === 0) {
      unattributed += deal.amountCents;
      continue;
    }
    const type: DealTypeKey = (deal.type as DealTypeKey | null) ?? 'unspecified';
    const keyOf = new Map(deal.touches.map((t) => [t.callId, t.key]));
    const toCloseMs = deal.closedAt.getTime() - deal.touches[0]!.startedAt.getTime();
    const keys = new Set<RowKey>();
    for (const [callId, cents] of credits) {
      const key = keyOf.get(callId) ?? null;
      row(key).credit(type, cents);
      total.credit(type, cents);
      keys.add(key);
    }
    for (const key of keys) {
      row(key).deals.add(deal.id);
      row(key).toCloseMs.push(toCloseMs);
    }
    total.deals.add(deal.id);
    total.toCloseMs.push(toCloseMs);
  }

  const allocation = await allocateCosts(db, tenant, { from: req.from, to: req.to }, req.groupBy);
  for (const [key, cents] of allocation.byKey) row(key).cost = cents;
  total.cost = allocation.total;

  const counts = await queryRows<{ key: string | null; n: string }>(
    db,
    sql`select ${keySql} as key, count(*)::text as n
        from calls c left join campaigns cp on cp.id = c.campaign_id
        where c.tenant_id = ${tenant.id} and c.started_at >= ${req.from.toISOString()}::timestamptz and c.started_at < ${req.to.toISOString()}::timestamptz
        group by 1`,
  );
  for (const c of counts) {
    row(c.key).calls = Number(c.n);
    total.calls += Number(c.n);
  }

  const names =
    req.groupBy === 'campaign'
      ? new Map((await db.select({ id: campaigns.id, name: campaigns.name }).from(campaigns).where(and(eq(campaigns.tenantId, tenant.id)))).map((c) => [c.id, c.name]))
      : null;
  const ordered = [...rows.entries()].sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
  return {
    currency: tenant.currency,
    model: req.model,
    windowDays: req.windowDays,
    groupBy: req.groupBy,
    from: req.from.toISOString(),
    to: req.to.toISOString(),
    total: {
      key: null,
      ...total.view(),
      wonDeals: deals.length,
      /** Won deals of the range without any touch: revenue no call can claim. */
      unattributedRevenue: formatCents(unattributed),
    },
    rows: ordered.map(([key, acc]) => ({ key, ...(names ? { name: key === null ? null : (names.get(key) ?? null) } : {}), ...acc.view() })),
  };
}
