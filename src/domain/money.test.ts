import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divideRounded, formatCents, MAX_ABS_CENTS, MoneyError, parseAmount } from './money.js';

describe('parseAmount', () => {
  it.each([
    ['180000', 18_000_000n], // 180000 × 100
    ['180000.00', 18_000_000n],
    ['1800.5', 180_050n], // 1800 × 100 + 50
    ['-12.05', -1_205n],
    ['+3.10', 310n],
    [' 7 ', 700n],
    ['007.50', 750n],
    ['0', 0n],
    ['-0.00', 0n],
  ])('reads the string %j as %s cents', (input, cents) => {
    expect(parseAmount(input)).toBe(cents);
  });

  it.each([
    [0.1, 10n], // 0.1 × 100 is 10.000000000000002 in floating point; "0.1" → 10
    [0.29, 29n], // 0.29 × 100 = 28.999999999999996 in floating point
    [4.35, 435n], // 4.35 × 100 = 434.99999999999994 in floating point
    [19.99, 1_999n],
    [-12.05, -1_205n],
    [180000, 18_000_000n],
    [-0, 0n],
    [123456789012.34, 12_345_678_901_234n],
  ])('reads the number %s through its shortest decimal string as %s cents', (input, cents) => {
    expect(parseAmount(input)).toBe(cents);
  });

  it.each(['1.005', '1.500', '1e3', '1E3', '1,000', '1 000', '', '   ', '.5', '5.', 'abc', '0x10', 'NaN', 'Infinity', '--1', '1-'])(
    'rejects the string %j',
    (input) => {
      expect(() => parseAmount(input)).toThrow(MoneyError);
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.005, 0.001, 1e21, 1e-7])(
    'rejects the number %s',
    (input) => {
      expect(() => parseAmount(input)).toThrow(MoneyError);
    },
  );

  it('rejects what does not fit a PostgreSQL bigint of cents', () => {
    expect(parseAmount('92233720368547758.07')).toBe(MAX_ABS_CENTS);
    expect(parseAmount('-92233720368547758.07')).toBe(-MAX_ABS_CENTS);
    expect(() => parseAmount('92233720368547758.08')).toThrow(MoneyError);
  });

  it('gives a user-facing message and a code', () => {
    let caught: unknown;
    try {
      parseAmount('12.345');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MoneyError);
    expect((caught as MoneyError).code).toBe('invalid_amount');
    expect((caught as MoneyError).message).toContain('at most 2 decimal places');
  });

  it('round-trips every amount: parseAmount(formatCents(c)) === c', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_ABS_CENTS, max: MAX_ABS_CENTS }), (cents) => {
        expect(parseAmount(formatCents(cents))).toBe(cents);
      }),
    );
  });

  it('reads a JSON number with up to 15 significant digits as the decimal that was written', () => {
    // A sender writes "1234.56" in JSON; JSON.parse gives the nearest double; we must get 123456n.
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n }), (cents) => {
        const asJsonNumber = JSON.parse(formatCents(cents)) as number;
        expect(parseAmount(asJsonNumber)).toBe(cents);
      }),
    );
  });
});

describe('formatCents', () => {
  it.each([
    [18_000_000n, '180000.00'],
    [-1_205n, '-12.05'],
    [0n, '0.00'],
    [7n, '0.07'],
    [-5n, '-0.05'],
    [100n, '1.00'],
    [MAX_ABS_CENTS, '92233720368547758.07'],
  ])('formats %s as %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });
});

describe('divideRounded', () => {
  it.each([
    [7n, 2n, 4n], // 3.5 → 4 (half away from zero)
    [-7n, 2n, -4n], // −3.5 → −4
    [5n, 3n, 2n], // 1.67 → 2
    [4n, 3n, 1n], // 1.33 → 1
    [100_000n, 3n, 33_333n], // 33333.33 → 33333
    [0n, 5n, 0n],
  ])('%s / %s → %s', (numerator, denominator, expected) => {
    expect(divideRounded(numerator, denominator)).toBe(expected);
  });

  it('refuses a zero or negative denominator', () => {
    expect(() => divideRounded(1n, 0n)).toThrow(RangeError);
    expect(() => divideRounded(1n, -2n)).toThrow(RangeError);
  });
});
