/** Pure formatting of ROI figures: money as 2-decimal strings, ratios rounded as documented. */
import { divideRounded, formatCents } from '../../domain/money.js';

/**
 * ROI = (revenue − cost) / cost × 100, as a number with 2 decimals (rounded half away from zero,
 * computed exactly in integers: 50 % is 50, 33.333… % is 33.33); null when cost is 0.
 */
export function roiPercent(revenueCents: bigint, costCents: bigint): number | null {
  if (costCents === 0n) return null;
  const net = revenueCents - costCents;
  // A negative cost (credit notes exceeding costs) flips both signs so the denominator is positive.
  const hundredths = costCents > 0n ? divideRounded(net * 10_000n, costCents) : divideRounded(-net * 10_000n, -costCents);
  return Number(hundredths) / 100;
}

/** cents / count as a 2-decimal string (rounded half away from zero), null when count is 0. */
export function perUnit(cents: bigint, count: number): string | null {
  return count === 0 ? null : formatCents(divideRounded(cents, BigInt(count)));
}

/** Mean of durations in ms, in days with 2 decimals; null without values. */
export function meanDays(durationsMs: readonly number[]): number | null {
  if (durationsMs.length === 0) return null;
  const mean = durationsMs.reduce((a, b) => a + b, 0) / durationsMs.length;
  return Math.round((mean / 86_400_000) * 100) / 100;
}

/** Mean of durations given as their sum in ms and their count, in days with 2 decimals; null without values. */
export function meanDaysOf(sumMs: number, count: number): number | null {
  if (count === 0) return null;
  return Math.round((sumMs / count / 86_400_000) * 100) / 100;
}
