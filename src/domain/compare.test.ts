import { describe, expect, it } from 'vitest';
import { alignPeriods, compareWindow, delta, periodKey, periodsOf } from './compare.js';

const at = (iso: string) => new Date(iso);
const iso = (w: { from: Date; to: Date }) => ({ from: w.from.toISOString(), to: w.to.toISOString() });
const PARIS = 'Europe/Paris';

describe('compareWindow', () => {
  it('compares whole months with as many whole months just before', () => {
    // March 2025 in Paris: 2025-02-28T23:00Z → 2025-03-31T22:00Z (DST starts on the 30th).
    expect(iso(compareWindow('previous_period', { from: at('2025-02-28T23:00:00Z'), to: at('2025-03-31T22:00:00Z') }, PARIS))).toEqual({
      from: '2025-01-31T23:00:00.000Z', // 1 February 00:00 CET
      to: '2025-02-28T23:00:00.000Z',
    });
    // A quarter (April–June) → January–March.
    expect(iso(compareWindow('previous_period', { from: at('2025-03-31T22:00:00Z'), to: at('2025-06-30T22:00:00Z') }, PARIS))).toEqual({
      from: '2024-12-31T23:00:00.000Z',
      to: '2025-03-31T22:00:00.000Z',
    });
  });

  it('compares other whole days with as many days just before, across a DST change', () => {
    // 27 March → 3 April (7 days, one of them 23 hours long) → 20 March → 27 March, local midnights.
    expect(iso(compareWindow('previous_period', { from: at('2025-03-26T23:00:00Z'), to: at('2025-04-02T22:00:00Z') }, PARIS))).toEqual({
      from: '2025-03-19T23:00:00.000Z',
      to: '2025-03-26T23:00:00.000Z',
    });
    // 10 → 25 March is not whole months: 15 days before.
    expect(iso(compareWindow('previous_period', { from: at('2025-03-10T00:00:00Z'), to: at('2025-03-25T00:00:00Z') }, 'UTC'))).toEqual({
      from: '2025-02-23T00:00:00.000Z',
      to: '2025-03-10T00:00:00.000Z',
    });
  });

  it('compares a range of hours with as long a window just before, and a year with the same dates', () => {
    expect(iso(compareWindow('previous_period', { from: at('2025-03-10T10:00:00Z'), to: at('2025-03-10T14:00:00Z') }, PARIS))).toEqual({
      from: '2025-03-10T06:00:00.000Z',
      to: '2025-03-10T10:00:00.000Z',
    });
    expect(iso(compareWindow('previous_year', { from: at('2024-02-29T00:00:00Z'), to: at('2024-03-02T00:00:00Z') }, 'UTC'))).toEqual({
      from: '2023-02-28T00:00:00.000Z',
      to: '2023-03-02T00:00:00.000Z',
    });
    // Kolkata (UTC+05:30): 1 March local → 1 March local a year earlier.
    expect(iso(compareWindow('previous_year', { from: at('2025-02-28T18:30:00Z'), to: at('2025-03-31T18:30:00Z') }, 'Asia/Kolkata'))).toEqual({
      from: '2024-02-29T18:30:00.000Z',
      to: '2024-03-31T18:30:00.000Z',
    });
  });
});

describe('periodsOf and alignPeriods', () => {
  it('lists local periods in order, the repeated hour once', () => {
    const fallBack = periodsOf('hour', { from: at('2025-10-25T22:00:00Z'), to: at('2025-10-26T23:00:00Z') }, PARIS);
    expect(fallBack).toHaveLength(24); // a 25-hour day, 24 distinct local hours
    expect(fallBack[2]).toEqual({ key: '2025-10-26T02', from: at('2025-10-26T00:00:00Z'), to: at('2025-10-26T02:00:00Z') });
    const quarters = periodsOf('quarter', { from: at('2025-02-10T00:00:00Z'), to: at('2025-08-01T00:00:00Z') }, 'UTC');
    expect(quarters.map((p) => [p.key, p.from.toISOString(), p.to.toISOString()])).toEqual([
      ['2025-Q1', '2025-02-10T00:00:00.000Z', '2025-04-01T00:00:00.000Z'],
      ['2025-Q2', '2025-04-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z'],
      ['2025-Q3', '2025-07-01T00:00:00.000Z', '2025-08-01T00:00:00.000Z'],
    ]);
    expect(periodsOf('week', { from: at('2024-12-28T00:00:00Z'), to: at('2025-01-07T00:00:00Z') }, 'UTC').map((p) => p.key)).toEqual(['2024-W52', '2025-W01', '2025-W02']);
    expect(periodKey('quarter', at('2025-03-31T18:30:00Z'), 'Asia/Kolkata')).toBe('2025-Q2');
  });

  it('meets the 3rd day with the 3rd day, and nothing past the shorter window', () => {
    const march = { from: at('2025-03-01T00:00:00Z'), to: at('2025-04-01T00:00:00Z') };
    const aligned = alignPeriods('day', march, compareWindow('previous_period', march, 'UTC'), 'UTC');
    expect(aligned.get('2025-03-03')?.key).toBe('2025-02-03');
    expect(aligned.get('2025-03-28')?.key).toBe('2025-02-28');
    expect(aligned.has('2025-03-29')).toBe(false);
    expect(aligned.size).toBe(28);
  });
});

describe('delta', () => {
  it('subtracts numbers in decimal and money as money, null when either side is null', () => {
    expect(delta({ a: 0.3, b: 10, c: '12.50', d: null, e: 5, f: 'x' }, { a: 0.1, b: 4, c: '20.00', d: 3, e: null, f: 'x' })).toEqual({
      a: 0.2,
      b: 6,
      c: '-7.50',
      d: null,
      e: null,
      f: null,
    });
  });
});
