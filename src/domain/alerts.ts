/**
 * Anomaly rules: each day is compared with its own trailing baseline (the previous `baselineDays`
 * days that had traffic). Pure, so the thresholds can be read and tested on their own.
 */
export interface DayFigures {
  day: string;
  offered: number;
  answered: number;
  abandonmentRate: number | null;
  asaSeconds: number | null;
}

export type AlertType = 'abandonment_spike' | 'wait_spike' | 'volume_drop';

export interface Anomaly {
  type: AlertType;
  day: string;
  value: number;
  baseline: { mean: number; stddev: number; days: number };
  message: string;
}

export const alertRules = {
  baselineDays: 14,
  /** Fewer baseline days than this: no verdict (a new tenant has no "normal" yet). */
  minBaselineDays: 5,
  /** A day needs this many offered calls before its rates mean anything. */
  minOffered: 10,
  /** A spike is above mean + max(k·σ, floor). */
  sigmas: 3,
  abandonmentFloor: 0.05,
  waitFloorSeconds: 10,
  /** A drop is below this share of the baseline mean (and below mean − k·σ). */
  volumeDropShare: 0.5,
} as const;

function stats(values: number[]): { mean: number; stddev: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, stddev: Math.sqrt(variance) };
}

const round = (n: number, places = 4) => Math.round(n * 10 ** places) / 10 ** places;

/** `days` sorted by day, including the baseline days before the ones to judge. */
export function detectAnomalies(days: DayFigures[], judgeFrom: string, rules = alertRules): Anomaly[] {
  const out: Anomaly[] = [];
  days.forEach((d, i) => {
    if (d.day < judgeFrom) return;
    const before = days.slice(Math.max(0, i - rules.baselineDays), i).filter((b) => b.offered > 0);
    if (before.length < rules.minBaselineDays) return;
    const volume = stats(before.map((b) => b.offered));
    const base = { days: before.length };
    if (volume.mean >= rules.minOffered && d.offered < volume.mean * rules.volumeDropShare && d.offered < volume.mean - rules.sigmas * volume.stddev) {
      out.push({
        type: 'volume_drop',
        day: d.day,
        value: d.offered,
        baseline: { ...base, mean: round(volume.mean, 2), stddev: round(volume.stddev, 2) },
        message: `${d.offered} calls offered on ${d.day}, against ${round(volume.mean, 1)} a day before`,
      });
    }
    if (d.offered >= rules.minOffered && d.abandonmentRate !== null) {
      const rates = before.filter((b) => b.abandonmentRate !== null).map((b) => b.abandonmentRate!);
      if (rates.length >= rules.minBaselineDays) {
        const s = stats(rates);
        if (d.abandonmentRate > s.mean + Math.max(rules.sigmas * s.stddev, rules.abandonmentFloor)) {
          out.push({
            type: 'abandonment_spike',
            day: d.day,
            value: round(d.abandonmentRate),
            baseline: { ...base, mean: round(s.mean), stddev: round(s.stddev) },
            message: `abandonment ${round(d.abandonmentRate * 100, 1)}% on ${d.day}, against ${round(s.mean * 100, 1)}% before`,
          });
        }
      }
    }
    if (d.answered >= 1 && d.offered >= rules.minOffered && d.asaSeconds !== null) {
      const waits = before.filter((b) => b.asaSeconds !== null).map((b) => b.asaSeconds!);
      if (waits.length >= rules.minBaselineDays) {
        const s = stats(waits);
        if (d.asaSeconds > s.mean + Math.max(rules.sigmas * s.stddev, rules.waitFloorSeconds)) {
          out.push({
            type: 'wait_spike',
            day: d.day,
            value: round(d.asaSeconds, 2),
            baseline: { ...base, mean: round(s.mean, 2), stddev: round(s.stddev, 2) },
            message: `average speed of answer ${round(d.asaSeconds, 1)} s on ${d.day}, against ${round(s.mean, 1)} s before`,
          });
        }
      }
    }
  });
  return out;
}

/* ------------------------------------------------------------------ within the hour */

/** What one window of calls (the current hour or day so far, or the same part of an earlier week) holds. */
export interface WindowFigures {
  /** Offered inbound calls (contract section 6: short abandons excluded). */
  offered: number;
  abandoned: number;
  /** Waits of every offered call, abandoned ones included (a caller who gave up waited too). */
  waitSum: number;
}

export type IntradayAlertType = 'abandonment_spike' | 'wait_spike' | 'volume_drop' | 'volume_surge';

/** As a day's anomaly, judged over windows (the same minutes of earlier weeks) instead of days. */
export type IntradayAnomaly = Omit<Anomaly, 'type' | 'day' | 'baseline'> & {
  type: IntradayAlertType;
  baseline: { mean: number; stddev: number; windows: number };
};

/** Thresholds of the intraday rules; a tenant may override any of them (`settings.alertRules`). */
export const intradayRules = {
  /** The same part of the same hour and weekday, this many weeks back. */
  baselineWeeks: 4,
  /** Fewer earlier weeks with calls than this: no verdict yet. */
  minBaselineWeeks: 2,
  // The thresholds of the day rules, unless the tenant sets its own.
  minOffered: alertRules.minOffered as number,
  sigmas: alertRules.sigmas as number,
  abandonmentFloor: alertRules.abandonmentFloor as number,
  waitFloorSeconds: alertRules.waitFloorSeconds as number,
  volumeDropShare: alertRules.volumeDropShare as number,
  /** A surge is above this multiple of the baseline mean (and above mean + k·σ). */
  volumeSurgeFactor: 2,
};
export type IntradayRules = typeof intradayRules;

/**
 * Judges the current window against the same elapsed part of earlier weeks. Both sides cover the
 * same minutes, so an hour is never "low" at :10 for having only ten minutes of calls.
 */
export function judgeWindow(label: string, current: WindowFigures, earlier: WindowFigures[], rules: IntradayRules = intradayRules): IntradayAnomaly[] {
  const withCalls = earlier.filter((w) => w.offered > 0);
  if (withCalls.length < rules.minBaselineWeeks) return [];
  const out: IntradayAnomaly[] = [];
  const base = (s: { mean: number; stddev: number }, places: number) => ({ mean: round(s.mean, places), stddev: round(s.stddev, places), windows: withCalls.length });
  const volume = stats(earlier.map((w) => w.offered));
  if (volume.mean >= rules.minOffered && current.offered < volume.mean * rules.volumeDropShare && current.offered < volume.mean - rules.sigmas * volume.stddev) {
    out.push({ type: 'volume_drop', value: current.offered, baseline: base(volume, 2), message: `${current.offered} calls offered ${label}, against ${round(volume.mean, 1)} usually by now` });
  }
  if (current.offered >= rules.minOffered && current.offered > volume.mean * rules.volumeSurgeFactor && current.offered > volume.mean + rules.sigmas * volume.stddev) {
    out.push({ type: 'volume_surge', value: current.offered, baseline: base(volume, 2), message: `${current.offered} calls offered ${label}, against ${round(volume.mean, 1)} usually by now` });
  }
  if (current.offered >= rules.minOffered) {
    const rate = current.abandoned / current.offered;
    const rates = stats(withCalls.map((w) => w.abandoned / w.offered));
    if (rate > rates.mean + Math.max(rules.sigmas * rates.stddev, rules.abandonmentFloor)) {
      out.push({ type: 'abandonment_spike', value: round(rate), baseline: base(rates, 4), message: `abandonment ${round(rate * 100, 1)}% ${label}, against ${round(rates.mean * 100, 1)}% usually` });
    }
    const wait = current.waitSum / current.offered;
    const waits = stats(withCalls.map((w) => w.waitSum / w.offered));
    if (wait > waits.mean + Math.max(rules.sigmas * waits.stddev, rules.waitFloorSeconds)) {
      out.push({ type: 'wait_spike', value: round(wait, 2), baseline: base(waits, 2), message: `callers waited ${round(wait, 1)} s on average ${label}, against ${round(waits.mean, 1)} s usually` });
    }
  }
  return out;
}
