/**
 * Time bucket keys in the tenant's timezone (contract section 6: days, weeks and months are in
 * the tenant's timezone; a call belongs to the bucket of its `startedAt`).
 *
 * KPIs are stored per hour key, 'YYYY-MM-DDTHH' in tenant time; day, ISO week, month and quarter keys are
 * derived from the hour key alone, so a roll-up never needs the timezone again.
 *
 * Local clock hours, not UTC hours: on a DST change day the day has 23 or 25 hours. When clocks
 * go back, the repeated hour (02:00 twice in Europe/Paris on 2025-10-26) is one key, as the
 * contract counts "each distinct date and hour in tenant time". Half-hour zones (Asia/Kolkata,
 * UTC+05:30) simply shift which UTC instants fall in each local hour.
 */
import { DateTime } from 'luxon';
import { toEpochMillis, type Instant } from '../instant.js';

const HOUR_KEY = /^(\d{4}-\d{2}-\d{2})T(\d{2})$/;

/** Local 'YYYY-MM-DDTHH' of an instant in `timezone`. */
export function hourKey(startedAt: Instant, timezone: string): string {
  return localTime(startedAt, timezone).toFormat("yyyy-MM-dd'T'HH");
}

/** Local 'YYYY-MM-DD' of an instant in `timezone`. */
export function dayKey(startedAt: Instant, timezone: string): string {
  return localTime(startedAt, timezone).toFormat('yyyy-MM-dd');
}

export function dayOfHourKey(key: string): string {
  return parseHourKey(key).day;
}

/** ISO week of the hour key's day, 'YYYY-Www' with the ISO week-year: 2024-12-30 → 2025-W01. */
export function weekOfHourKey(key: string): string {
  return weekOfDay(parseHourKey(key).day);
}

export function monthOfHourKey(key: string): string {
  return parseHourKey(key).day.slice(0, 7);
}

/** Calendar quarter of the hour key's day, 'YYYY-Qn' (tenant-local: the key is local time). */
export function quarterOfHourKey(key: string): string {
  return quarterOfDay(parseHourKey(key).day);
}

/** Calendar quarter of a 'YYYY-MM-DD' day or a 'YYYY-MM' month: 2025-03-31 → 2025-Q1. */
export function quarterOfDay(day: string): string {
  const month = Number(day.slice(5, 7));
  if (!/^\d{4}-\d{2}/.test(day) || month < 1 || month > 12) throw new RangeError(`day must be YYYY-MM-DD, got ${day}`);
  return `${day.slice(0, 4)}-Q${Math.ceil(month / 3)}`;
}

/** ISO week of a 'YYYY-MM-DD' day (a calendar date: no timezone involved). */
export function weekOfDay(day: string): string {
  const date = DateTime.fromISO(day, { zone: 'utc' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !date.isValid) throw new RangeError(`day must be YYYY-MM-DD, got ${day}`);
  // kkkk = ISO week-year, WW = ISO week number (not yyyy, which is the calendar year).
  return date.toFormat("kkkk-'W'WW");
}

function parseHourKey(key: string): { day: string; hour: number } {
  const match = HOUR_KEY.exec(key);
  const day = match?.[1];
  const hour = Number(match?.[2]);
  if (day === undefined || !DateTime.fromISO(day, { zone: 'utc' }).isValid || hour > 23) {
    throw new RangeError(`hour key must be YYYY-MM-DDTHH, got ${key}`);
  }
  return { day, hour };
}

function localTime(instant: Instant, timezone: string): DateTime {
  const local = DateTime.fromMillis(toEpochMillis(instant), { zone: timezone });
  if (!local.isValid) throw new RangeError(`unknown timezone ${timezone}`);
  return local;
}
