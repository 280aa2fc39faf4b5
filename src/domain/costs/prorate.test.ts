import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { dayStartUtc, daysInRange, prorateByDay, spreadOverCalls } from './prorate.js';

describe('prorateByDay', () => {
  it('gives the leftover cent to the earlier day', () => {
    // 10000 / 3 = 3333 r 1 → the first day gets 3334.
    expect(prorateByDay(10_000n, '2025-03-01', '2025-03-03')).toEqual([
      { day: '2025-03-01', cents: 3_334n },
      { day: '2025-03-02', cents: 3_333n },
      { day: '2025-03-03', cents: 3_333n },
    ]);
  });

  it('splits a month: the first days take the leftover cents', () => {
    // February 2025 has 28 days. 100000 / 28 = 3571 r 12 (3571 × 28 = 99988): days 1–12 get 3572.
    const shares = prorateByDay(100_000n, '2025-02-01', '2025-02-28');
    expect(shares).toHaveLength(28);
    expect(shares.slice(0, 12).every((s) => s.cents === 3_572n)).toBe(true);
    expect(shares.slice(12).every((s) => s.cents === 3_571n)).toBe(true);
    expect(shares[11]!.day).toBe('2025-02-12');
    expect(shares.reduce((sum, s) => sum + s.cents, 0n)).toBe(100_000n);
  });

  it('puts a one-day period whole on that day', () => {
    expect(prorateByDay(12_345n, '2025-03-10', '2025-03-10')).toEqual([{ day: '2025-03-10', cents: 12_345n }]);
  });

  it('counts calendar days across a DST change and a leap day', () => {
    // 2025-03-30 is 23 hours long in Europe/Paris, but a day is a day: 10 / 3 = 3 r 1 each.
    expect(prorateByDay(10n, '2025-03-29', '2025-03-31').map((s) => s.cents)).toEqual([4n, 3n, 3n]);
    expect(prorateByDay(3n, '2024-02-28', '2024-03-01').map((s) => s.day)).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });

  it('mirrors negative amounts (credit notes)', () => {
    expect(prorateByDay(-5n, '2025-03-01', '2025-03-03').map((s) => s.cents)).toEqual([-2n, -2n, -1n]);
  });

  it.each([
    ['2025-03-03', '2025-03-01'],
    ['2025-3-1', '2025-03-03'],
    ['2025-02-30', '2025-03-03'],
    ['2025-03-01', 'tomorrow'],
    ['2025-03-01T00:00', '2025-03-03'],
  ])('refuses the period %s .. %s', (start, end) => {
    expect(() => prorateByDay(100n, start, end)).toThrow(RangeError);
  });

  it('always sums to the amount, with the earlier days never below the later ones', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 0, max: 120 }),
        (amount, startOffset, length) => {
          const start = new Date(Date.UTC(2023, 0, 1) + startOffset * 86_400_000).toISOString().slice(0, 10);
          const end = new Date(Date.UTC(2023, 0, 1) + (startOffset + length) * 86_400_000).toISOString().slice(0, 10);
          const shares = prorateByDay(amount, start, end);
          expect(shares).toHaveLength(length + 1);
          expect(shares.reduce((sum, s) => sum + s.cents, 0n)).toBe(amount);
          const magnitudes = shares.map((s) => (s.cents < 0n ? -s.cents : s.cents));
          for (let i = 1; i < magnitudes.length; i += 1) expect(magnitudes[i - 1]! >= magnitudes[i]!).toBe(true);
        },
      ),
    );
  });
});

describe('dayStartUtc', () => {
  it.each([
    ['2025-03-10', 'Europe/Paris', '2025-03-09T23:00:00.000Z'], // CET, UTC+1
    ['2025-03-30', 'Europe/Paris', '2025-03-29T23:00:00.000Z'], // DST starts at 02:00 that day; midnight is still +1
    ['2025-03-31', 'Europe/Paris', '2025-03-30T22:00:00.000Z'], // CEST, UTC+2
    ['2025-03-10', 'Asia/Kolkata', '2025-03-09T18:30:00.000Z'], // UTC+5:30
    ['2025-03-10', 'UTC', '2025-03-10T00:00:00.000Z'],
    // Chile moves its clocks from 00:00 to 01:00 on 2025-09-07: the day starts at 01:00 −03.
    ['2025-09-07', 'America/Santiago', '2025-09-07T04:00:00.000Z'],
  ])('%s in %s starts at %s', (day, zone, instant) => {
    expect(dayStartUtc(day, zone).toISOString()).toBe(instant);
  });

  it('refuses an unknown zone or a malformed day', () => {
    expect(() => dayStartUtc('2025-03-10', 'Mars/Olympus')).toThrow(RangeError);
    expect(() => dayStartUtc('2025-13-10', 'UTC')).toThrow(RangeError);
  });
});

describe('daysInRange', () => {
  it('lists the days whose local midnight lies in [from, to) around a DST change', () => {
    // 2025-03-30 starts 03-29T23:00Z, 2025-03-31 starts 03-30T22:00Z, 2025-04-01 starts 03-31T22:00Z (= to, excluded).
    expect(daysInRange('2025-03-29T23:00:00Z', '2025-03-31T22:00:00Z', 'Europe/Paris')).toEqual(['2025-03-30', '2025-03-31']);
    // One millisecond later, 2025-03-30 started before `from`.
    expect(daysInRange('2025-03-29T23:00:00.001Z', '2025-03-31T22:00:00Z', 'Europe/Paris')).toEqual(['2025-03-31']);
  });

  it('lists a whole tenant month', () => {
    const days = daysInRange(dayStartUtc('2025-03-01', 'Europe/Paris'), dayStartUtc('2025-04-01', 'Europe/Paris'), 'Europe/Paris');
    expect(days).toHaveLength(31);
    expect(days[0]).toBe('2025-03-01');
    expect(days[30]).toBe('2025-03-31');
  });

  it('uses the tenant zone: a UTC day is not a Kolkata day', () => {
    // Kolkata midnights: 2025-03-10 at 03-09T18:30Z, 2025-03-11 at 03-10T18:30Z.
    expect(daysInRange('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z', 'Asia/Kolkata')).toEqual(['2025-03-11']);
  });

  it('is empty when to is not after from', () => {
    expect(daysInRange('2025-03-10T00:00:00Z', '2025-03-10T00:00:00Z', 'UTC')).toEqual([]);
    expect(daysInRange('2025-03-11T00:00:00Z', '2025-03-10T00:00:00Z', 'UTC')).toEqual([]);
  });
  it('skips a date the zone never had (Samoa crossed the date line: no 2011-12-30 in Apia)', () => {
    expect(daysInRange(dayStartUtc('2011-12-28', 'Pacific/Apia'), dayStartUtc('2012-01-02', 'Pacific/Apia'), 'Pacific/Apia')).toEqual([
      '2011-12-28',
      '2011-12-29',
      '2011-12-31',
      '2012-01-01',
    ]);
  });

  it('gives the days whose local start lies in [from, to), as stepping day by day in the zone does', () => {
    const zones = ['UTC', 'Europe/Paris', 'America/Los_Angeles', 'Asia/Kolkata', 'America/Santiago', 'Asia/Beirut', 'Australia/Lord_Howe', 'Pacific/Apia'];
    const byStep = (fromMs: number, toMs: number, zone: string) => {
      const out: string[] = [];
      let day = DateTime.fromMillis(fromMs, { zone }).startOf('day');
      if (day.toMillis() < fromMs) day = day.plus({ days: 1 }).startOf('day');
      for (; day.toMillis() < toMs; day = day.plus({ days: 1 }).startOf('day')) out.push(day.toISODate()!);
      return out;
    };
    const start = Date.parse('2010-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 * 365 * 24 * 60 }), fc.integer({ min: -60, max: 200 * 24 * 60 }), fc.constantFrom(...zones), (fromMin, lengthMin, zone) => {
        const fromMs = start + fromMin * 60_000;
        const toMs = fromMs + lengthMin * 60_000;
        expect(daysInRange(new Date(fromMs), new Date(toMs), zone)).toEqual(byStep(fromMs, toMs, zone));
      }),
      { numRuns: 400 },
    );
  });
});

describe('spreadOverCalls', () => {
  const at = (hhmm: string) => `2025-03-10T${hhmm}:00.000Z`;

  it('splits in proportion to handleSeconds, leftover cents by largest remainder', () => {
    // 1000 × 100 / 300 = 333 r 100; 1000 × 200 / 300 = 666 r 200; 0 → 999, leftover 1 → "long" (r 200).
    const spread = spreadOverCalls(1_000n, [
      { id: 'long', startedAt: at('11:00'), handleSeconds: 200 },
      { id: 'short', startedAt: at('10:00'), handleSeconds: 100 },
      { id: 'unanswered-time', startedAt: at('12:00'), handleSeconds: 0 },
    ]);
    expect([...spread.entries()]).toEqual([
      ['short', 333n],
      ['long', 667n],
      ['unanswered-time', 0n],
    ]);
  });

  it('splits equally when every handleSeconds is 0, earliest call first', () => {
    const spread = spreadOverCalls(100n, [
      { id: 'c', startedAt: at('12:00'), handleSeconds: 0 },
      { id: 'a', startedAt: at('10:00'), handleSeconds: 0 },
      { id: 'b', startedAt: at('11:00'), handleSeconds: 0 },
    ]);
    expect([...spread.entries()]).toEqual([
      ['a', 34n],
      ['b', 33n],
      ['c', 33n],
    ]);
  });

  it('gives a tied cent to the earliest call by startedAt, then by id', () => {
    // 1 cent over two equal calls: 0 r 1 each → the earlier startedAt wins even with a larger id.
    expect(spreadOverCalls(1n, [
      { id: 'a', startedAt: at('10:05'), handleSeconds: 60 },
      { id: 'x', startedAt: at('10:00'), handleSeconds: 60 },
    ]).get('x')).toBe(1n);
    expect(spreadOverCalls(1n, [
      { id: 'b', startedAt: at('10:00'), handleSeconds: 60 },
      { id: 'a', startedAt: at('10:00'), handleSeconds: 60 },
    ]).get('a')).toBe(1n);
  });

  it('has nothing to spread over no call, and refuses a non-zero amount there', () => {
    expect(spreadOverCalls(0n, []).size).toBe(0);
    expect(() => spreadOverCalls(5n, [])).toThrow(RangeError);
  });

  it('refuses a call listed twice', () => {
    expect(() =>
      spreadOverCalls(5n, [
        { id: 'a', startedAt: at('10:00'), handleSeconds: 1 },
        { id: 'a', startedAt: at('11:00'), handleSeconds: 1 },
      ]),
    ).toThrow(RangeError);
  });

  it('always sums to the amount', () => {
    const calls = fc.uniqueArray(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 5 }),
        startedAt: fc.integer({ min: 0, max: 86_399 }).map((s) => new Date(Date.UTC(2025, 2, 10) + s * 1000)),
        handleSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7_200 })),
      }),
      { minLength: 1, maxLength: 40, selector: (c) => c.id },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 10n), max: 10n ** 10n }), calls, (cents, dayCalls) => {
        const spread = spreadOverCalls(cents, dayCalls);
        expect(spread.size).toBe(dayCalls.length);
        expect([...spread.values()].reduce((sum, c) => sum + c, 0n)).toBe(cents);
      }),
    );
  });
});
