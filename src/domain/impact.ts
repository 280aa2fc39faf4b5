/**
 * An initiative's measured impact: a KPI over a window before the initiative and a window after
 * its adjustment period, the change, a 95 % confidence interval for the change, and a verdict.
 *
 * Two samples, two methods (both stated in the answer):
 * - a proportion (abandonment, service level, FCR, CSAT: each call or response is a success or
 *   not) → the difference of two proportions with the unpooled normal (Wald) interval,
 *   `p₂ − p₁ ± z·√(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂)`;
 * - a mean (speed of answer, handle time, NPS as the mean of −100/0/+100 per response, and the
 *   KPIs that exist only per day — occupancy, calls per hour, cost per call, volumes — as the mean
 *   of daily values) → Welch's t interval, `m₂ − m₁ ± t(ν)·√(s₁²/n₁ + s₂²/n₂)` with the
 *   Welch–Satterthwaite degrees of freedom ν.
 *
 * Pure: the samples are built by the initiatives module from calls, surveys and daily figures.
 */

export type ImpactSample =
  | { kind: 'proportion'; successes: number; trials: number }
  | { kind: 'mean'; n: number; mean: number; variance: number };

export type ImpactMethod = 'two_proportion_z' | 'welch_t';
export type Verdict = 'reached' | 'improved' | 'worsened' | 'inconclusive' | 'too_early';

export interface ImpactEstimate {
  method: ImpactMethod;
  before: number | null;
  after: number | null;
  change: number | null;
  /** 95 % confidence interval of the change; null when a window has too little data. */
  interval: [number, number] | null;
}

const Z_975 = 1.959963984540054;

/** Sufficient statistics of a list of numbers (sample variance, n − 1). */
export function meanSample(values: readonly number[]): ImpactSample {
  const n = values.length;
  if (n === 0) return { kind: 'mean', n: 0, mean: Number.NaN, variance: Number.NaN };
  let mean = 0;
  let m2 = 0;
  // Welford: stable for long lists of large values (handle times of a month of calls).
  values.forEach((x, i) => {
    const d = x - mean;
    mean += d / (i + 1);
    m2 += d * (x - mean);
  });
  return { kind: 'mean', n, mean, variance: n > 1 ? m2 / (n - 1) : Number.NaN };
}

function valueOf(s: ImpactSample): number | null {
  if (s.kind === 'proportion') return s.trials === 0 ? null : s.successes / s.trials;
  return s.n === 0 ? null : s.mean;
}

export function estimateChange(before: ImpactSample, after: ImpactSample): ImpactEstimate {
  if (before.kind !== after.kind) throw new TypeError('both windows must hold the same kind of sample');
  const b = valueOf(before);
  const a = valueOf(after);
  const method: ImpactMethod = before.kind === 'proportion' ? 'two_proportion_z' : 'welch_t';
  if (a === null || b === null) return { method, before: b, after: a, change: null, interval: null };
  const change = a - b;
  if (before.kind === 'proportion' && after.kind === 'proportion') {
    const se = Math.sqrt((b * (1 - b)) / before.trials + (a * (1 - a)) / after.trials);
    return { method, before: b, after: a, change, interval: [change - Z_975 * se, change + Z_975 * se] };
  }
  if (before.kind !== 'mean' || after.kind !== 'mean' || before.n < 2 || after.n < 2) {
    return { method, before: b, after: a, change, interval: null };
  }
  const v1 = before.variance / before.n;
  const v2 = after.variance / after.n;
  const se = Math.sqrt(v1 + v2);
  if (se === 0) return { method, before: b, after: a, change, interval: [change, change] };
  const df = (v1 + v2) ** 2 / (v1 ** 2 / (before.n - 1) + v2 ** 2 / (after.n - 1));
  const t = studentTQuantile(0.975, df);
  return { method, before: b, after: a, change, interval: [change - t * se, change + t * se] };
}

/**
 * The verdict of a change against the expected one (same unit, sign = the wanted direction):
 * `reached` when the interval lies entirely on the expected side of zero and the estimate is at
 * least the expected change; `improved` when entirely on that side but smaller; `worsened` when
 * entirely on the other side; `inconclusive` when it spans zero (or a window has no data).
 */
export function verdictOf(estimate: ImpactEstimate, expectedChange: number, afterWindowOver: boolean): Verdict {
  if (!afterWindowOver) return 'too_early';
  if (estimate.change === null || estimate.interval === null || expectedChange === 0) return 'inconclusive';
  const sign = Math.sign(expectedChange);
  const [lo, hi] = estimate.interval;
  const towards = sign > 0 ? lo > 0 : hi < 0;
  const away = sign > 0 ? hi < 0 : lo > 0;
  if (towards) return estimate.change * sign >= Math.abs(expectedChange) ? 'reached' : 'improved';
  if (away) return 'worsened';
  return 'inconclusive';
}

/* ------------------------------------------------------------------ Student's t quantile */

/** ln Γ(x), Lanczos approximation (g = 7, n = 9): 15 significant digits for x > 0. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** I_x(a, b), the regularised incomplete beta function. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (bisection on the CDF: monotone, 1e-12 in ~60 steps). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError('p must be in (0, 1) and df positive');
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
