/**
 * Instants as the domain accepts them: a `Date` or an ISO 8601 string with an offset or `Z`
 * (the unified call's `startedAt` is "2025-03-10T14:00:00.000Z"). Converted once to epoch
 * milliseconds so that comparisons are integer comparisons.
 */
export type Instant = Date | string;

// A string must say which instant it is: without `Z` or an offset, Date.parse reads it in the
// server's local zone, and results would depend on where the code runs.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

export function toEpochMillis(instant: Instant, what = 'instant'): number {
  if (typeof instant === 'string' && !ISO_WITH_ZONE.test(instant)) {
    throw new RangeError(`${what} must be an ISO 8601 date-time with Z or an offset, got ${instant}`);
  }
  const millis = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (!Number.isFinite(millis)) throw new RangeError(`${what} is not a valid date: ${String(instant)}`);
  return millis;
}

/** Order of items by (startedAt, id): the contract's "earliest call" (section 7), ids by code unit. */
export function compareByStartThenId(
  a: { startedAtMs: number; id: string },
  b: { startedAtMs: number; id: string },
): number {
  if (a.startedAtMs !== b.startedAtMs) return a.startedAtMs - b.startedAtMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const MILLIS_PER_DAY = 86_400_000;
