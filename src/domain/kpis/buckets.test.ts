import { describe, expect, it } from 'vitest';
import { dayKey, dayOfHourKey, hourKey, monthOfHourKey, quarterOfDay, quarterOfHourKey, weekOfDay, weekOfHourKey } from './buckets.js';

describe('hourKey', () => {
  it('uses the tenant clock', () => {
    expect(hourKey('2025-03-10T14:00:00.000Z', 'Europe/Paris')).toBe('2025-03-10T15'); // UTC+1
    expect(hourKey(new Date('2025-03-10T14:00:00.000Z'), 'UTC')).toBe('2025-03-10T14');
  });

  it('puts a call spanning local midnight in the hour and day it started', () => {
    // Starts 23:50 Paris time on 2025-03-09 (22:50Z), ends 00:20 on 2025-03-10.
    const startedAt = '2025-03-09T22:50:00.000Z';
    expect(hourKey(startedAt, 'Europe/Paris')).toBe('2025-03-09T23');
    expect(dayKey(startedAt, 'Europe/Paris')).toBe('2025-03-09');
    // The same instant is already 2025-03-10 in Kolkata (04:20 local).
    expect(dayKey(startedAt, 'Asia/Kolkata')).toBe('2025-03-10');
  });

  it('skips the missing hour on the spring-forward day (Europe/Paris, 2025-03-30)', () => {
    expect(hourKey('2025-03-30T00:59:59.000Z', 'Europe/Paris')).toBe('2025-03-30T01'); // 01:59:59 +01:00
    expect(hourKey('2025-03-30T01:00:00.000Z', 'Europe/Paris')).toBe('2025-03-30T03'); // 03:00 +02:00
    // The local day runs 2025-03-29T23:00Z → 2025-03-30T22:00Z: 23 hours, none of them 02.
    const keys = new Set<string>();
    for (let ms = Date.parse('2025-03-29T23:00:00Z'); ms < Date.parse('2025-03-30T22:00:00Z'); ms += 15 * 60_000) {
      keys.add(hourKey(new Date(ms), 'Europe/Paris'));
    }
    expect(keys.size).toBe(23);
    expect(keys.has('2025-03-30T02')).toBe(false);
    expect([...keys].every((key) => dayOfHourKey(key) === '2025-03-30')).toBe(true);
  });

  it('merges the repeated hour on the fall-back day into one key (Europe/Paris, 2025-10-26)', () => {
    expect(hourKey('2025-10-26T00:30:00.000Z', 'Europe/Paris')).toBe('2025-10-26T02'); // 02:30 +02:00
    expect(hourKey('2025-10-26T01:30:00.000Z', 'Europe/Paris')).toBe('2025-10-26T02'); // 02:30 +01:00
  });

  it('follows a half-hour offset (Asia/Kolkata, UTC+05:30)', () => {
    expect(hourKey('2025-03-10T04:45:00.000Z', 'Asia/Kolkata')).toBe('2025-03-10T10'); // 10:15
    expect(hourKey('2025-03-10T05:29:59.000Z', 'Asia/Kolkata')).toBe('2025-03-10T10'); // 10:59:59
    expect(hourKey('2025-03-10T05:30:00.000Z', 'Asia/Kolkata')).toBe('2025-03-10T11'); // 11:00
    expect(hourKey('2025-03-10T18:30:00.000Z', 'Asia/Kolkata')).toBe('2025-03-11T00'); // next local day
  });

  it('refuses an unknown zone and a string without an offset', () => {
    expect(() => hourKey('2025-03-10T14:00:00.000Z', 'Mars/Olympus')).toThrow(RangeError);
    expect(() => hourKey('2025-03-10T14:00:00', 'UTC')).toThrow(RangeError);
  });
});

describe('day, week and month of an hour key', () => {
  it.each([
    ['2025-03-10T15', '2025-03-10', '2025-W11', '2025-03'],
    ['2024-12-30T10', '2024-12-30', '2025-W01', '2024-12'], // ISO week-year 2025, calendar month December 2024
    ['2024-12-29T23', '2024-12-29', '2024-W52', '2024-12'], // a Sunday: still week 52
    ['2021-01-03T00', '2021-01-03', '2020-W53', '2021-01'], // early January in the previous ISO year
    ['2026-12-31T23', '2026-12-31', '2026-W53', '2026-12'],
  ])('%s → day %s, week %s, month %s', (key, day, week, month) => {
    expect(dayOfHourKey(key)).toBe(day);
    expect(weekOfHourKey(key)).toBe(week);
    expect(monthOfHourKey(key)).toBe(month);
  });

  it('agrees with weekOfDay', () => {
    expect(weekOfDay('2025-03-30')).toBe('2025-W13'); // Sunday ends ISO week 13
    expect(weekOfDay('2025-03-31')).toBe('2025-W14');
  });

  it.each(['2025-03-10', '2025-13-01T00', '2025-03-10T24', '2025-02-30T10', 'x'])('refuses %j', (key) => {
    expect(() => weekOfHourKey(key)).toThrow(RangeError);
  });
});

describe('quarterOfHourKey', () => {
  it('is the tenant-local calendar quarter', () => {
    // 2025-03-31T18:29Z is 23:59 in Asia/Kolkata (UTC+05:30); one minute later it is April there.
    expect(quarterOfHourKey(hourKey('2025-03-31T18:29:00.000Z', 'Asia/Kolkata'))).toBe('2025-Q1');
    expect(quarterOfHourKey(hourKey('2025-03-31T18:30:00.000Z', 'Asia/Kolkata'))).toBe('2025-Q2');
    expect(quarterOfHourKey('2025-12-31T23')).toBe('2025-Q4');
    expect(quarterOfDay('2025-07')).toBe('2025-Q3');
    expect(() => quarterOfHourKey('2025-13-01T00')).toThrow(RangeError);
  });
});
