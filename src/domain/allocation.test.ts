import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateLargestRemainder } from './allocation.js';

describe('allocateLargestRemainder', () => {
  it('gives the leftover cent to the earliest index on equal remainders', () => {
    // 100 / 3 = 33 r 1 each; leftover 100 − 99 = 1 → index 0.
    expect(allocateLargestRemainder(100n, [1, 1, 1])).toEqual([34n, 33n, 33n]);
  });

  it('follows tieOrder when given', () => {
    expect(allocateLargestRemainder(100n, [1, 1, 1], [2, 1, 0])).toEqual([33n, 33n, 34n]);
  });

  it('gives leftover cents to the largest remainders first, whatever the index', () => {
    // 10 × 1 / 3 = 3 r 1; 10 × 2 / 3 = 6 r 2 → leftover 1 goes to index 1 (remainder 2 > 1).
    expect(allocateLargestRemainder(10n, [1n, 2n])).toEqual([3n, 7n]);
  });

  it('hands out several leftover cents one by one', () => {
    // 10 / 4 = 2 r 2 each; leftover 10 − 8 = 2 → indices 0 and 1.
    expect(allocateLargestRemainder(10n, [1, 1, 1, 1])).toEqual([3n, 3n, 2n, 2n]);
  });

  it('is exact when the shares are whole', () => {
    // 1000 × (1, 2, 3, 4) / 10
    expect(allocateLargestRemainder(1000n, [1, 2, 3, 4])).toEqual([100n, 200n, 300n, 400n]);
  });

  it('splits equally when every weight is 0', () => {
    // 5 / 3 = 1 r 2 each; leftover 2 → indices 0, 1.
    expect(allocateLargestRemainder(5n, [0, 0, 0])).toEqual([2n, 2n, 1n]);
  });

  it('gives nothing to a zero weight when another weight is positive', () => {
    expect(allocateLargestRemainder(5n, [0, 3, 0])).toEqual([0n, 5n, 0n]);
  });

  it('mirrors negative totals', () => {
    expect(allocateLargestRemainder(-100n, [1, 1, 1])).toEqual([-34n, -33n, -33n]);
  });

  it('uses fractional number weights exactly', () => {
    // 0.5 : 1.25 = 2 : 5. 100 × 2 / 7 = 28 r 4; 100 × 5 / 7 = 71 r 3; leftover 1 → index 0.
    expect(allocateLargestRemainder(100n, [0.5, 1.25])).toEqual([29n, 71n]);
    // The doubles 0.1 and 0.2 are exactly 1 : 2 (same mantissa), so no float noise: 10 and 20.
    expect(allocateLargestRemainder(30n, [0.1, 0.2])).toEqual([10n, 20n]);
  });

  it('allocates 0 over no items, and refuses anything else', () => {
    expect(allocateLargestRemainder(0n, [])).toEqual([]);
    expect(() => allocateLargestRemainder(1n, [])).toThrow(RangeError);
  });

  it.each([[[-1, 1]], [[Number.NaN]], [[Number.POSITIVE_INFINITY]], [[-1n, 2n]]])('refuses the weights %s', (weights) => {
    expect(() => allocateLargestRemainder(10n, weights as number[])).toThrow(RangeError);
  });

  it.each([[[0, 0, 1]], [[0, 1]], [[0, 1, 3]], [[0, 1, 1.5]]])('refuses the tie order %j for 3 items', (tieOrder) => {
    expect(() => allocateLargestRemainder(10n, [1, 1, 1], tieOrder)).toThrow(RangeError);
  });

  const totals = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });
  const bigintWeights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 30 });

  it('always sums to the total (bigint weights, zeros included)', () => {
    fc.assert(
      fc.property(totals, bigintWeights, (total, weights) => {
        const shares = allocateLargestRemainder(total, weights);
        expect(shares).toHaveLength(weights.length);
        expect(shares.reduce((sum, share) => sum + share, 0n)).toBe(total);
      }),
    );
  });

  it('always sums to the total (any non-negative double weights)', () => {
    const doubles = fc.array(fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }), {
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(totals, doubles, (total, weights) => {
        expect(allocateLargestRemainder(total, weights).reduce((sum, share) => sum + share, 0n)).toBe(total);
      }),
    );
  });

  it('keeps every share within one cent above its exact share rounded down', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), bigintWeights, (total, weights) => {
        const weightSum = weights.reduce((sum, w) => sum + w, 0n);
        const effective = weightSum === 0n ? weights.map(() => 1n) : weights;
        const denominator = weightSum === 0n ? BigInt(weights.length) : weightSum;
        allocateLargestRemainder(total, weights).forEach((share, index) => {
          const floor = (total * effective[index]!) / denominator;
          expect(share === floor || share === floor + 1n).toBe(true);
        });
      }),
    );
  });

  it('mirrors: allocating −t gives the negated shares of t', () => {
    fc.assert(
      fc.property(totals, bigintWeights, (total, weights) => {
        const negated = allocateLargestRemainder(-total, weights);
        expect(negated).toEqual(allocateLargestRemainder(total, weights).map((share) => -share));
      }),
    );
  });
});
