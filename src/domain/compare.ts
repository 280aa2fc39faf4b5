/**
 * Comparisons of a report with an earlier window (`compare=previous_period|previous_year` on the
 * KPI and ROI endpoints): which window, which of its rows each row meets, and the differences.
 *
 * - `previous_period`: a range of whole calendar months (tenant time) compares with the same number
 *   of whole months just before (March → February, Q2 → Q1); a range of whole days with the same
 *   number of days just before; any other range with a window of the same length just before.
 * - `previous_year`: the same local dates and times a year earlier (29 February → 28 February).
 * - Rows grouped by a dimension meet the row of the same key (an agent with that agent). Rows grouped
 *   by time meet the period at the same position in the window (the 3rd day with the 3rd day): a
 *   row whose position the shorter window does not have (31 March against February) meets none.
 * - A delta is current − previous, field by field: numbers as the decimal difference of the two
 *   figures (0.3 − 0.1 = 0.2, not 0.19999999999999998), money strings as money strings, null when
 *   either side is null.
 */
import { Decimal } from 'decimal.js';
import { DateTime } from 'luxon';

export const compareModes = ['previous_period', 'previous_year'] as const;
export type CompareMode = (typeof compareModes)[number];

export const periodUnits = ['hour', 'day', 'week', 'month', 'quarter'] as const;
export type PeriodUnit = (typeof periodUnits)[number];

export interface Window {
  from: Date;
  to: Date;
}

export interface Period extends Window {
  key: string;
}

function local(instant: Date, timezone: string): DateTime {
  const dt = DateTime.fromJSDate(instant, { zone: timezone });
  if (!dt.isValid) throw new RangeError(`unknown timezone ${timezone}`);
  return dt;
}

const isMidnight = (dt: DateTime) => dt.toMillis() === dt.startOf('day').toMillis();
const isMonthStart = (dt: DateTime) => dt.toMillis() === dt.startOf('month').toMillis();

/** The comparison window of [from, to) in the tenant's timezone. */
export function compareWindow(mode: CompareMode, range: Window, timezone: string): Window {
  const from = local(range.from, timezone);
  const to = local(range.to, timezone);
  if (to.toMillis() <= from.toMillis()) throw new RangeError('the range must not be empty');
  if (mode === 'previous_year') return { from: from.minus({ years: 1 }).toJSDate(), to: to.minus({ years: 1 }).toJSDate() };
  if (isMonthStart(from) && isMonthStart(to)) {
    const months = Math.round(to.diff(from, 'months').months);
    return { from: from.minus({ months }).toJSDate(), to: range.from };
  }
  if (isMidnight(from) && isMidnight(to)) {
    // Calendar days, so that a DST change (a 23- or 25-hour day) inside either window changes nothing.
    const days = Math.round(DateTime.fromISO(to.toISODate()!, { zone: 'utc' }).diff(DateTime.fromISO(from.toISODate()!, { zone: 'utc' }), 'days').days);
    return { from: from.minus({ days }).toJSDate(), to: range.from };
  }
  return { from: new Date(range.from.getTime() - (range.to.getTime() - range.from.getTime())), to: range.from };
}

const KEY_FORMAT: Record<PeriodUnit, string> = {
  hour: "yyyy-MM-dd'T'HH",
  day: 'yyyy-MM-dd',
  week: "kkkk-'W'WW", // ISO week-year and week
  month: 'yyyy-MM',
  quarter: "yyyy-'Q'q",
};

/** The key of the period holding an instant, in tenant time (the keys of the KPI and ROI rows). */
export function periodKey(unit: PeriodUnit, instant: Date, timezone: string): string {
  return local(instant, timezone).toFormat(KEY_FORMAT[unit]);
}

/**
 * The periods of a window in order, each clipped to the window. Local hour keys are unique: the
 * hour repeated when clocks go back is one period (from its first start to the end of the second).
 */
export function periodsOf(unit: PeriodUnit, window: Window, timezone: string): Period[] {
  const out: Period[] = [];
  const end = window.to.getTime();
  let start = local(window.from, timezone).startOf(unit);
  while (start.toMillis() < end) {
    const next = start.plus({ [`${unit}s`]: 1 }).startOf(unit);
    const key = start.toFormat(KEY_FORMAT[unit]);
    const to = new Date(Math.min(next.toMillis(), end));
    const last = out[out.length - 1];
    if (last?.key === key) last.to = to;
    else out.push({ key, from: new Date(Math.max(start.toMillis(), window.from.getTime())), to });
    // Guard against a period that does not advance (it always does in IANA zones).
    start = next.toMillis() > start.toMillis() ? next : start.plus({ hours: 1 });
  }
  return out;
}

/** Time rows: each period key of the current window → the period at the same position in the other. */
export function alignPeriods(unit: PeriodUnit, current: Window, previous: Window, timezone: string): Map<string, Period> {
  const before = periodsOf(unit, previous, timezone);
  return new Map(periodsOf(unit, current, timezone).flatMap((p, i) => (before[i] ? [[p.key, before[i]] as const] : [])));
}

const MONEY = /^-?\d+\.\d{2}$/;

/** current − previous for every field both have as a number or a money string; null otherwise. */
export function delta<T extends Record<string, unknown>>(current: T, previous: T): { [K in keyof T]: number | string | null } {
  const out: Record<string, number | string | null> = {};
  for (const field of Object.keys(current)) {
    const a = current[field];
    const b = previous[field];
    if (typeof a === 'number' && typeof b === 'number') out[field] = new Decimal(a).minus(b).toNumber();
    else if (typeof a === 'string' && typeof b === 'string' && MONEY.test(a) && MONEY.test(b)) out[field] = new Decimal(a).minus(b).toFixed(2);
    else out[field] = null;
  }
  return out as { [K in keyof T]: number | string | null };
}
