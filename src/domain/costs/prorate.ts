/**
 * Costs pro rata by day, and a day's cost spread over that day's calls (contract section 7).
 *
 * Days are calendar days of the tenant's timezone. A cost's period names days (`YYYY-MM-DD`, both
 * ends included); a day belongs to a KPI/ROI range when its start, 00:00 tenant time, lies in the
 * range `[from, to)`.
 */
import { DateTime } from 'luxon';
import { allocateLargestRemainder } from '../allocation.js';
import { compareByStartThenId, toEpochMillis, type Instant } from '../instant.js';

export interface DayShare {
  day: string;
  cents: bigint;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Split a cost over the days of its period, `periodStart` and `periodEnd` included.
 *
 * Every day weighs the same, so each gets ⌊amount / days⌋ and the leftover cents
 * (amount mod days) go to the first days: with equal remainders, ties go to the earlier day.
 * 100.00 over 2025-03-01..2025-03-03 → 33.34, 33.33, 33.33. Negative amounts (credit notes) are
 * mirrored. The period is counted in calendar dates, so a DST change inside it changes nothing.
 *
 * @throws RangeError for a malformed date or `periodEnd` before `periodStart`.
 */
export function prorateByDay(amountCents: bigint, periodStart: string, periodEnd: string): DayShare[] {
  const start = parseDay(periodStart, 'periodStart');
  const end = parseDay(periodEnd, 'periodEnd');
  if (end < start) throw new RangeError(`periodEnd ${periodEnd} is before periodStart ${periodStart}`);

  const days: string[] = [];
  for (let day = start; day <= end; day = day.plus({ days: 1 })) days.push(day.toISODate()!);
  const shares = allocateLargestRemainder(amountCents, days.map(() => 1n));
  return days.map((day, index) => ({ day, cents: shares[index]! }));
}

/**
 * The instant a tenant day starts: 00:00 in `timezone`. On the rare days that skip midnight
 * (a DST change at 00:00, e.g. America/Santiago on 2025-09-07), luxon moves the non-existent
 * 00:00 forward by the gap, which is the first instant of that day (01:00).
 */
export function dayStartUtc(day: string, timezone: string): Date {
  const key = `${timezone}\u0000${day}`;
  const known = dayStarts.get(key);
  if (known !== undefined) return new Date(known);
  assertZone(timezone);
  const start = DateTime.fromISO(day, { zone: timezone });
  if (!DAY_PATTERN.test(day) || !start.isValid) throw new RangeError(`day must be YYYY-MM-DD, got ${day}`);
  const ms = start.startOf('day').toMillis();
  remember(dayStarts, key, ms);
  return new Date(ms);
}

/**
 * Pure results kept by key, at most MEMO_SIZE each (then started afresh): a GET /v1/roi over 90
 * days asked for the same day starts and the same range's days several times (each reader cuts
 * its own days), each answer tens of microseconds of zoned date arithmetic (Intl).
 */
const MEMO_SIZE = 10_000;
const dayStarts = new Map<string, number>();
const rangeDays = new Map<string, readonly string[]>();
function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(key, value);
}

/**
 * The tenant days whose start (00:00 in `timezone`) lies in `[from, to)`, in order.
 * `from` 2025-03-10T00:30+01:00 in Europe/Paris excludes 2025-03-10 (it started before `from`)
 * and includes 2025-03-11 if `to` is later than its midnight.
 */
export function daysInRange(from: Instant, to: Instant, timezone: string): string[] {
  const fromMs = toEpochMillis(from, 'from');
  const toMs = toEpochMillis(to, 'to');
  const key = `${timezone}\u0000${fromMs}\u0000${toMs}`;
  let days = rangeDays.get(key);
  if (!days) remember(rangeDays, key, (days = computeDaysInRange(fromMs, toMs, timezone)));
  // A copy: callers own their list.
  return [...days];
}

function computeDaysInRange(fromMs: number, toMs: number, timezone: string): string[] {
  assertZone(timezone);
  const days: string[] = [];
  if (toMs <= fromMs) return days;
  let first = DateTime.fromMillis(fromMs, { zone: timezone }).startOf('day');
  if (first.toMillis() < fromMs) first = first.plus({ days: 1 }).startOf('day');
  // The last day is the one holding the range's last instant (its start is before `to`, the next
  // day's is not); the dates between are plain calendar steps, with no timezone work per day
  // (a request over a quarter would otherwise spend milliseconds in date arithmetic).
  const last = DateTime.fromMillis(toMs - 1, { zone: timezone }).startOf('day');
  if (Math.abs(last.offset - first.offset) >= 12 * 60) {
    // A zone that moved across the date line in between (Pacific/Apia skipped 2011-12-30): day by day.
    for (let day = first; day.toMillis() < toMs; day = day.plus({ days: 1 }).startOf('day')) days.push(day.toISODate()!);
    return days;
  }
  const end = Date.UTC(last.year, last.month - 1, last.day);
  for (let t = Date.UTC(first.year, first.month - 1, first.day); t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export interface SpreadableCall {
  id: string;
  startedAt: Instant;
  handleSeconds: number;
}

/**
 * Spread one day's cost share over that day's handled calls (the caller picks them: all the
 * day's handled calls, or the calls of the cost's scope), in proportion to `handleSeconds`,
 * equally when they are all 0. Rounded down per call, leftover cents by largest remainder,
 * ties to the earliest call by (startedAt, id). The map holds every call (0n included), in
 * (startedAt, id) order, and its values sum to `cents`.
 *
 * @throws RangeError when there is no call to spread a non-zero amount over: the contract puts
 *   that share in the null-key row, which is the caller's decision, not this function's.
 */
export function spreadOverCalls(cents: bigint, calls: readonly SpreadableCall[]): Map<string, bigint> {
  const sorted = calls
    .map((call) => ({
      id: call.id,
      handleSeconds: call.handleSeconds,
      startedAtMs: toEpochMillis(call.startedAt, `call ${call.id} startedAt`),
    }))
    .sort(compareByStartThenId);
  const ids = new Set<string>();
  for (const call of sorted) {
    if (ids.has(call.id)) throw new RangeError(`call ${call.id} is listed twice`);
    ids.add(call.id);
  }
  const shares = allocateLargestRemainder(
    cents,
    sorted.map((call) => call.handleSeconds),
  );
  return new Map(sorted.map((call, index) => [call.id, shares[index]!]));
}

function parseDay(day: string, what: string): DateTime {
  const parsed = DateTime.fromISO(day, { zone: 'utc' });
  if (!DAY_PATTERN.test(day) || !parsed.isValid) throw new RangeError(`${what} must be YYYY-MM-DD, got ${day}`);
  return parsed;
}

/** Zones already found valid: checking one builds a zoned DateTime (Intl work), and a request over 90 days checked its tenant's zone dozens of times. */
const validZones = new Set<string>();

function assertZone(timezone: string): void {
  if (validZones.has(timezone)) return;
  if (!DateTime.now().setZone(timezone).isValid) throw new RangeError(`unknown timezone ${timezone}`);
  validZones.add(timezone);
}
