/**
 * GET /v1/kpis: rollup sums (+ allocated costs, + staffed time) → domain `finalize`.
 */
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, type Database } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';
import { alignPeriods, compareWindow, delta, type CompareMode } from '../../domain/compare.js';
import {
  addSums,
  costContribution,
  emptySums,
  finalize,
  staffingContribution,
  type KpiSettings,
  type KpiSums,
} from '../../domain/kpis/definitions.js';
import { ValidationError } from '../../lib/errors.js';
import { parseAmount } from '../../domain/money.js';
import { canonicalAgentId } from '../agents/index.js';
import { leadConversions, leadFigures, noConversions, type LeadConversions } from '../roi/index.js';
import { effectiveSettings } from '../tenants/index.js';
import { rowCosts, type RowCosts } from './cost-shares.js';
import { hasStaffedTimeSql, rollupSums, staffedSums, type RollupFilters, type RollupQuery } from './kpis.repo.js';
import { isTimeGroupBy, type KpisQuery, type KpisResponse } from './kpis.schemas.js';
import { rollupFingerprint } from './refresh.js';

const HOUR_KEY = "yyyy-MM-dd'T'HH";
const DEFAULT_DAYS = 30;

function localDateTime(value: string, timezone: string): DateTime {
  const dt = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? DateTime.fromISO(value, { zone: timezone }).startOf('day')
    : DateTime.fromISO(value).setZone(timezone);
  return dt;
}

/** The first local hour starting at or after `dt` (KPIs are kept per local hour). */
function ceilHour(dt: DateTime): DateTime {
  const start = dt.startOf('hour');
  return start.toMillis() === dt.toMillis() ? start : start.plus({ hours: 1 });
}

export interface KpiRange {
  fromKey: string;
  toKey: string;
  from: Date;
  to: Date;
}

/**
 * Ranges with both ends given, by timezone and ends: they do not depend on now, and zoned date
 * arithmetic (luxon over Intl) was a tenth of a GET /v1/kpis's CPU (bench/kpis.ts). At most
 * RANGE_MEMO_SIZE, then started afresh.
 */
const RANGE_MEMO_SIZE = 10_000;
const ranges = new Map<string, KpiRange>();

/** [from, to) as local hour keys: the hours whose start lies in the range. */
export function kpiRange(query: Pick<KpisQuery, 'from' | 'to'>, timezone: string, now = new Date()): KpiRange {
  if (query.from === undefined || query.to === undefined) return computeKpiRange(query, timezone, now);
  const key = `${timezone}\u0000${query.from}\u0000${query.to}`;
  let range = ranges.get(key);
  if (!range) {
    range = computeKpiRange(query, timezone, now);
    if (ranges.size >= RANGE_MEMO_SIZE) ranges.clear();
    ranges.set(key, range);
  }
  // A copy: callers own their dates.
  return { ...range, from: new Date(range.from), to: new Date(range.to) };
}

function computeKpiRange(query: Pick<KpisQuery, 'from' | 'to'>, timezone: string, now: Date): KpiRange {
  const to = ceilHour(query.to ? localDateTime(query.to, timezone) : DateTime.fromJSDate(now).setZone(timezone));
  const from = ceilHour(query.from ? localDateTime(query.from, timezone) : to.minus({ days: DEFAULT_DAYS }).startOf('day'));
  if (from.toMillis() >= to.toMillis()) {
    throw new ValidationError([{ path: 'query.from', message: 'from must be before to (at least one hour apart)' }]);
  }
  return { fromKey: from.toFormat(HOUR_KEY), toKey: to.toFormat(HOUR_KEY), from: from.toJSDate(), to: to.toJSDate() };
}

export function kpiSettingsOf(settings: ReturnType<typeof effectiveSettings>): KpiSettings {
  return {
    shortAbandonSeconds: settings.shortAbandonSeconds,
    serviceLevelSeconds: settings.serviceLevelSeconds,
    serviceLevelFormula: settings.serviceLevelFormula,
    creditShortAbandons: settings.creditShortAbandons,
    waitCostPerHourCents: settings.waitCostPerHour === null ? null : parseAmount(settings.waitCostPerHour),
  };
}

/**
 * The small per-request facts, in one round trip: the fingerprint the rollups were built with,
 * whether any cost of the tenant overlaps the range's local dates (cost periods are dates; a day
 * either side keeps this a superset of the days the allocation counts), and whether the tenant has
 * any staffed time (occupancy's read is skipped without).
 */
async function requestContext(
  db: Database,
  tenant: TenantRow,
  range: KpiRange,
): Promise<{ fingerprint: string | null; mayHaveCosts: boolean; hasStaffedTime: boolean }> {
  // The local dates of `from` and `to` are their hour keys' (no zoned arithmetic needed).
  const day = (hourKey: string, shift: number) => new Date(Date.parse(`${hourKey.slice(0, 10)}T00:00:00Z`) + shift * 86_400_000).toISOString().slice(0, 10);
  const [row] = await queryRows<{ fingerprint: string | null; may_have_costs: boolean; has_staffed_time: boolean }>(
    db,
    sql`select (select fingerprint from kpi_state where tenant_id = ${tenant.id}) as fingerprint,
          exists (select 1 from costs where tenant_id = ${tenant.id}
                  and period_start <= ${day(range.toKey, 1)}::date and period_end >= ${day(range.fromKey, -1)}::date) as may_have_costs,
          ${hasStaffedTimeSql(tenant.id)} as has_staffed_time`,
  );
  return { fingerprint: row?.fingerprint ?? null, mayHaveCosts: row?.may_have_costs ?? true, hasStaffedTime: row?.has_staffed_time ?? true };
}

export async function computeKpis(db: Database, tenant: TenantRow, query: KpisQuery, now = new Date()): Promise<KpisResponse> {
  const settings = effectiveSettings(tenant.settings);
  const range = kpiRange(query, tenant.timezone, now);
  const filters: RollupFilters = {
    provider: query.provider,
    direction: query.direction,
    // Either agent of a linked pair names the pair: the rollups keep it under the first one's id.
    agentId: query.agentId === undefined ? undefined : await canonicalAgentId(db, tenant.id, query.agentId),
    campaignId: query.campaignId,
    queue: query.queue,
  };
  const activeFilters = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const businessHoursOnly = (query.businessHoursOnly ?? settings.kpisBusinessHoursOnly) && settings.businessHours !== null;
  const q: RollupQuery = {
    tenantId: tenant.id,
    fromKey: range.fromKey,
    toKey: range.toKey,
    groupBy: query.groupBy,
    filters,
    businessHours: businessHoursOnly ? settings.businessHours : null,
  };
  // Staffed time is per agent: rows of time or agents only, and no filter but agentId.
  const occupancyApplies =
    ['hour', 'day', 'week', 'month', 'quarter', 'agent'].includes(query.groupBy) &&
    Object.keys(activeFilters).every((f) => f === 'agentId');
  const unfiltered = Object.keys(activeFilters).length === 0 && !businessHoursOnly;
  // The independent reads run side by side (the pool has several connections): the lead figures'
  // won deals too (src/modules/roi leadConversions, two statements in a row), by the first touch's
  // row, so not under filters or business hours, whose rows the deals' first touches are not cut by.
  const contextRead = requestContext(db, tenant, range);
  const [grouped, context, staffed, conversions] = await Promise.all([
    rollupSums(db, q),
    contextRead,
    occupancyApplies
      ? contextRead.then((c) => (c.hasStaffedTime ? staffedSums(db, { ...q, timezone: tenant.timezone, fromInstant: range.from, toInstant: range.to }) : null))
      : null,
    unfiltered ? leadConversions(db, tenant, { from: range.from, to: range.to }, query.groupBy) : null,
  ]);

  // Costs per row (./cost-shares.ts); a filtered or business-hours view has no allocation of its
  // own, so it gets no cost per call rather than a wrong one.
  let costNote: string;
  let costs: RowCosts | null = null;
  if (Object.keys(activeFilters).length > 0) costNote = 'null: costs are not allocated under filters';
  else if (businessHoursOnly) costNote = 'null: costs are allocated per day, not per business hour';
  // The costs of the range: not worth reading when there can be none.
  else if (!context.mayHaveCosts && !settings.countProviderPrices) costNote = 'null: no costs in the range';
  else {
    costs = await rowCosts(db, tenant, { from: range.from, to: range.to }, query.groupBy);
    if (costs.totalCents === 0n && costs.byKey.size === 0) {
      costs = null;
      costNote = 'null: no costs in the range';
    } else if (isTimeGroupBy(query.groupBy) && query.groupBy !== 'hour') {
      costNote = "the period's whole cost (every cost's daily shares of its days, contract section 7) / handled calls; total: every cost of the range";
    } else costNote = 'allocated cost of the row (contract section 7) / handled calls; total: every cost of the range';
  }

  const staffedByKey = new Map(staffed?.rows.map((r) => [r.key, r]) ?? []);
  const leadsOf = (sums: KpiSums, cents: bigint | null, conv: LeadConversions | null | undefined) => {
    const figures = leadFigures(sums.leads, cents, conv ?? noConversions());
    return conversions ? figures : { ...figures, leadCloseRate: null, avgDaysToConversion: null };
  };

  const kpiSettings = kpiSettingsOf(settings);
  const withExtras = (sums: KpiSums, cents: bigint | null, staffing: { staffedSeconds: number; handleSeconds: number } | null | undefined) => {
    let all = sums;
    if (cents !== null) all = addSums(all, costContribution(cents));
    if (staffing) all = addSums(all, staffingContribution(staffing));
    const row = finalize(all, kpiSettings);
    // Without a cost the money figures are unknown, not 0.00 (finalize's row is ours to change).
    if (cents === null) {
      row.costPerCall = null;
      row.repeatCallsCost = null;
    }
    return row;
  };
  const rows = grouped.rows.map((r) => {
    const cents = costs ? (costs.byKey.get(r.key) ?? 0n) : null;
    return { key: r.key, ...withExtras(r.sums, cents, staffedByKey.get(r.key)), ...leadsOf(r.sums, cents, conversions?.byKey.get(r.key)) };
  });
  const totalCents = costs ? costs.totalCents : null;
  const total = { key: null, ...withExtras(grouped.total.sums, totalCents, staffed?.total), ...leadsOf(grouped.total.sums, totalCents, conversions?.total) };

  const response: KpisResponse = {
    rows,
    total,
    definitions: {
      timezone: tenant.timezone,
      currency: tenant.currency,
      groupBy: query.groupBy,
      range: {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        note: 'calls whose startedAt lies in a tenant-local hour starting in [from, to); dates are 00:00 tenant time',
      },
      filters: activeFilters,
      shortAbandonSeconds: settings.shortAbandonSeconds,
      serviceLevelSeconds: settings.serviceLevelSeconds,
      serviceLevelFormula: settings.serviceLevelFormula,
      creditShortAbandons: settings.creditShortAbandons,
      fcrWindowDays: settings.fcrWindowDays,
      defaultAfterCallWorkSeconds: settings.defaultAfterCallWorkSeconds,
      businessHours: settings.businessHours,
      businessHoursOnly,
      occupancy: occupancyApplies
        ? 'handle time in staffed hours / staffed time (schedules and provider availability, merged); null without staffed time'
        : 'null: staffed time is known per agent, so only for groupBy hour, day, week, month, quarter or agent, filtered by agentId at most',
      costPerCall: costNote,
      leads:
        'calls with firstTimeCaller or crmLead; leadCloseRate = won deals closed in the range whose first touch (default window) is a lead call / leads, the deal in the row of its first touch (time groupings: of its close); costPerLead = the costPerCall cost / leads; avgDaysToConversion = mean days from first touch to close' +
        (conversions ? '' : ' (leadCloseRate and avgDaysToConversion: null under filters or business hours)'),
      waitCostPerHour: settings.waitCostPerHour,
      rollupsCurrent: context.fingerprint === rollupFingerprint(tenant),
    },
  };
  return query.compare ? withComparison(db, tenant, query, query.compare, range, response, now) : response;
}

type KpiFiguresOnly = Omit<KpisResponse['total'], 'key' | 'compare'>;

const figuresOf = (row: KpisResponse['total']): KpiFiguresOnly => {
  const { key: _key, compare: _compare, ...figures } = row;
  return figures;
};

/**
 * compare=previous_period|previous_year: the same request over the comparison window, each row
 * meeting its aligned row there (src/domain/compare.ts); a row without one meets empty figures.
 */
async function withComparison(
  db: Database,
  tenant: TenantRow,
  query: KpisQuery,
  mode: CompareMode,
  range: KpiRange,
  current: KpisResponse,
  now: Date,
): Promise<KpisResponse> {
  const window = compareWindow(mode, range, tenant.timezone);
  const previous = await computeKpis(db, tenant, { ...query, compare: undefined, from: window.from.toISOString(), to: window.to.toISOString() }, now);
  const empty: KpiFiguresOnly = { ...finalize(emptySums(), kpiSettingsOf(effectiveSettings(tenant.settings))), costPerCall: null, repeatCallsCost: null, ...leadFigures(0, null, noConversions()) };
  // Keyed by dimension value (null: the calls without the dimension) or by period key.
  const byKey = new Map(previous.rows.map((r) => [r.key, figuresOf(r)]));
  const compared = (row: KpisResponse['total'], key: string | null, from: Date, to: Date, values = byKey.get(key) ?? empty) => ({
    key,
    from: from.toISOString(),
    to: to.toISOString(),
    values,
    delta: delta(figuresOf(row), values),
  });
  const aligned = isTimeGroupBy(query.groupBy) ? alignPeriods(query.groupBy, range, window, tenant.timezone) : null;
  const rows = current.rows.map((row) => {
    if (!aligned) return { ...row, compare: compared(row, row.key, window.from, window.to) };
    const period = row.key === null ? undefined : aligned.get(row.key);
    return { ...row, compare: period ? compared(row, period.key, period.from, period.to) : null };
  });
  const total = { ...current.total, compare: compared(current.total, null, window.from, window.to, figuresOf(previous.total)) };
  return { rows, total, definitions: { ...current.definitions, compare: { mode, from: window.from.toISOString(), to: window.to.toISOString() } } };
}
