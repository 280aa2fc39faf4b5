/**
 * Largest-remainder allocation of an amount in cents (the Hamilton method).
 *
 * Contract section 7 uses it three times: attribution credits of a deal, a cost split over the
 * days of its period, and a day's cost spread over that day's calls. Every time the rule is the
 * same: each share is the exact proportional share rounded down, then the leftover cents go one by
 * one to the largest remainders, ties to the earliest item. The shares always sum to the total.
 *
 * Everything is exact: weights become integers (`bigint`), the share of item i is
 * `total × wᵢ / W` with `W = Σ w`, and since every remainder has the same denominator `W`, the
 * remainders are compared as integers. No floating point is involved.
 */

/**
 * Split `totalCents` in proportion to `weights` (non-negative; all zero → equal split).
 *
 * @param tieOrder the order in which items win ties between equal remainders: a permutation of
 *   the indices, earliest first. Default: index order, so a caller that sorts its items (earliest
 *   call, earlier day) gets "ties to the earliest" for free.
 * @returns one share per weight, in the order of `weights`; `Σ shares === totalCents`.
 *
 * A negative total (a refund) is allocated as its magnitude and then negated, so that the result
 * mirrors the positive case exactly (−0.05 over 3 equal items → −0.02, −0.02, −0.01).
 * A zero-weight item gets 0 unless every weight is 0.
 *
 * @throws RangeError for a negative or non-finite weight, a `tieOrder` that is not a permutation
 *   of the indices, or a non-zero total with nothing to allocate it to.
 */
export function allocateLargestRemainder(
  totalCents: bigint,
  weights: readonly bigint[] | readonly number[],
  tieOrder?: readonly number[],
): bigint[] {
  const count = weights.length;
  if (count === 0) {
    if (totalCents === 0n) return [];
    throw new RangeError('cannot allocate a non-zero amount over no items');
  }
  const rank = tieRanks(count, tieOrder);
  const exactWeights = toExactIntegerWeights(weights);
  const weightSum = exactWeights.reduce((sum, w) => sum + w, 0n);
  // All weights zero: the contract's "equally when they are all 0".
  const effective = weightSum === 0n ? exactWeights.map(() => 1n) : exactWeights;
  const denominator = weightSum === 0n ? BigInt(count) : weightSum;

  const negative = totalCents < 0n;
  const magnitude = negative ? -totalCents : totalCents;

  const shares: bigint[] = [];
  const remainders: bigint[] = [];
  let allocated = 0n;
  for (const weight of effective) {
    const product = magnitude * weight;
    const share = product / denominator; // bigint division truncates = floor for non-negatives
    shares.push(share);
    remainders.push(product % denominator);
    allocated += share;
  }

  // Σ remainders = leftover × W and each remainder < W, so the leftover is smaller than the number
  // of non-zero remainders: the cents below all go to items with a non-zero remainder.
  let leftover = magnitude - allocated;
  const byRemainder = [...shares.keys()].sort(
    (a, b) => compareDescending(remainders[a]!, remainders[b]!) || rank[a]! - rank[b]!,
  );
  for (const index of byRemainder) {
    if (leftover === 0n) break;
    shares[index]! += 1n;
    leftover -= 1n;
  }
  return negative ? shares.map((share) => -share) : shares;
}

function compareDescending(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
}

/** rank[i] = position of index i in the tie order (lower wins). */
function tieRanks(count: number, tieOrder: readonly number[] | undefined): number[] {
  if (tieOrder === undefined) return Array.from({ length: count }, (_, index) => index);
  if (tieOrder.length !== count) throw new RangeError('tieOrder must list every index exactly once');
  const rank = new Array<number>(count).fill(-1);
  tieOrder.forEach((index, position) => {
    if (!Number.isInteger(index) || index < 0 || index >= count || rank[index] !== -1) {
      throw new RangeError('tieOrder must list every index exactly once');
    }
    rank[index] = position;
  });
  return rank;
}

/**
 * Weights as exact integers with the same ratios.
 *
 * `bigint` weights are used as they are. A `number` weight is a finite double, and every double is
 * a dyadic fraction m / 2^k, so doubling it k times is exact and yields an integer (at most 53
 * significant bits, hence representable). Bringing every weight to the largest k keeps the ratios
 * exact: 0.5 and 1.25 become 2 and 5.
 */
function toExactIntegerWeights(weights: readonly bigint[] | readonly number[]): bigint[] {
  const scaled: { integer: bigint; doublings: number }[] = [];
  for (const weight of weights) {
    if (typeof weight === 'bigint') {
      if (weight < 0n) throw new RangeError(`weights must be non-negative, got ${weight}`);
      scaled.push({ integer: weight, doublings: 0 });
      continue;
    }
    if (!Number.isFinite(weight) || weight < 0) {
      throw new RangeError(`weights must be finite and non-negative, got ${weight}`);
    }
    let value = weight;
    let doublings = 0;
    while (!Number.isInteger(value)) {
      value *= 2; // exact: a power-of-two scaling only changes the exponent
      doublings += 1;
    }
    scaled.push({ integer: BigInt(value), doublings });
  }
  const maxDoublings = scaled.reduce((max, s) => Math.max(max, s.doublings), 0);
  return scaled.map((s) => s.integer << BigInt(maxDoublings - s.doublings));
}
