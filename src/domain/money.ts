/**
 * Money as integer minor units (cents) in `bigint`.
 *
 * Contract section 5: amounts arrive as decimal strings or JSON numbers with at most 2 decimal
 * places and are stored as exact decimals, never binary floating point. Everything in the domain
 * therefore works in cents (`bigint`), and the only conversions are `parseAmount` (in) and
 * `formatCents` (out, "180000.00").
 */

/** A bad amount, with a message that can be shown to the user as is (bulk rows: `rejected[].error`). */
export class MoneyError extends Error {
  override name = 'MoneyError';
  readonly code = 'invalid_amount';
}

/**
 * Largest magnitude accepted, in cents: PostgreSQL `bigint` (2^63 − 1), so that a parsed amount
 * always fits a `bigint` column whatever the storage layer does with it.
 */
export const MAX_ABS_CENTS = 9_223_372_036_854_775_807n;

// Sign, integer digits, then optionally a point and 1 or 2 digits. No exponent, no thousands
// separator, no leading "." ("0.5", not ".5"): what a JSON number or a plain decimal looks like.
const DECIMAL_AMOUNT = /^([+-]?)(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parse an amount with at most 2 decimal places into cents.
 *
 * - Strings: `"1800"`, `"1800.5"`, `"-12.05"`, `" 7.00 "` (surrounding blanks are ignored).
 *   Rejected: more than 2 places (`"1.005"`, also `"1.500"`: the contract says at most 2 places),
 *   exponents (`"1e3"`), separators (`"1,000"`), empty strings.
 * - Numbers: a JSON number such as `0.1` is the double closest to 0.1, not 0.1. It is read through
 *   its shortest round-trip decimal string (`String(0.1) === "0.1"`), which is exactly what the
 *   sender wrote for any amount with at most 15 significant digits, so `0.1` gives `10n` with no
 *   float arithmetic. NaN, ±Infinity and numbers whose shortest form uses an exponent
 *   (|n| ≥ 1e21 or < 1e-6) are rejected; a double too large to carry its cents exactly comes out
 *   with more than 2 places and is rejected too (send such amounts as strings).
 */
export function parseAmount(input: string | number): bigint {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new MoneyError(`amount must be a finite number, got ${String(input)}`);
    text = String(input);
    if (/e/i.test(text)) {
      throw new MoneyError(`amount ${text} is out of range; send it as a decimal string with at most 2 places`);
    }
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    throw new MoneyError('amount must be a decimal string or a number');
  }

  const match = DECIMAL_AMOUNT.exec(text);
  if (!match) {
    throw new MoneyError(
      `amount "${truncate(text)}" is not a decimal number with at most 2 decimal places (e.g. "1800.50")`,
    );
  }
  const [, sign = '', units = '0', fraction = ''] = match;
  const magnitude = BigInt(units) * 100n + BigInt(fraction.padEnd(2, '0'));
  if (magnitude > MAX_ABS_CENTS) throw new MoneyError(`amount "${truncate(text)}" is too large`);
  return sign === '-' ? -magnitude : magnitude;
}

/** Cents as a decimal string with exactly 2 places: 18000000n → "180000.00", -1205n → "-12.05". */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const magnitude = negative ? -cents : cents;
  const units = magnitude / 100n;
  const fraction = (magnitude % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${units.toString()}.${fraction}`;
}

/**
 * `numerator / denominator` rounded to the nearest integer, halves away from zero
 * (7 / 2 → 4, −7 / 2 → −4, 5 / 3 → 2). Used for averages in cents such as costPerCall, where
 * there is no leftover to hand out. The denominator must be positive.
 */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('divideRounded needs a positive denominator');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  // floor(m/d + 1/2) = floor((2m + d) / 2d) for non-negative m.
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return negative ? -rounded : rounded;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
