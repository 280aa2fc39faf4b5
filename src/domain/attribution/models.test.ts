import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attribute, attributionModels, touchesOf, type AttributableCall, type AttributionModel } from './models.js';

const CUSTOMER = '+14155550123';
const OTHER = '+14155550188';
const CLOSED_AT = '2025-03-31T12:00:00.000Z';
const DAY_MS = 86_400_000;
const closedAtMs = Date.parse(CLOSED_AT);
/** An instant `days` days (may be fractional) before the deal closed. */
const daysBefore = (days: number, extraMs = 0): string => new Date(closedAtMs - days * DAY_MS + extraMs).toISOString();

function call(id: string, startedAt: string, overrides: Partial<AttributableCall> = {}): AttributableCall {
  return { id, externalNumber: CUSTOMER, direction: 'inbound', status: 'answered', startedAt, ...overrides };
}

const entries = (credits: Map<string, bigint>) => [...credits.entries()];

describe('touchesOf', () => {
  const deal = { phones: [CUSTOMER], closedAt: CLOSED_AT };

  it('keeps inbound calls of any status and answered outbound calls of the deal phones, by (startedAt, id)', () => {
    const calls = [
      call('in-answered', daysBefore(3)),
      call('in-abandoned', daysBefore(10), { status: 'abandoned' }),
      call('in-voicemail', daysBefore(5), { status: 'voicemail' }),
      call('out-answered', daysBefore(2), { direction: 'outbound' }),
      call('out-missed', daysBefore(1), { direction: 'outbound', status: 'missed' }),
      call('out-busy', daysBefore(1), { direction: 'outbound', status: 'busy' }),
      call('other-number', daysBefore(1), { externalNumber: OTHER }),
      call('withheld', daysBefore(1), { externalNumber: null }),
    ];
    expect(touchesOf(deal, calls, 30).map((c) => c.id)).toEqual(['in-abandoned', 'in-voicemail', 'in-answered', 'out-answered']);
  });

  it('includes both ends of the window closedAt − 30 days ≤ startedAt ≤ closedAt, and nothing outside', () => {
    const calls = [
      call('just-before-window', daysBefore(30, -1)),
      call('window-start', daysBefore(30)),
      call('at-close', CLOSED_AT),
      call('after-close', daysBefore(0, 1)),
      call('long-ago', daysBefore(45)),
    ];
    expect(touchesOf(deal, calls, 30).map((c) => c.id)).toEqual(['window-start', 'at-close']);
    expect(touchesOf(deal, calls, 50).map((c) => c.id)).toEqual(['long-ago', 'just-before-window', 'window-start', 'at-close']);
  });

  it('orders calls that started together by id', () => {
    const at = daysBefore(1);
    expect(touchesOf(deal, [call('b', at), call('a', at)], 30).map((c) => c.id)).toEqual(['a', 'b']);
  });

  it('credits a call to every deal whose phones include its number (a phone shared by two contacts)', () => {
    const shared = call('shared-call', daysBefore(2));
    const dealOfAnna = { phones: [CUSTOMER], closedAt: CLOSED_AT };
    const dealOfBen = { phones: [OTHER, CUSTOMER], closedAt: daysBefore(1) };
    const calls = [shared, call('ben-only', daysBefore(3), { externalNumber: OTHER })];

    const annaCredits = attribute(50_000n, touchesOf(dealOfAnna, calls, 30), 'last_touch', dealOfAnna.closedAt);
    const benCredits = attribute(20_000n, touchesOf(dealOfBen, calls, 30), 'last_touch', dealOfBen.closedAt);
    expect(entries(annaCredits)).toEqual([['shared-call', 50_000n]]);
    expect(entries(benCredits)).toEqual([['shared-call', 20_000n]]);
  });

  it('refuses a negative window', () => {
    expect(() => touchesOf(deal, [], -1)).toThrow(RangeError);
  });
});

describe('attribute', () => {
  it('gives a single touch the whole amount under every model', () => {
    for (const model of attributionModels) {
      expect(entries(attribute(123_45n, [call('only', daysBefore(4))], model, CLOSED_AT))).toEqual([['only', 123_45n]]);
    }
  });

  it('returns an empty map when no call matches the deal', () => {
    const touches = touchesOf({ phones: [CUSTOMER], closedAt: CLOSED_AT }, [call('x', daysBefore(2), { externalNumber: OTHER })], 30);
    expect(attribute(10_000n, touches, 'last_touch', CLOSED_AT).size).toBe(0);
  });

  it('returns an empty map when the only calls are outside the window', () => {
    const touches = touchesOf({ phones: [CUSTOMER], closedAt: CLOSED_AT }, [call('old', daysBefore(31)), call('late', daysBefore(-1))], 30);
    expect(touches).toEqual([]);
    expect(attribute(10_000n, touches, 'linear', CLOSED_AT).size).toBe(0);
  });

  describe('two touches (given newest first, to show they are sorted)', () => {
    const two = [call('second', daysBefore(1)), call('first', daysBefore(8))];

    it('first_touch and last_touch credit one call and leave the other out of the map', () => {
      expect(entries(attribute(10_001n, two, 'first_touch', CLOSED_AT))).toEqual([['first', 10_001n]]);
      expect(entries(attribute(10_001n, two, 'last_touch', CLOSED_AT))).toEqual([['second', 10_001n]]);
    });

    it('linear and position_based split 50/50, the odd cent to the earliest call', () => {
      // 10001 / 2 = 5000 r 1 each → leftover 1 → earliest ("first").
      const expected = [['first', 5_001n], ['second', 5_000n]];
      expect(entries(attribute(10_001n, two, 'linear', CLOSED_AT))).toEqual(expected);
      expect(entries(attribute(10_001n, two, 'position_based', CLOSED_AT))).toEqual(expected);
    });

    it('time_decay halves the weight of a touch 7 days older', () => {
      // ages 8 and 1 days → weights 2^(−8/7) : 2^(−1/7) = 1 : 2 → 300.00 → 100.00 / 200.00.
      expect(entries(attribute(30_000n, two, 'time_decay', CLOSED_AT))).toEqual([['first', 10_000n], ['second', 20_000n]]);
    });
  });

  it('time_decay: leftover cents go by largest remainder, not to the earliest call', () => {
    // ages 14, 7, 0 days → weights 1/4 : 1/2 : 1 = 1 : 2 : 4 (sum 7). 100 cents:
    // 100/7 = 14 r 2, 200/7 = 28 r 4, 400/7 = 57 r 1 → 99, leftover 1 → the middle call (r 4).
    const touches = [call('a', daysBefore(14)), call('b', daysBefore(7)), call('c', CLOSED_AT)];
    expect(entries(attribute(100n, touches, 'time_decay', CLOSED_AT))).toEqual([['a', 14n], ['b', 29n], ['c', 57n]]);
  });

  it('time_decay with an irrational ratio: 3.5 days apart is 2^(−1/2)', () => {
    // older share = 2^(−1/2) / (1 + 2^(−1/2)) = √2 − 1 = 0.414213562… → 10000 × that = 4142.13… → 4142;
    // newer 5857.86… → 5857; leftover 1 → newer (remainder .86 > .13) → 5858.
    const touches = [call('older', daysBefore(4.5)), call('newer', daysBefore(1))];
    expect(entries(attribute(10_000n, touches, 'time_decay', CLOSED_AT))).toEqual([['older', 4_142n], ['newer', 5_858n]]);
  });

  it('position_based: 40 % first, 40 % last, 20 % shared by the middle', () => {
    const four = [call('t1', daysBefore(20)), call('t2', daysBefore(15)), call('t3', daysBefore(10)), call('t4', daysBefore(5))];
    // 1000.00: 400.00, 100.00, 100.00, 400.00
    expect(entries(attribute(100_000n, four, 'position_based', CLOSED_AT))).toEqual([
      ['t1', 40_000n],
      ['t2', 10_000n],
      ['t3', 10_000n],
      ['t4', 40_000n],
    ]);
    const five = [...four, call('t5', daysBefore(1))];
    // weights 6,1,1,1,6 (sum 15). 10000 × 6 / 15 = 4000 exactly; 10000 / 15 = 666 r 10 for each middle
    // → 8000 + 1998 = 9998, leftover 2 → the two earliest middles.
    expect(entries(attribute(10_000n, five, 'position_based', CLOSED_AT))).toEqual([
      ['t1', 4_000n],
      ['t2', 667n],
      ['t3', 667n],
      ['t4', 666n],
      ['t5', 4_000n],
    ]);
  });

  it('breaks ties between calls that started together by id', () => {
    const at = daysBefore(2);
    const tied = [call('b', at), call('a', at)];
    // 3 / 2 = 1 r 1 each; leftover 1 → "a" (same startedAt, smaller id).
    expect(entries(attribute(3n, tied, 'linear', CLOSED_AT))).toEqual([['a', 2n], ['b', 1n]]);
    expect(entries(attribute(3n, tied, 'first_touch', CLOSED_AT))).toEqual([['a', 3n]]);
    expect(entries(attribute(3n, tied, 'last_touch', CLOSED_AT))).toEqual([['b', 3n]]);
  });

  it('leaves out touches whose credit rounds to nothing', () => {
    // 1 cent over 3 linear touches: 0 r 1 each → the earliest gets it.
    const three = [call('x', daysBefore(3)), call('y', daysBefore(2)), call('z', daysBefore(1))];
    expect(entries(attribute(1n, three, 'linear', CLOSED_AT))).toEqual([['x', 1n]]);
  });

  it('mirrors negative amounts', () => {
    const three = [call('x', daysBefore(3)), call('y', daysBefore(2)), call('z', daysBefore(1))];
    expect(entries(attribute(-100n, three, 'linear', CLOSED_AT))).toEqual([['x', -34n], ['y', -33n], ['z', -33n]]);
  });

  it('refuses duplicate touches and touches after the close', () => {
    expect(() => attribute(100n, [call('x', daysBefore(2)), call('x', daysBefore(1))], 'linear', CLOSED_AT)).toThrow(RangeError);
    expect(() => attribute(100n, [call('x', daysBefore(-1))], 'linear', CLOSED_AT)).toThrow(RangeError);
  });

  const touchSets = fc
    .uniqueArray(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 6 }),
        // up to 60 days before the close, to the second; duplicates of startedAt happen often
        secondsBefore: fc.integer({ min: 0, max: 60 * 86_400 }),
      }),
      { minLength: 1, maxLength: 25, selector: (touch) => touch.id },
    )
    .map((touches) => touches.map((t) => ({ id: t.id, startedAt: new Date(closedAtMs - t.secondsBefore * 1000) })));
  const amounts = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n });
  const models = fc.constantFrom<AttributionModel>(...attributionModels);

  it('credits of a deal always sum to its amount, under every model', () => {
    fc.assert(
      fc.property(amounts, touchSets, models, (amount, touches, model) => {
        const credits = attribute(amount, touches, model, CLOSED_AT);
        expect([...credits.values()].reduce((sum, credit) => sum + credit, 0n)).toBe(amount);
        for (const credit of credits.values()) expect(amount >= 0n ? credit > 0n : credit < 0n).toBe(true);
      }),
    );
  });

  it('does not depend on the order the touches are given in', () => {
    fc.assert(
      fc.property(amounts, touchSets, models, (amount, touches, model) => {
        const reversed = [...touches].reverse();
        expect(entries(attribute(amount, reversed, model, CLOSED_AT))).toEqual(entries(attribute(amount, touches, model, CLOSED_AT)));
      }),
    );
  });

  it('time_decay never credits a strictly older touch more than a newer one', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), touchSets, (amount, touches) => {
        const credits = attribute(amount, touches, 'time_decay', CLOSED_AT);
        for (const older of touches) {
          for (const newer of touches) {
            if (older.startedAt.getTime() < newer.startedAt.getTime()) {
              expect(credits.get(older.id) ?? 0n).toBeLessThanOrEqual(credits.get(newer.id) ?? 0n);
            }
          }
        }
      }),
    );
  });
});
