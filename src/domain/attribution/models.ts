/**
 * Revenue attribution (contract section 7): which calls touched a won deal, and how the deal's
 * amount is credited to them under each model.
 */
import { Decimal } from 'decimal.js';
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
 * - time_decay: 2^(−(closedAt − startedAt) / 7 days), see `timeDecayWeights`.
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

// decimal.js is deterministic (pure JavaScript, no platform Math.pow), so the same touches always
// give the same weights, hence the same cents.
const DecimalForWeights = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
const TIME_DECAY_SCALE = new DecimalForWeights('1e18');
const HALF_LIFE_MS = TIME_DECAY_HALF_LIFE_DAYS * MILLIS_PER_DAY;

/**
 * time_decay weights as integers: 2^(−age / half-life) is irrational, so each weight is computed
 * with 40 significant digits (decimal.js) and scaled by 10^18, rounded down.
 *
 * The age is measured from the newest touch rather than from closedAt: 2^(−(closedAt − tᵢ)/h) =
 * 2^(−(closedAt − t_newest)/h) × 2^(−(t_newest − tᵢ)/h), and the common factor cancels out of the
 * proportions. Measuring from the newest touch keeps the largest weight at exactly 10^18, so the
 * 18 digits of precision go to the ratios, whatever the window (a touch ~420 days older than the
 * newest gets weight 0, i.e. less than 10^−18 of the newest's).
 */
function timeDecayWeights(startedAtMs: readonly number[]): bigint[] {
  const newestMs = startedAtMs.reduce((max, ms) => Math.max(max, ms), -Infinity);
  return startedAtMs.map((ms) => {
    const halfLives = new DecimalForWeights(newestMs - ms).div(HALF_LIFE_MS);
    const weight = DecimalForWeights.pow(2, halfLives.neg()).mul(TIME_DECAY_SCALE);
    return BigInt(weight.toFixed(0, Decimal.ROUND_DOWN));
  });
}
