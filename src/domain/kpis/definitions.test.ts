import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSums,
  contribution,
  costContribution,
  DEFAULT_KPI_SETTINGS,
  emptySums,
  finalize,
  isFcrEligible,
  rounded2,
  sealHourBucket,
  staffingContribution,
  surveyContribution,
  type KpiCallFacts,
  type KpiCallStatus,
  type KpiSettings,
  type KpiSums,
} from './definitions.js';

const settings: KpiSettings = { ...DEFAULT_KPI_SETTINGS };

function facts(direction: KpiCallFacts['direction'], status: KpiCallStatus, waitSeconds: number, handleSeconds = 0, fcrRepeated = false): KpiCallFacts {
  return { direction, status, waitSeconds, handleSeconds, fcrEligible: isFcrEligible(direction, status), fcrRepeated };
}

const sumAll = (parts: KpiSums[]): KpiSums => parts.reduce(addSums, emptySums());
const bucket = (calls: KpiCallFacts[], s: KpiSettings = settings): KpiSums => sealHourBucket(sumAll(calls.map((c) => contribution(c, s))));

// Hour 10: two answered inbound calls. Hour 11: one answered outbound call. Hour 12: nothing handled.
const hour10 = [
  facts('inbound', 'answered', 10, 300), // within the 20 s service level, resolved
  facts('inbound', 'answered', 30, 200, true), // outside the service level, repeated (not resolved)
];
const hour11 = [facts('outbound', 'answered', 9, 370)];
const hour12 = [
  facts('inbound', 'abandoned', 3), // short abandon: waitSeconds 3 < 5
  facts('inbound', 'abandoned', 47),
  facts('inbound', 'missed', 25),
  facts('inbound', 'voicemail', 40),
  facts('outbound', 'missed', 30), // counts nowhere
  facts('inbound', 'busy', 0), // counts nowhere
  facts('inbound', 'self_served', 90, 0), // a bot ended it: never offered, not handled
];
const day = (s: KpiSettings = settings) => [hour10, hour11, hour12].map((calls) => bucket(calls, s)).reduce(addSums);

describe('contribution and finalize', () => {
  it('computes a day from its hour buckets, by hand', () => {
    const row = finalize(day(), settings);
    expect(row).toEqual({
      offered: 5, // 2 answered + 1 abandoned + 1 missed + 1 voicemail (the short abandon excluded)
      answered: 2,
      abandoned: 1,
      shortAbandoned: 1,
      missed: 1,
      voicemail: 1,
      abandonmentRate: 1 / 5,
      serviceLevel: 1 / 5, // only the 10 s call was answered within 20 s, over 5 offered
      asaSeconds: 20, // (10 + 30) / 2
      ahtSeconds: 290, // (300 + 200 + 370) / 3: the outbound answered call counts
      fcrRate: 1 / 2,
      occupancy: null, // no staffed time known
      csat: null,
      nps: null,
      costPerCall: '0.00',
      callsPerHour: 1.5, // 3 handled calls / 2 hours with a handled call (10 and 11)
      automatedRate: 1 / 6, // the self-served call over itself + 5 offered
      csatAutomated: null,
      escalatedRate: null, // no call is known to have met automation
      repeatCalls: 1, // the 30 s call was repeated
      repeatCallsCost: '0.00', // no repeat handle time known here, and no cost
      waitCost: null, // waitCostPerHour unset
      transferRate: 0, // no call with two agents
      leads: 0,
      positiveSentimentRate: null,
      sentimentScore: null,
    });
  });

  it('treats a short abandon by the strict < threshold, and the service level by ≤', () => {
    const exactlyShort = sumAll([contribution(facts('inbound', 'abandoned', 5), settings)]);
    expect(exactlyShort).toMatchObject({ abandoned: 1, shortAbandoned: 0, offered: 1 });
    const justShort = sumAll([contribution(facts('inbound', 'abandoned', 4.9), settings)]);
    expect(justShort).toMatchObject({ abandoned: 0, shortAbandoned: 1, offered: 0 });
    expect(contribution(facts('inbound', 'answered', 20), settings).answeredWithinSl).toBe(1);
    expect(contribution(facts('inbound', 'answered', 20.5), settings).answeredWithinSl).toBe(0);
  });

  it('counts an outbound answered call in aht but not in offered', () => {
    const row = finalize(bucket(hour11), settings);
    expect(row).toMatchObject({ offered: 0, answered: 0, ahtSeconds: 370, asaSeconds: null, abandonmentRate: null, serviceLevel: null });
    expect(row.callsPerHour).toBe(1);
  });

  it('gives null for every ratio with a zero denominator', () => {
    expect(finalize(emptySums(), settings)).toEqual({
      offered: 0,
      answered: 0,
      abandoned: 0,
      shortAbandoned: 0,
      missed: 0,
      voicemail: 0,
      abandonmentRate: null,
      serviceLevel: null,
      asaSeconds: null,
      ahtSeconds: null,
      fcrRate: null,
      occupancy: null,
      csat: null,
      nps: null,
      costPerCall: null,
      callsPerHour: null,
      automatedRate: null,
      csatAutomated: null,
      escalatedRate: null,
      repeatCalls: 0,
      repeatCallsCost: null,
      waitCost: null,
      transferRate: null,
      leads: 0,
      positiveSentimentRate: null,
      sentimentScore: null,
    });
  });

  it('computes the service level under each formula', () => {
    // answeredWithinSl 1; offered 5; answered + abandoned = 3; answered = 2; 1 short abandon (3 s ≤ 20 s).
    const level = (formula: KpiSettings['serviceLevelFormula'], creditShortAbandons = false) => {
      const s = { ...settings, serviceLevelFormula: formula, creditShortAbandons };
      return finalize(day(s), s).serviceLevel;
    };
    expect(level('answered_over_offered')).toBe(1 / 5);
    expect(level('answered_over_answered_and_abandoned')).toBe(1 / 3);
    expect(level('answered_over_answered')).toBe(1 / 2);
    // Crediting short abandons adds the one short abandon above and below: (1 + 1) / (5 + 1).
    expect(level('answered_over_offered', true)).toBe(2 / 6);
    expect(level('answered_over_answered_and_abandoned', true)).toBe(2 / 4);
    expect(level('answered_over_answered', true)).toBe(2 / 3);
  });

  it('credits only the short abandons that waited no longer than the service level', () => {
    // Odd settings: short abandons below 30 s, service level 20 s. A 25 s short abandon enters the
    // denominator only: (0 + 0) / (0 + 1) = 0.
    const s: KpiSettings = { ...settings, shortAbandonSeconds: 30, creditShortAbandons: true };
    expect(finalize(contribution(facts('inbound', 'abandoned', 25), s), s).serviceLevel).toBe(0);
  });

  it('rounds seconds and calls per hour to 2 decimals, halves away from zero, in decimal', () => {
    // (100 + 100 + 101) / 3 = 100.333… → 100.33
    const aht = finalize(bucket([100, 100, 101].map((h) => facts('outbound', 'answered', 5, h))), settings);
    expect(aht.ahtSeconds).toBe(100.33);
    // (1 + 1.01) / 2 = 1.005 → 1.01 (binary floating point would give 1.00: 1.005.toFixed(2) === "1.00")
    const asa = finalize(bucket([facts('inbound', 'answered', 1), facts('inbound', 'answered', 1.01)]), settings);
    expect(asa.asaSeconds).toBe(1.01);
    // Hours with 2, 2 and 1 handled calls, plus an hour with only a survey: 5 / 3 = 1.666… → 1.67
    const handled = facts('outbound', 'answered', 1, 10);
    const hours = [bucket([handled, handled]), bucket([handled, handled]), bucket([handled]), sealHourBucket(surveyContribution({ csat: 5 }))];
    expect(finalize(hours.reduce(addSums), settings).callsPerHour).toBe(1.67);
  });

  it('rounds integer sums as Decimal does (halves away from zero), without Decimal', () => {
    const reference = (n: number, d: number) => new Decimal(n).div(d).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber();
    const check = (n: number, d: number) => expect(Object.is(rounded2(n, d), reference(n, d)), `${n} / ${d}`).toBe(true);
    // Exact halves either side of zero, thirds, -0, and sums at the edge of the integer path.
    for (const [n, d] of [[1005, 1000], [-1005, 1000], [1, 200], [-1, 200], [1, 3], [-1, 3], [2, 3], [-1, 1000], [0, 7], [5, 1]] as const) check(n, d);
    for (const [n, d] of [[4.5e13, 1], [4.5e13 - 1, 7], [Number.MAX_SAFE_INTEGER, 3], [-Number.MAX_SAFE_INTEGER, 9_999_999]] as const) check(n, d);
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (n, d) => {
        check(n, d);
        check(n * 1000 + 5, 1000 * 2); // halves
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 1, max: 2 ** 31 }), (n, d) => {
        check(n, d);
      }),
      { numRuns: 2000 },
    );
    expect(rounded2(1, 0)).toBeNull();
    expect(rounded2(2.01, 2)).toBe(1.01); // not an integer: Decimal
  });

  it('refuses fcrEligible that is not "answered inbound", and negative durations', () => {
    expect(() => contribution({ ...facts('outbound', 'answered', 1), fcrEligible: true }, settings)).toThrow(RangeError);
    expect(() => contribution({ ...facts('inbound', 'answered', 1), fcrEligible: false }, settings)).toThrow(RangeError);
    expect(() => contribution(facts('inbound', 'answered', -1), settings)).toThrow(RangeError);
  });
});

describe('surveys', () => {
  it('csat is the share of 4 and 5; nps is % promoters − % detractors', () => {
    const responses = [{ csat: 5 }, { csat: 4, nps: 10 }, { csat: 2, nps: 9 }, { nps: 7 }, { nps: 3 }];
    const row = finalize(sumAll(responses.map(surveyContribution)), settings);
    expect(row.csat).toBe(2 / 3); // 5 and 4 out of 3 responses
    expect(row.nps).toBe(25); // promoters 2 (10, 9), passive 1 (7), detractors 1 (3): (2 − 1) / 4 × 100
  });

  it('reaches the ends of the nps scale and rounds points to 2 decimals', () => {
    expect(finalize(sumAll([0, 6].map((nps) => surveyContribution({ nps }))), settings).nps).toBe(-100);
    expect(finalize(surveyContribution({ nps: 9 }), settings).nps).toBe(100);
    // 1 promoter, 2 passives: 1 / 3 × 100 = 33.333… → 33.33
    expect(finalize(sumAll([9, 7, 8].map((nps) => surveyContribution({ nps }))), settings).nps).toBe(33.33);
  });

  it.each([{ csat: 0 }, { csat: 6 }, { csat: 4.5 }, { nps: -1 }, { nps: 11 }, { nps: 8.5 }])('refuses %j', (response) => {
    expect(() => surveyContribution(response)).toThrow(RangeError);
  });
});

describe('cost and occupancy', () => {
  it('costPerCall divides the row cost by handled calls, to the cent', () => {
    // 1000.00 over 3 handled calls = 333.333… → 333.33
    expect(finalize(addSums(day(), costContribution(100_000n)), settings).costPerCall).toBe('333.33');
    // 0.05 over 2 calls = 2.5 cents → 3 (half away from zero); −0.05 → −3
    const twoCalls = bucket([facts('outbound', 'answered', 1, 10), facts('outbound', 'answered', 1, 10)]);
    expect(finalize(addSums(twoCalls, costContribution(5n)), settings).costPerCall).toBe('0.03');
    expect(finalize(addSums(twoCalls, costContribution(-5n)), settings).costPerCall).toBe('-0.03');
    // Cost without a handled call: no per-call figure.
    expect(finalize(costContribution(5n), settings).costPerCall).toBeNull();
  });

  it('occupancy is handle time over known staffed time, null when unknown, capped at 1', () => {
    expect(finalize(staffingContribution({ staffedSeconds: 3_600, handleSeconds: 900 }), settings).occupancy).toBe(0.25);
    // A known hour plus an hour with no staffing data: only the known time counts. (900 + 0) / 3600.
    expect(finalize(addSums(staffingContribution({ staffedSeconds: 3_600, handleSeconds: 900 }), day()), settings).occupancy).toBe(0.25);
    expect(finalize(staffingContribution({ staffedSeconds: 3_600, handleSeconds: 4_000 }), settings).occupancy).toBe(1);
    // Staffed time known to be 0: no denominator.
    expect(finalize(staffingContribution({ staffedSeconds: 0, handleSeconds: 0 }), settings).occupancy).toBeNull();
  });
});

describe('additivity', () => {
  const statuses: KpiCallStatus[] = ['answered', 'abandoned', 'missed', 'voicemail', 'busy', 'failed', 'in_progress', 'self_served'];
  const callFacts = fc
    .record({
      direction: fc.constantFrom<KpiCallFacts['direction']>('inbound', 'outbound'),
      status: fc.constantFrom(...statuses),
      waitSeconds: fc.integer({ min: 0, max: 600 }),
      handleSeconds: fc.integer({ min: 0, max: 3_600 }),
      fcrRepeated: fc.boolean(),
    })
    .map((c) => facts(c.direction, c.status, c.waitSeconds, c.handleSeconds, c.fcrRepeated));

  it('any grouping of the calls into rows sums to the same figures', () => {
    fc.assert(
      fc.property(fc.array(callFacts, { maxLength: 50 }), fc.integer({ min: 0, max: 50 }), (calls, cut) => {
        const all = sumAll(calls.map((c) => contribution(c, settings)));
        const left = sumAll(calls.slice(0, cut).map((c) => contribution(c, settings)));
        const right = sumAll(calls.slice(cut).map((c) => contribution(c, settings)));
        expect(addSums(right, left)).toEqual(all);
        expect(all.offered).toBe(all.answered + all.abandoned + all.missed + all.voicemail);
        const row = finalize(all, settings);
        for (const rate of [row.abandonmentRate, row.serviceLevel, row.fcrRate]) {
          if (rate !== null) expect(rate >= 0 && rate <= 1).toBe(true);
        }
      }),
    );
  });
});

describe('the cost of inefficiency', () => {
  it('prices repeat calls at the cost per handled second, waits at the hourly wait cost, and counts transfers', () => {
    const s = { ...settings, waitCostPerHourCents: 3000n }; // 30.00 an hour
    const calls: KpiCallFacts[] = [
      { ...facts('inbound', 'answered', 10, 300, true), repeatHandleSeconds: 200, agentCount: 2 },
      { ...facts('inbound', 'answered', 30, 200), agentCount: 1 },
      facts('inbound', 'abandoned', 47),
      facts('inbound', 'abandoned', 3), // short: not offered, no wait cost
    ];
    const sums = addSums(sumAll(calls.map((c) => contribution(c, s))), costContribution(10_000n)); // 100.00 over 500 handled seconds
    const row = finalize(sums, s);
    // 200 s × 10 000 cents / 500 s = 4 000 cents; (10 + 30 + 47) s × 3 000 cents / 3 600 s = 72.5 → 73 cents.
    expect(row).toMatchObject({ repeatCalls: 1, repeatCallsCost: '40.00', waitCost: '0.73', transferRate: 1 / 2 });
    expect(finalize(sums, settings).waitCost).toBeNull();
  });
});
