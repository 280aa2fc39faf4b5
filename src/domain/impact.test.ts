import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../../test/helpers/prng.js';
import { estimateChange, meanSample, studentTCdf, studentTQuantile, verdictOf, type ImpactSample } from './impact.js';


/** A normal draw (Box–Muller). */
function normal(r: () => number, mean: number, sd: number): number {
  const u = 1 - r();
  const v = r();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function proportion(r: () => number, p: number, n: number): ImpactSample {
  let successes = 0;
  for (let i = 0; i < n; i++) if (r() < p) successes++;
  return { kind: 'proportion', successes, trials: n };
}

function means(r: () => number, mean: number, sd: number, n: number): ImpactSample {
  return meanSample(Array.from({ length: n }, () => Math.max(0, normal(r, mean, sd))));
}

describe("Student's t", () => {
  it('matches published quantiles (two-sided 95 %)', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062047, 5);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281389, 6);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422725, 6);
    expect(studentTQuantile(0.975, 7.5)).toBeGreaterThan(studentTQuantile(0.975, 8));
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4);
    expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 12);
    expect(studentTCdf(-2.015048, 5)).toBeCloseTo(0.05, 5);
  });
});

describe('estimateChange', () => {
  it('computes a two-proportion interval by hand', () => {
    // p1 = 0.6 (300/500), p2 = 0.7 (350/500): se = √(0.24/500 + 0.21/500) = 0.03
    const e = estimateChange({ kind: 'proportion', successes: 300, trials: 500 }, { kind: 'proportion', successes: 350, trials: 500 });
    expect(e.method).toBe('two_proportion_z');
    expect(e.change).toBeCloseTo(0.1, 12);
    expect(e.interval![0]).toBeCloseTo(0.1 - 1.959964 * 0.03, 5);
    expect(e.interval![1]).toBeCloseTo(0.1 + 1.959964 * 0.03, 5);
  });

  it("computes Welch's interval by hand", () => {
    // n 10 and 20, means 100 and 90, variances 400 and 100: se² = 40 + 5 = 45,
    // ν = 45² / (40²/9 + 5²/19) = 2025 / (177.78 + 1.3158) = 11.307
    const e = estimateChange({ kind: 'mean', n: 10, mean: 100, variance: 400 }, { kind: 'mean', n: 20, mean: 90, variance: 100 });
    expect(e.method).toBe('welch_t');
    expect(e.change).toBe(-10);
    const t = studentTQuantile(0.975, 2025 / (1600 / 9 + 25 / 19));
    expect(t).toBeGreaterThan(2.17);
    expect(t).toBeLessThan(2.2);
    expect(e.interval![0]).toBeCloseTo(-10 - t * Math.sqrt(45), 9);
  });

  it('gives no interval when a window is empty', () => {
    const e = estimateChange({ kind: 'proportion', successes: 0, trials: 0 }, { kind: 'proportion', successes: 3, trials: 10 });
    expect(e.change).toBeNull();
    expect(verdictOf(e, 0.1, true)).toBe('inconclusive');
  });
});

describe('verdictOf', () => {
  const est = (change: number, lo: number, hi: number) => ({ method: 'welch_t' as const, before: 0, after: change, change, interval: [lo, hi] as [number, number] });
  it('reads each case', () => {
    expect(verdictOf(est(0.12, 0.05, 0.19), 0.1, true)).toBe('reached');
    expect(verdictOf(est(0.06, 0.01, 0.11), 0.1, true)).toBe('improved');
    expect(verdictOf(est(-0.06, -0.1, -0.01), 0.1, true)).toBe('worsened');
    expect(verdictOf(est(0.06, -0.01, 0.13), 0.1, true)).toBe('inconclusive');
    expect(verdictOf(est(0.06, -0.01, 0.13), 0.1, false)).toBe('too_early');
    // A decrease wanted (occupancy −20 %): the expected side is below zero.
    expect(verdictOf(est(-25, -30, -20), -20, true)).toBe('reached');
    expect(verdictOf(est(25, 20, 30), -20, true)).toBe('worsened');
  });
});

/**
 * Validation on synthetic samples with known effects, over many seeds: the rates are asserted,
 * not one lucky draw. 400 experiments per case keep the binomial error of each rate near ±1.5 %.
 */
describe('validation over seeds', () => {
  const SEEDS = 400;

  it('proportions: a true effect of 1.5× the expected is reached, the interval covers it ≈ 95 %', () => {
    const expected = 0.1; // "FCR +10 points"
    const p1 = 0.6;
    const truth = 1.5 * expected;
    let reached = 0;
    let covered = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(seed);
      const e = estimateChange(proportion(r, p1, 600), proportion(r, p1 + truth, 600));
      if (verdictOf(e, expected, true) === 'reached') reached++;
      if (e.interval![0] <= truth && truth <= e.interval![1]) covered++;
    }
    expect(reached / SEEDS).toBeGreaterThanOrEqual(0.9);
    expect(covered / SEEDS).toBeGreaterThan(0.92);
    expect(covered / SEEDS).toBeLessThan(0.98);
  });

  it('proportions: no effect is inconclusive in ≥ 90 % of seeds', () => {
    let inconclusive = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(10_000 + seed);
      const e = estimateChange(proportion(r, 0.3, 600), proportion(r, 0.3, 600));
      if (verdictOf(e, -0.05, true) === 'inconclusive') inconclusive++;
    }
    expect(inconclusive / SEEDS).toBeGreaterThanOrEqual(0.9);
  });

  it('means (relative −20 % on a mean of per-day values): reached and covered at the stated rates', () => {
    // Occupancy-like daily values, 28 days a window; expected −20 % of the before value (0.8 → −0.16).
    const before = 0.8;
    const expected = -0.2 * before;
    const truth = 1.5 * expected;
    let reached = 0;
    let covered = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(20_000 + seed);
      const e = estimateChange(means(r, before, 0.06, 28), means(r, before + truth, 0.06, 28));
      if (verdictOf(e, expected, true) === 'reached') reached++;
      if (e.interval![0] <= truth && truth <= e.interval![1]) covered++;
    }
    expect(reached / SEEDS).toBeGreaterThanOrEqual(0.9);
    expect(covered / SEEDS).toBeGreaterThan(0.92);
    expect(covered / SEEDS).toBeLessThan(0.98);
  });

  it('means: no effect is inconclusive in ≥ 90 % of seeds', () => {
    let inconclusive = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(30_000 + seed);
      const e = estimateChange(means(r, 300, 120, 400), means(r, 300, 120, 400));
      if (verdictOf(e, -30, true) === 'inconclusive') inconclusive++;
    }
    expect(inconclusive / SEEDS).toBeGreaterThanOrEqual(0.9);
  });
});
