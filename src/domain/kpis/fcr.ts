/**
 * First-contact resolution (contract section 6): an answered inbound call is resolved unless
 * another inbound call (of any status) from the same `externalNumber` follows it within
 * `fcrWindowDays`.
 */
import { compareByStartThenId, MILLIS_PER_DAY, toEpochMillis, type Instant } from '../instant.js';

export const DEFAULT_FCR_WINDOW_DAYS = 7;

export interface FcrCall {
  id: string;
  externalNumber: string | null;
  direction: 'inbound' | 'outbound';
  status: string;
  startedAt: Instant;
}

/**
 * The ids of the answered inbound calls that were repeated: the next inbound call from the same
 * number, in (startedAt, id) order, started at most `windowDays × 86 400 s` after it
 * (`next.startedAt − call.startedAt ≤ window`, measured start to start).
 *
 * Pass every inbound call of the numbers concerned up to the end of the range plus the window:
 * a call whose window has not elapsed yet is resolved until a repeat arrives (the contract says
 * so), which is what this returns when the repeat is not in `calls`. Calls without a number
 * (withheld) cannot be matched to a repeat and count as resolved. Outbound calls are ignored.
 */
export function repeatedCallIds(
  calls: readonly FcrCall[],
  windowDays: number = DEFAULT_FCR_WINDOW_DAYS,
): Set<string> {
  return new Set(repeatsOf(calls, windowDays).keys());
}

/** As `repeatedCallIds`, with the repeat of each: answered call id → the next inbound call's id. */
export function repeatsOf(
  calls: readonly FcrCall[],
  windowDays: number = DEFAULT_FCR_WINDOW_DAYS,
): Map<string, string> {
  if (!Number.isFinite(windowDays) || windowDays < 0) {
    throw new RangeError(`windowDays must be a non-negative number, got ${windowDays}`);
  }
  const windowMs = windowDays * MILLIS_PER_DAY;
  const byNumber = new Map<string, { id: string; startedAtMs: number; answered: boolean }[]>();
  for (const call of calls) {
    if (call.direction !== 'inbound' || call.externalNumber === null) continue;
    const entry = {
      id: call.id,
      startedAtMs: toEpochMillis(call.startedAt, `call ${call.id} startedAt`),
      answered: call.status === 'answered',
    };
    const list = byNumber.get(call.externalNumber);
    if (list) list.push(entry);
    else byNumber.set(call.externalNumber, [entry]);
  }

  const repeated = new Map<string, string>();
  for (const list of byNumber.values()) {
    list.sort(compareByStartThenId);
    // Only the next call matters: if it is outside the window, every later one is too.
    for (let index = 0; index + 1 < list.length; index += 1) {
      const call = list[index]!;
      const next = list[index + 1]!;
      if (call.answered && next.startedAtMs - call.startedAtMs <= windowMs) repeated.set(call.id, next.id);
    }
  }
  return repeated;
}
