/**
 * Revenue attribution (contract section 7): which calls touched a won deal, and how the deal's
 * amount is credited to them under each model.
 */
import { allocateLargestRemainder } from '../allocation.js';
import { compareByStartThenId, MILLIS_PER_DAY, toEpochMillis, type Instant } from '../instant.js';

export const attributionModels = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
] as const;
export type AttributionModel = (typeof attributionModels)[number];

/** Contract section 7 defaults. */
export const DEFAULT_ATTRIBUTION_MODEL: AttributionModel = 'last_touch';
export const DEFAULT_WINDOW_DAYS = 30;
/** time_decay: a touch 7 days older than another weighs half as much. */
export const TIME_DECAY_HALF_LIFE_DAYS = 7;

/** A won deal as attribution needs it. */
export interface AttributableDeal {
  /**
   * The deal's phones and its contact's phones, E.164, already normalised by the caller
   * (section 5: tenant country as the default region). Compared by exact string equality.
   */
  phones: readonly string[];
  closedAt: Instant;
}

/** The unified call fields attribution reads (section 4). */
export interface AttributableCall {
  id: string;
  externalNumber: string | null;
  direction: 'inbound' | 'outbound';
  status: string;
  startedAt: Instant;
}

export interface Touch {
  id: string;
  startedAt: Instant;
}

/**
 * The deal's touches, sorted by (startedAt, id): the calls whose `externalNumber` is one of the
 * deal's phones, started inside the window, that are either inbound (any status: the customer
 * reached out, even if nobody answered) or outbound and answered (an unanswered outbound attempt
 * did not reach the customer).
 *
 * The window, precisely: `closedAt − windowDays × 86 400 s ≤ startedAt ≤ closedAt`, both ends
 * included, in absolute time (days are 86 400 s, not calendar days, so DST changes nothing).
 * A call started after the deal closed did not lead to it.
 *
 * A phone shared by several contacts is not an error: each deal whose phones include it gets the
 * call as a touch, so one call can be credited by several deals.
 */
export function touchesOf<C extends AttributableCall>(
  deal: AttributableDeal,
  calls: readonly C[],
  windowDays: number = DEFAULT_WINDOW_DAYS,
): C[] {
  if (!Number.isFinite(windowDays) || windowDays < 0) {
    throw new RangeError(`windowDays must be a non-negative number, got ${windowDays}`);
  }
  const closedAtMs = toEpochMillis(deal.closedAt, 'deal closedAt');
  const windowStartMs = closedAtMs - windowDays * MILLIS_PER_DAY;
  const phones = new Set(deal.phones);

  return calls
    .map((call) => ({ call, id: call.id, startedAtMs: toEpochMillis(call.startedAt, `call ${call.id} startedAt`) }))
    .filter(({ call, startedAtMs }) => {
      if (call.externalNumber === null || !phones.has(call.externalNumber)) return false;
      if (startedAtMs < windowStartMs || startedAtMs > closedAtMs) return false;
      return call.direction === 'inbound' || call.status === 'answered';
    })
    .sort(compareByStartThenId)
    .map(({ call }) => call);
}

/**
 * The deal amount credited to each touch, in cents. The credits always sum to `dealAmountCents`
 * exactly: each model yields weights, and `allocateLargestRemainder` splits the amount (round
 * down, leftover cents by largest remainder, ties to the earliest call by (startedAt, id)).
 *
 * Weights, over the touches sorted by (startedAt, id), n of them:
 * - first_touch: 1 for the first, 0 elsewhere; last_touch: 1 for the last.
 * - linear: 1 each.
 * - position_based: one touch → 100 %; two → 50/50; n ≥ 3 → 40 % first, 40 % last, 20 % split
 *   equally over the n − 2 middle ones. As integers: 2(n−2), 1, …, 1, 2(n−2) (sum 5(n−2)).
 * - time_decay: 2^(−(closedAt − startedAt) / 7 days) as integers, see `timeDecayWeight`.
 *
 * The map holds the touches that receive a non-zero credit, in (startedAt, id) order; a touch that
 * gets nothing (first_touch's later calls, a 1-cent deal over 3 linear touches) is left out, so
 * "deals with a credit in a row" can be counted from the map's keys. No touch → empty map.
 *
 * @throws RangeError if two touches share an id or a touch started after `closedAt`.
 */
export function attribute(
  dealAmountCents: bigint,
  touches: readonly Touch[],
  model: AttributionModel,
  closedAt: Instant,
): Map<string, bigint> {
  const closedAtMs = toEpochMillis(closedAt, 'deal closedAt');
  const sorted = touches
    .map((touch) => ({ id: touch.id, startedAtMs: toEpochMillis(touch.startedAt, `touch ${touch.id} startedAt`) }))
    .sort(compareByStartThenId);
  const ids = new Set<string>();
  for (const touch of sorted) {
    if (ids.has(touch.id)) throw new RangeError(`touch ${touch.id} is listed twice`);
    if (touch.startedAtMs > closedAtMs) throw new RangeError(`touch ${touch.id} started after the deal closed`);
    ids.add(touch.id);
  }
  if (sorted.length === 0) return new Map();

  const weights = modelWeights(model, sorted.map((touch) => touch.startedAtMs));
  const credits = allocateLargestRemainder(dealAmountCents, weights);

  const result = new Map<string, bigint>();
  sorted.forEach((touch, index) => {
    const credit = credits[index]!;
    if (credit !== 0n) result.set(touch.id, credit);
  });
  return result;
}

/** Integer weights for touches already sorted by (startedAt, id). */
function modelWeights(model: AttributionModel, startedAtMs: readonly number[]): bigint[] {
  const count = startedAtMs.length;
  const last = count - 1;
  switch (model) {
    case 'first_touch':
      return startedAtMs.map((_, index) => (index === 0 ? 1n : 0n));
    case 'last_touch':
      return startedAtMs.map((_, index) => (index === last ? 1n : 0n));
    case 'linear':
      return startedAtMs.map(() => 1n);
    case 'position_based': {
      if (count <= 2) return startedAtMs.map(() => 1n);
      const endWeight = 2n * BigInt(count - 2);
      return startedAtMs.map((_, index) => (index === 0 || index === last ? endWeight : 1n));
    }
    case 'time_decay':
      return timeDecayWeights(startedAtMs);
  }
}

/** time_decay's half-life in ms (the reference and src/modules/roi/attribution.sql.ts). */
export const HALF_LIFE_MS = TIME_DECAY_HALF_LIFE_DAYS * MILLIS_PER_DAY;
/** Integer weights are 2^(−age / half-life) scaled by 2^62 (the newest touch weighs exactly 2^62). */
export const TIME_DECAY_SCALE_EXPONENT = 62;

/**
 * e^(−z) = Σ (−z)^n / n! for n ≤ 18, the coefficients as doubles (n! is exact in a double up to
 * 18!, and one division is correctly rounded). For 0 ≤ z < ln 2 the first term left out is below
 * 0.7^19 / 19! ≈ 10^−20, far under a double's precision.
 */
export const TIME_DECAY_POLYNOMIAL: readonly number[] = (() => {
  const out: number[] = [];
  let factorial = 1;
  for (let n = 0; n <= 18; n++) {
    if (n > 0) factorial *= n;
    out.push((n % 2 === 0 ? 1 : -1) / factorial);
  }
  return out;
})();

/**
 * One time_decay weight, 2^(−ageMs / half-life) as an integer: ⌊2^62 × 2^(−f)⌋ shifted right by k,
 * where ageMs / half-life = k + f (k whole, 0 ≤ f < 1), and 2^(−f) = e^(−f ln 2) evaluated by the
 * polynomial above in Horner's form.
 *
 * Why this form: the weight must be the same bit for bit in TypeScript and in PostgreSQL (the served
 * path attributes in SQL, this function is the reference). It uses only IEEE 754 double operations
 * that both sides round correctly — one division, floor, subtraction, multiplication, addition —
 * in a fixed order, then exact integer steps; no pow/exp, whose last bit differs between libraries.
 * The result is within about 10^−15 (relative) of the exact 2^(−age/h) before the final floor.
 * A touch 63 or more half-lives older than the newest (441 days) weighs 0.
 */
export function timeDecayWeight(ageMs: number): bigint {
  const x = ageMs / HALF_LIFE_MS;
  const k = Math.floor(x);
  if (k >= 63) return 0n;
  const z = (x - k) * Math.LN2;
  const c = TIME_DECAY_POLYNOMIAL;
  let p = c[c.length - 1]!;
  for (let n = c.length - 2; n >= 0; n--) p = p * z + c[n]!;
  return BigInt(Math.floor(p * 2 ** TIME_DECAY_SCALE_EXPONENT)) >> BigInt(k);
}

/**
 * time_decay weights as integers (`timeDecayWeight`). The age is measured from the newest touch
 * rather than from closedAt: 2^(−(closedAt − tᵢ)/h) = 2^(−(closedAt − t_newest)/h) ×
 * 2^(−(t_newest − tᵢ)/h), and the common factor cancels out of the proportions. Measuring from the
 * newest touch keeps the largest weight at exactly 2^62, so the precision goes to the ratios,
 * whatever the window.
 */
function timeDecayWeights(startedAtMs: readonly number[]): bigint[] {
  const newestMs = startedAtMs.reduce((max, ms) => Math.max(max, ms), -Infinity);
  return startedAtMs.map((ms) => timeDecayWeight(newestMs - ms));
}
