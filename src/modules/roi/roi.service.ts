/**
 * GET /v1/roi (contract section 7), for any model and window:
 * - revenue: the won deals whose closedAt lies in [from, to), each credited to its touches under
 *   the model (cents, largest remainder), each credit going to the row of its call, even when the
 *   call started before `from`; under a time grouping, to the period of the deal's closedAt. Default model and window: the stored credits summed in SQL
 *   (./revenue.ts dayRevenue), plus the deals still waiting for the `roi-refresh` job attributed
 *   now; other models, windows and the margin basis: attributed in SQL (./attribution.sql.ts),
 *   exact to the cent against the reference, `liveRevenue` (deals × touches read in SQL and
 *   attributed in TypeScript, src/domain/attribution/models.ts), which tests compare it with.
 * - cost: ./allocation.ts (materialised days), the same allocation as the KPI costPerCall;
 * - calls: calls started in [from, to), by key (./counts.ts); deals: deals with a credit in the row.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { readTogether, type Database } from '../../db/client.js';
import { attributionDirtyDeals, campaigns, type TenantRow } from '../../db/schema/index.js';
import { idList } from '../../db/sql.js';
import { attribute, DEFAULT_ATTRIBUTION_MODEL, DEFAULT_WINDOW_DAYS, type AttributionModel } from '../../domain/attribution/models.js';
import { dealTypeKeys, marginCentsOf, type DealTypeKey } from '../../domain/deals.js';
import { formatCents } from '../../domain/money.js';
import { allocateCosts, type CostCents } from './allocation.js';
import { callCounts } from './counts.js';
import { callKeySql, isTimeGrouping, periodKeySql, type GroupBy, type RowKey } from './dimensions.js';
import { meanDaysOf, perUnit, roiPercent } from './figures.js';
import { dayRevenue, type StoredRevenue } from './revenue.js';
import { readRoiState, type RoiReadState } from './days.store.js';
import { daysInRange } from '../../domain/costs/prorate.js';
import { effectiveSettings } from '../tenants/index.js';
import type { RoiBasis } from './roi.schemas.js';
import { firstTouchesOf, wonDealsWithTouches, type WonDeal } from './touches.js';
import { leadConversions, leadFigures, noConversions, type LeadConversions } from './leads.js';
import { sqlRevenue } from './attribution.sql.js';

export interface RoiRequest {
  from: Date;
  to: Date;
  groupBy: GroupBy;
  model: AttributionModel;
  windowDays: number;
  /** `margin`: credit the deals' margins instead of their amounts (default `revenue`). */
  basis?: RoiBasis;
}

/**
 * Where a request's revenue comes from: credits already summed per row (`summed`), and won deals
 * to attribute now under the request's model (`attributeNow`).
 */
export interface RevenueRead {
  summed: StoredRevenue | null;
  attributeNow: WonDeal[];
  /** Won deals of `summed` left out for want of an amount (basis margin: no margin known). */
  withoutAmount?: number;
}
/**
 * What a request has read for its revenue sources before they run: its read state (./days.store.ts
 * readRoiState), and the deals of the range waiting for the `roi-refresh` job with their touches
 * (default window; read once, the lead figures use them too).
 */
export interface RoiReads {
  state: RoiReadState;
  waiting: Promise<WonDeal[]>;
}
export type RevenueSource = (db: Database, tenant: TenantRow, req: RoiRequest, keySql: SQL, reads?: RoiReads) => Promise<RevenueRead>;

/** Every won deal of the range with its touches, attributed now in TypeScript (any model and window). */
export const liveRevenue: RevenueSource = async (db, tenant, req, keySql) => ({
  summed: null,
  attributeNow: await wonDealsWithTouches(db, tenant.id, closedIn(req), req.windowDays, keySql),
});

/**
 * The default model and window: the stored credits (kept by the `roi-refresh` job and the call
 * listener), summed per close day (./revenue.ts dayRevenue); the deals still waiting for the job
 * are attributed now, so an answer never lags behind an upload. Other models and windows: in SQL.
 */
export const defaultRevenue: RevenueSource = async (db, tenant, req, keySql, reads) => {
  // Stored credits are of the amounts: margins (which follow the tenant's default) are attributed now.
  if (req.model !== DEFAULT_ATTRIBUTION_MODEL || req.windowDays !== DEFAULT_WINDOW_DAYS || req.basis === 'margin') return sqlRevenue(db, tenant, req, keySql);
  const [summed, attributeNow] = await readTogether(
    db,
    () => dayRevenue(db, tenant, req.from, req.to, req.groupBy, reads?.state),
    () => reads?.waiting ?? waitingDeals(db, tenant.id, closedIn(req), req.windowDays, keySql),
  );
  return { summed, attributeNow };
};

/**
 * The row of a touch's credit, as SQL in the touch query (./touches.ts: deals `d`, calls `c`):
 * under a time grouping the period of the deal's close (contract section 7), else the call's key.
 */
export function touchKeySql(groupBy: GroupBy, timezone: string): SQL {
  return isTimeGrouping(groupBy) ? periodKeySql(groupBy, sql`d.closed_at`, timezone) : callKeySql(groupBy, timezone);
}

const closedIn = (req: RoiRequest) => sql`closed_at >= ${req.from.toISOString()}::timestamptz and closed_at < ${req.to.toISOString()}::timestamptz`;

/** Deals that win a customer (contract section 7, extension): upsells, cross-sells and renewals do not. */
const isAcquisition = (type: DealTypeKey) => type === 'new' || type === 'unspecified';

class Accumulator {
  revenue = 0n;
  cost: CostCents = { total: 0n, direct: 0n, indirect: 0n };
  calls = 0;
  /** Calls of the row that are leads (firstTimeCaller or crmLead). */
  leads = 0;
  /** The won deals whose first touch lies in this row (./leads.ts). */
  conversions: LeadConversions = noConversions();
  /** Deals credited here: ids from the deals attributed now, a count from stored credits (disjoint). */
  readonly dealIds = new Set<string>();
  storedDeals = 0;
  /** Of those, the acquisitions (type `new` or none): the same two disjoint sources. */
  readonly acquisitionIds = new Set<string>();
  storedAcquisitions = 0;
  readonly byType = new Map<DealTypeKey, bigint>();
  /** closedAt − first touch of each deal credited here: sum and count (integer ms, exact). */
  toCloseSumMs = 0;
  toCloseCount = 0;

  credit(type: DealTypeKey, cents: bigint): void {
    this.revenue += cents;
    this.byType.set(type, (this.byType.get(type) ?? 0n) + cents);
  }

  view() {
    const deals = this.dealIds.size + this.storedDeals;
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
      costPerAcquisition: perUnit(this.cost.total, this.acquisitionIds.size + this.storedAcquisitions),
      avgDaysFirstCallToClose: meanDaysOf(this.toCloseSumMs, this.toCloseCount),
      revenueByDealType: Object.fromEntries(dealTypeKeys.map((t) => [t, formatCents(this.byType.get(t) ?? 0n)])) as Record<DealTypeKey, string>,
      ...leadFigures(this.leads, this.cost.total, this.conversions),
    };
  }
}

/**
 * Credit deals attributed now (any model and window) to their touches' rows: `amountOf` each deal
 * (its amount, or its margin; null: unknown, the deal is left out and counted). Returns what no
 * touch could claim and the deals left out.
 */
function creditDeals(
  deals: readonly WonDeal[],
  model: AttributionModel,
  row: (key: RowKey) => Accumulator,
  total: Accumulator,
  amountOf: (deal: WonDeal) => bigint | null = (deal) => deal.amountCents,
): { unattributed: bigint; withoutAmount: number } {
  let unattributed = 0n;
  let withoutAmount = 0;
  for (const deal of deals) {
    const amount = amountOf(deal);
    if (amount === null) {
      withoutAmount++;
      continue;
    }
    const credits = attribute(amount, deal.touches.map((t) => ({ id: t.callId, startedAt: t.startedAt })), model, deal.closedAt);
    if (credits.size === 0) {
      unattributed += amount;
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
    for (const acc of [...[...keys].map(row), total]) {
      acc.dealIds.add(deal.id);
      if (isAcquisition(type)) acc.acquisitionIds.add(deal.id);
      acc.toCloseSumMs += toCloseMs;
      acc.toCloseCount += 1;
    }
  }
  return { unattributed, withoutAmount };
}

/** Won deals of the range waiting for the `roi-refresh` job, with their touches (usually none: one cheap probe). */
async function waitingDeals(db: Database, tenantId: string, range: SQL, windowDays: number, keySql: SQL, state?: RoiReadState): Promise<WonDeal[]> {
  const dirty = state
    ? state.waitingDealIds
    : (await db.select({ id: attributionDirtyDeals.dealId }).from(attributionDirtyDeals).where(eq(attributionDirtyDeals.tenantId, tenantId))).map((d) => d.id);
  if (dirty.length === 0) return [];
  return wonDealsWithTouches(db, tenantId, sql`${range} and id in (${idList(dirty)}::uuid)`, windowDays, keySql);
}

export async function computeRoi(db: Database, tenant: TenantRow, req: RoiRequest, revenueSource: RevenueSource = defaultRevenue) {
  const keySql = touchKeySql(req.groupBy, tenant.timezone);
  const rows = new Map<RowKey, Accumulator>();
  const row = (key: RowKey) => {
    let acc = rows.get(key);
    if (!acc) rows.set(key, (acc = new Accumulator()));
    return acc;
  };
  const total = new Accumulator();

  // Independent reads, concurrently (each on its own pooled connection; in a transaction they
  // queue), after one read of what the stored days' readers share (./days.store.ts readRoiState).
  // `.then` once: a drizzle query runs again on every `.then` (the `.catch` below and the `await`
  // at the end each read the campaigns: two statements, the second one after everything else).
  const namesRead =
    req.groupBy === 'campaign'
      ? db
          .select({ id: campaigns.id, name: campaigns.name })
          .from(campaigns)
          .where(and(eq(campaigns.tenantId, tenant.id)))
          .then((rows) => rows)
      : Promise.resolve(null);
  namesRead.catch(() => undefined);
  const rangeDays = daysInRange(req.from, req.to, tenant.timezone);
  const state = await readRoiState(db, tenant, rangeDays[0], rangeDays[rangeDays.length - 1]);
  // The waiting deals (default window), with their touches, once: the default model's revenue
  // attributes them now and the lead figures take their first touches (one statement, not two).
  const waitingRead = req.windowDays === DEFAULT_WINDOW_DAYS ? waitingDeals(db, tenant.id, closedIn(req), req.windowDays, keySql, state) : Promise.resolve([]);
  const costsRead = allocateCosts(db, tenant, { from: req.from, to: req.to }, req.groupBy, state);
  const countsRead = callCounts(db, tenant, { from: req.from, to: req.to }, req.groupBy, state);
  const conversionsRead = leadConversions(
    db,
    tenant,
    { from: req.from, to: req.to },
    req.groupBy,
    req.windowDays,
    state.waitingDealIds,
    waitingRead.then(firstTouchesOf),
    state,
  );
  // Nothing may reject unobserved while the revenue is read.
  for (const p of [waitingRead, costsRead, countsRead, conversionsRead]) p.catch(() => undefined);

  const revenue = await revenueSource(db, tenant, req, keySql, { state, waiting: waitingRead });
  let unattributed = 0n;
  let wonDeals = 0;
  if (revenue.summed) {
    for (const r of revenue.summed.rows) {
      const acc = r.level === 'row' ? row(r.key) : total;
      acc.credit(r.type, r.cents);
      acc.storedDeals += r.deals;
      if (isAcquisition(r.type)) acc.storedAcquisitions += r.deals;
      acc.toCloseSumMs += r.toCloseSumMs;
      acc.toCloseCount += r.deals;
    }
    unattributed += revenue.summed.unattributedCents;
    wonDeals = revenue.summed.wonDeals;
  } else wonDeals = revenue.attributeNow.length;
  const basis = req.basis ?? 'revenue';
  const defaultMargin = effectiveSettings(tenant.settings).defaultMarginPercent;
  const credited = creditDeals(
    revenue.attributeNow,
    req.model,
    row,
    total,
    basis === 'margin' ? (deal) => marginCentsOf(deal, defaultMargin) : undefined,
  );
  unattributed += credited.unattributed;

  const allocation = await costsRead;
  for (const [key, cents] of allocation.byKey) row(key).cost = cents;
  total.cost = allocation.total;

  for (const [key, n] of await countsRead) {
    row(key).calls = n.calls;
    row(key).leads = n.leads;
    total.calls += n.calls;
    total.leads += n.leads;
  }
  const conversions = await conversionsRead;
  for (const [key, conv] of conversions.byKey) row(key).conversions = conv;
  total.conversions = conversions.total;

  const nameRows = await namesRead;
  const names = nameRows ? new Map(nameRows.map((c) => [c.id, c.name])) : null;
  const ordered = [...rows.entries()].sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
  return {
    currency: tenant.currency,
    basis,
    model: req.model,
    windowDays: req.windowDays,
    groupBy: req.groupBy,
    from: req.from.toISOString(),
    to: req.to.toISOString(),
    total: {
      key: null,
      ...total.view(),
      wonDeals,
      /** Won deals of the range without any touch: revenue no call can claim. */
      unattributedRevenue: formatCents(unattributed),
      /** basis=margin: won deals of the range with no margin of their own and no tenant default (left out, never guessed). */
      ...(basis === 'margin' ? { dealsWithoutMargin: credited.withoutAmount + (revenue.withoutAmount ?? 0) } : {}),
    },
    rows: ordered.map(([key, acc]) => ({ key, ...(names ? { name: key === null ? null : (names.get(key) ?? null) } : {}), ...acc.view() })),
  };
}
