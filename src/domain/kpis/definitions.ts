/**
 * Contact-centre KPIs (contract section 6) as additive sums.
 *
 * Every KPI is a ratio of two sums, so the storage layer keeps `KpiSums` per hour bucket (tenant
 * time) and adds buckets up into day, week, month, agent… rows; `finalize` turns a row's sums into
 * the figures of the API. A call's contribution depends on the tenant settings (short-abandon and
 * service-level thresholds): when those change, the buckets must be recomputed.
 *
 * Rounding, applied by `finalize` and nowhere else:
 * - fractions (abandonmentRate, serviceLevel, fcrRate, occupancy, csat) are one division of two
 *   sums, i.e. the double nearest the exact quotient, not rounded further: a display multiplies
 *   them by 100 and rounds as it likes;
 * - quantities with a unit (asaSeconds, ahtSeconds, callsPerHour, nps in points) are rounded to
 *   2 decimals, halves away from zero, computed in decimal (decimal.js) so 1.005 stays 1.01;
 * - costPerCall is money: cents rounded to the nearest cent (halves away from zero), as a
 *   2-decimal string.
 * Every figure is null when its denominator is 0.
 */
import { Decimal } from 'decimal.js';
import { divideRounded, formatCents } from '../money.js';

export type KpiDirection = 'inbound' | 'outbound';
/**
 * The unified call statuses (section 4); busy, failed, in_progress and self_served count in no KPI
 * but the call count (a self-served call was handled by automation and never offered to an agent).
 */
export type KpiCallStatus = 'answered' | 'abandoned' | 'missed' | 'voicemail' | 'busy' | 'failed' | 'in_progress' | 'self_served';

/** What a call tells the KPIs. */
export interface KpiCallFacts {
  direction: KpiDirection;
  status: KpiCallStatus;
  waitSeconds: number;
  /** talk + hold + after-call work (section 4). */
  handleSeconds: number;
  /** Answered inbound: the calls fcrRate is measured over. Must equal `isFcrEligible(direction, status)`. */
  fcrEligible: boolean;
  /** Followed by another inbound call from the same number within the FCR window (see fcr.ts). */
  fcrRepeated: boolean;
  /** Who handled the call (src/domain/automation.ts); absent: not known to have met automation. */
  handledBy?: 'agent' | 'automation' | null;
  /** Met automation and was handed to an agent. */
  escalatedFromAutomation?: boolean;
  /** When fcrRepeated: handleSeconds of the repeat (the next inbound call of the number). */
  repeatHandleSeconds?: number | null;
  /** Agents who handled the call (`agents` of the unified call); more than one is a transfer. */
  agentCount?: number;
  /** Its number did not call or get called in the lookback before it (src/modules/leads). */
  firstTimeCaller?: boolean | null;
  /** A CRM lead marks it (src/modules/leads). */
  crmLead?: boolean;
  /** The customer's sentiment (provider analytics or annotation); score -1..1 or null. */
  sentiment?: { label: 'positive' | 'neutral' | 'negative'; score: number | null } | null;
}

/** A call met automation when it was handled by it or escalated from it (never from the mere absence of an agent). */
export function metAutomation(call: Pick<KpiCallFacts, 'handledBy' | 'escalatedFromAutomation'>): boolean {
  return call.handledBy === 'automation' || call.escalatedFromAutomation === true;
}

/**
 * How serviceLevel is computed. With `answeredWithinSl` = inbound calls answered with
 * waitSeconds ≤ serviceLevelSeconds:
 * - `answered_over_offered` (contract default): answeredWithinSl / offered, offered = answered +
 *   abandoned + missed + voicemail, short abandons excluded. Every unanswered call counts against.
 * - `answered_over_answered_and_abandoned`: answeredWithinSl / (answered + abandoned). Calls that
 *   rang out (missed) or went to voicemail are left out of the denominator: they never waited in
 *   a queue for an agent.
 * - `answered_over_answered`: answeredWithinSl / answered. Only measures the speed of answer;
 *   abandons and misses do not lower it.
 *
 * `creditShortAbandons`: when on, short abandons count as calls that reached the target: they are
 * added to the denominator, and those with waitSeconds ≤ serviceLevelSeconds (all of them unless
 * shortAbandonSeconds > serviceLevelSeconds) to the numerator, whatever the formula. Off by
 * default, as in the contract, where short abandons are in neither.
 */
export type ServiceLevelFormula =
  | 'answered_over_offered'
  | 'answered_over_answered_and_abandoned'
  | 'answered_over_answered';

export interface KpiSettings {
  /** Abandoned with waitSeconds < this → short abandon (excluded from abandoned and offered). */
  shortAbandonSeconds: number;
  /** Answered with waitSeconds ≤ this → within the service level. */
  serviceLevelSeconds: number;
  serviceLevelFormula: ServiceLevelFormula;
  creditShortAbandons: boolean;
  /** The cost of an hour of waiting, in cents (tenant setting waitCostPerHour); null: unset, waitCost null. */
  waitCostPerHourCents?: bigint | null;
}

export const DEFAULT_KPI_SETTINGS: Readonly<KpiSettings> = Object.freeze({
  shortAbandonSeconds: 5,
  serviceLevelSeconds: 20,
  serviceLevelFormula: 'answered_over_offered',
  creditShortAbandons: false,
});

/** Additive sums; `offered` … `waitSumAnswered` are over inbound calls only. */
export interface KpiSums {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  /** Short abandons with waitSeconds ≤ serviceLevelSeconds (used by creditShortAbandons). */
  shortAbandonedWithinSl: number;
  missed: number;
  voicemail: number;
  answeredWithinSl: number;
  waitSumAnswered: number;
  /** Answered calls, inbound and outbound. */
  handledCount: number;
  handleSumHandled: number;
  fcrEligible: number;
  fcrResolved: number;
  csatCount: number;
  csatPositive: number;
  npsCount: number;
  npsPromoters: number;
  npsDetractors: number;
  /** handleSeconds of the repeat calls of the row's unresolved calls (repeatCallsCost). */
  repeatHandleSum: number;
  /** waitSeconds of the offered calls (waitCost). */
  waitSumOffered: number;
  /** Handled calls with more than one agent (transferRate). */
  transferred: number;
  /** Calls (both directions) of a first-time caller. */
  leads: number;
  /** Inbound self-served calls (automatedRate's numerator; + offered its denominator). */
  selfServed: number;
  /** Inbound calls that met automation, and those of them escalated to an agent (escalatedRate). */
  automationMet: number;
  automationEscalated: number;
  /** CSAT responses to self-served calls, and the 4s and 5s (csatAutomated). */
  csatAutomatedCount: number;
  csatAutomatedPositive: number;
  /** Calls (both directions) with a sentiment, and the positive ones (positiveSentimentRate). */
  sentimentCount: number;
  sentimentPositive: number;
  /** Calls with a sentiment score, and their scores summed in thousandths (sentimentScore). */
  sentimentScoreCount: number;
  sentimentScoreMilliSum: number;
  /**
   * Distinct tenant-time clock hours with at least one handled call. A single call contributes
   * 0; `sealHourBucket` sets it to 0 or 1 once the hour bucket is complete, and then sums of
   * sealed buckets count distinct hours. Only sum buckets of different hours: two buckets of the
   * same hour (say agent A's and agent B's) summed into one row would count that hour twice, so a
   * row grouped by X must be built from hour buckets keyed by (hour, X).
   */
  handledHours: number;
  /** null while no staffed time is known for anything in the row. */
  staffedSeconds: number | null;
  /** Handle time inside the known staffed time (occupancy numerator). */
  occupancyHandleSeconds: number;
  costCents: bigint;
}

/** One row of `GET /v1/kpis`, without its key. */
export interface KpiRow {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  missed: number;
  voicemail: number;
  abandonmentRate: number | null;
  serviceLevel: number | null;
  asaSeconds: number | null;
  ahtSeconds: number | null;
  fcrRate: number | null;
  occupancy: number | null;
  csat: number | null;
  nps: number | null;
  costPerCall: string | null;
  callsPerHour: number | null;
  /** self_served / (self_served + offered). */
  automatedRate: number | null;
  /** csat over the responses to self-served calls. */
  csatAutomated: number | null;
  /** escalated / calls that met automation. */
  escalatedRate: number | null;
  /** fcrEligible − fcrResolved: answered inbound calls a later inbound call made unresolved. */
  repeatCalls: number;
  /** The repeats' handle seconds × the row's cost per handled second (cost / handle seconds of handled calls); null without cost. */
  repeatCallsCost: string | null;
  /** waitSeconds of offered calls × waitCostPerHour / 3600; null while the tenant has not set waitCostPerHour. */
  waitCost: string | null;
  /** handled calls with more than one agent / handled calls. */
  transferRate: number | null;
  /** calls (both directions) whose number had no call in the tenant's leadLookbackDays before. */
  leads: number;
  /** calls with a positive sentiment / calls with a sentiment. */
  positiveSentimentRate: number | null;
  /** mean sentiment score (-1..1, 3 decimals) of the calls with a score. */
  sentimentScore: number | null;
}

export function emptySums(): KpiSums {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    shortAbandoned: 0,
    shortAbandonedWithinSl: 0,
    missed: 0,
    voicemail: 0,
    answeredWithinSl: 0,
    waitSumAnswered: 0,
    handledCount: 0,
    handleSumHandled: 0,
    fcrEligible: 0,
    fcrResolved: 0,
    csatCount: 0,
    csatPositive: 0,
    npsCount: 0,
    npsPromoters: 0,
    npsDetractors: 0,
    selfServed: 0,
    automationMet: 0,
    automationEscalated: 0,
    csatAutomatedCount: 0,
    csatAutomatedPositive: 0,
    repeatHandleSum: 0,
    waitSumOffered: 0,
    transferred: 0,
    leads: 0,
    sentimentCount: 0,
    sentimentPositive: 0,
    sentimentScoreCount: 0,
    sentimentScoreMilliSum: 0,
    handledHours: 0,
    staffedSeconds: null,
    occupancyHandleSeconds: 0,
    costCents: 0n,
  };
}

export function addSums(a: KpiSums, b: KpiSums): KpiSums {
  return {
    offered: a.offered + b.offered,
    answered: a.answered + b.answered,
    abandoned: a.abandoned + b.abandoned,
    shortAbandoned: a.shortAbandoned + b.shortAbandoned,
    shortAbandonedWithinSl: a.shortAbandonedWithinSl + b.shortAbandonedWithinSl,
    missed: a.missed + b.missed,
    voicemail: a.voicemail + b.voicemail,
    answeredWithinSl: a.answeredWithinSl + b.answeredWithinSl,
    waitSumAnswered: a.waitSumAnswered + b.waitSumAnswered,
    handledCount: a.handledCount + b.handledCount,
    handleSumHandled: a.handleSumHandled + b.handleSumHandled,
    fcrEligible: a.fcrEligible + b.fcrEligible,
    fcrResolved: a.fcrResolved + b.fcrResolved,
    csatCount: a.csatCount + b.csatCount,
    csatPositive: a.csatPositive + b.csatPositive,
    npsCount: a.npsCount + b.npsCount,
    npsPromoters: a.npsPromoters + b.npsPromoters,
    npsDetractors: a.npsDetractors + b.npsDetractors,
    selfServed: a.selfServed + b.selfServed,
    automationMet: a.automationMet + b.automationMet,
    automationEscalated: a.automationEscalated + b.automationEscalated,
    csatAutomatedCount: a.csatAutomatedCount + b.csatAutomatedCount,
    csatAutomatedPositive: a.csatAutomatedPositive + b.csatAutomatedPositive,
    sentimentCount: a.sentimentCount + b.sentimentCount,
    repeatHandleSum: a.repeatHandleSum + b.repeatHandleSum,
    waitSumOffered: a.waitSumOffered + b.waitSumOffered,
    transferred: a.transferred + b.transferred,
    leads: a.leads + b.leads,
    sentimentPositive: a.sentimentPositive + b.sentimentPositive,
    sentimentScoreCount: a.sentimentScoreCount + b.sentimentScoreCount,
    sentimentScoreMilliSum: a.sentimentScoreMilliSum + b.sentimentScoreMilliSum,
    handledHours: a.handledHours + b.handledHours,
    // Known staffed time adds up; unknown (null) only stays null when nothing is known.
    staffedSeconds:
      a.staffedSeconds === null && b.staffedSeconds === null
        ? null
        : (a.staffedSeconds ?? 0) + (b.staffedSeconds ?? 0),
    occupancyHandleSeconds: a.occupancyHandleSeconds + b.occupancyHandleSeconds,
    costCents: a.costCents + b.costCents,
  };
}

/** A sentiment score (-1..1) in thousandths, the unit the rollups add up exactly. */
export function sentimentMilli(score: number): number {
  if (!Number.isFinite(score) || score < -1 || score > 1) throw new RangeError(`a sentiment score is from -1 to 1, got ${score}`);
  return new Decimal(score).times(1000).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
}

/** Answered inbound calls are the ones fcrRate is measured over (section 6). */
export function isFcrEligible(direction: KpiDirection, status: KpiCallStatus): boolean {
  return direction === 'inbound' && status === 'answered';
}

/** One call's additive contribution; an hour bucket's sums are the sum of its calls'. */
export function contribution(call: KpiCallFacts, settings: KpiSettings): KpiSums {
  assertNonNegative(call.waitSeconds, 'waitSeconds');
  assertNonNegative(call.handleSeconds, 'handleSeconds');
  const eligible = isFcrEligible(call.direction, call.status);
  if (call.fcrEligible !== eligible) {
    throw new RangeError(`fcrEligible must be true exactly for answered inbound calls (got ${call.fcrEligible} for ${call.direction} ${call.status})`);
  }
  const sums = emptySums();
  const answered = call.status === 'answered';
  if (answered) {
    // Handled calls: both directions (aht, callsPerHour, costPerCall).
    sums.handledCount = 1;
    sums.handleSumHandled = call.handleSeconds;
    sums.transferred = (call.agentCount ?? 0) > 1 ? 1 : 0;
  }
  if (call.firstTimeCaller || call.crmLead) sums.leads = 1;
  if (call.sentiment) {
    // Sentiment is over the calls of both directions (a sales call has a customer too).
    sums.sentimentCount = 1;
    sums.sentimentPositive = call.sentiment.label === 'positive' ? 1 : 0;
    if (call.sentiment.score !== null) {
      sums.sentimentScoreCount = 1;
      sums.sentimentScoreMilliSum = sentimentMilli(call.sentiment.score);
    }
  }
  if (call.direction !== 'inbound') return sums;

  if (metAutomation(call)) {
    sums.automationMet = 1;
    sums.automationEscalated = call.escalatedFromAutomation ? 1 : 0;
  }
  const withinSl = call.waitSeconds <= settings.serviceLevelSeconds;
  switch (call.status) {
    case 'answered':
      sums.offered = 1;
      sums.answered = 1;
      sums.answeredWithinSl = withinSl ? 1 : 0;
      sums.waitSumAnswered = call.waitSeconds;
      sums.fcrEligible = 1;
      sums.fcrResolved = call.fcrRepeated ? 0 : 1;
      sums.repeatHandleSum = call.fcrRepeated ? (call.repeatHandleSeconds ?? 0) : 0;
      sums.waitSumOffered = call.waitSeconds;
      break;
    case 'abandoned':
      if (call.waitSeconds < settings.shortAbandonSeconds) {
        // A caller who hangs up within seconds (misdial, IVR pick-up) is not an offered call.
        sums.shortAbandoned = 1;
        sums.shortAbandonedWithinSl = withinSl ? 1 : 0;
      } else {
        sums.offered = 1;
        sums.abandoned = 1;
        sums.waitSumOffered = call.waitSeconds;
      }
      break;
    case 'missed':
      sums.offered = 1;
      sums.missed = 1;
      sums.waitSumOffered = call.waitSeconds;
      break;
    case 'voicemail':
      sums.offered = 1;
      sums.voicemail = 1;
      sums.waitSumOffered = call.waitSeconds;
      break;
    case 'self_served':
      sums.selfServed = 1;
      break;
    case 'busy':
    case 'failed':
    case 'in_progress':
      // Not in the contract's offered = answered + abandoned + missed + voicemail: a bot or IVR
      // that ended the call without an agent neither abandoned it nor let it ring out.
      break;
  }
  return sums;
}

/**
 * A survey response's contribution (surveys are attributed to their call's bucket); `selfServed`:
 * the response is to a self-served call (csatAutomated).
 */
export function surveyContribution(response: { csat?: number | null; nps?: number | null; selfServed?: boolean }): KpiSums {
  const sums = emptySums();
  if (response.csat !== undefined && response.csat !== null) {
    if (!Number.isInteger(response.csat) || response.csat < 1 || response.csat > 5) {
      throw new RangeError(`csat must be an integer from 1 to 5, got ${response.csat}`);
    }
    sums.csatCount = 1;
    sums.csatPositive = response.csat >= 4 ? 1 : 0;
    if (response.selfServed) {
      sums.csatAutomatedCount = 1;
      sums.csatAutomatedPositive = sums.csatPositive;
    }
  }
  if (response.nps !== undefined && response.nps !== null) {
    if (!Number.isInteger(response.nps) || response.nps < 0 || response.nps > 10) {
      throw new RangeError(`nps must be an integer from 0 to 10, got ${response.nps}`);
    }
    sums.npsCount = 1;
    sums.npsPromoters = response.nps >= 9 ? 1 : 0;
    sums.npsDetractors = response.nps <= 6 ? 1 : 0;
  }
  return sums;
}

/** Cost allocated to the bucket (section 7), in cents. */
export function costContribution(cents: bigint): KpiSums {
  return { ...emptySums(), costCents: cents };
}

/**
 * Staffed time known for the bucket (agent availability events or schedules) and the handle time
 * spent within it. Occupancy stays null for rows with no such contribution: never invented.
 */
export function staffingContribution(staffing: { staffedSeconds: number; handleSeconds: number }): KpiSums {
  assertNonNegative(staffing.staffedSeconds, 'staffedSeconds');
  assertNonNegative(staffing.handleSeconds, 'handleSeconds');
  return { ...emptySums(), staffedSeconds: staffing.staffedSeconds, occupancyHandleSeconds: staffing.handleSeconds };
}

/** Close a complete hour bucket: that hour counts for callsPerHour if it has a handled call. */
export function sealHourBucket(sums: KpiSums): KpiSums {
  return { ...sums, handledHours: sums.handledCount > 0 ? 1 : 0 };
}

export function finalize(sums: KpiSums, settings: KpiSettings): KpiRow {
  return {
    offered: sums.offered,
    answered: sums.answered,
    abandoned: sums.abandoned,
    shortAbandoned: sums.shortAbandoned,
    missed: sums.missed,
    voicemail: sums.voicemail,
    abandonmentRate: fraction(sums.abandoned, sums.offered),
    serviceLevel: serviceLevel(sums, settings),
    asaSeconds: rounded2(sums.waitSumAnswered, sums.answered),
    ahtSeconds: rounded2(sums.handleSumHandled, sums.handledCount),
    fcrRate: fraction(sums.fcrResolved, sums.fcrEligible),
    // Handle time can run past the staffed time (after-call work after logging off); the
    // contract's rates stay within [0, 1], so occupancy is capped at 1.
    occupancy:
      sums.staffedSeconds === null ? null : capAtOne(fraction(sums.occupancyHandleSeconds, sums.staffedSeconds)),
    csat: fraction(sums.csatPositive, sums.csatCount),
    nps: rounded2((sums.npsPromoters - sums.npsDetractors) * 100, sums.npsCount),
    costPerCall: sums.handledCount === 0 ? null : formatCents(divideRounded(sums.costCents, BigInt(sums.handledCount))),
    callsPerHour: rounded2(sums.handledCount, sums.handledHours),
    automatedRate: fraction(sums.selfServed, sums.selfServed + sums.offered),
    csatAutomated: fraction(sums.csatAutomatedPositive, sums.csatAutomatedCount),
    escalatedRate: fraction(sums.automationEscalated, sums.automationMet),
    repeatCalls: sums.fcrEligible - sums.fcrResolved,
    repeatCallsCost:
      sums.handleSumHandled === 0
        ? null
        : formatCents(divideRounded(sums.costCents * BigInt(sums.repeatHandleSum), BigInt(sums.handleSumHandled))),
    waitCost:
      settings.waitCostPerHourCents === undefined || settings.waitCostPerHourCents === null
        ? null
        : formatCents(divideRounded(BigInt(sums.waitSumOffered) * settings.waitCostPerHourCents, 3600n)),
    transferRate: fraction(sums.transferred, sums.handledCount),
    leads: sums.leads,
    positiveSentimentRate: fraction(sums.sentimentPositive, sums.sentimentCount),
    sentimentScore:
      sums.sentimentScoreCount === 0
        ? null
        : new Decimal(sums.sentimentScoreMilliSum).div(1000).div(sums.sentimentScoreCount).toDecimalPlaces(3, Decimal.ROUND_HALF_UP).toNumber(),
  };
}

function serviceLevel(sums: KpiSums, settings: KpiSettings): number | null {
  const [numerator, denominator] = serviceLevelParts(sums, settings);
  return fraction(numerator, denominator);
}

/** serviceLevel as [numerator, denominator] under the tenant's formula (see ServiceLevelFormula). */
export function serviceLevelParts(sums: KpiSums, settings: KpiSettings): [number, number] {
  const creditedWithin = settings.creditShortAbandons ? sums.shortAbandonedWithinSl : 0;
  const credited = settings.creditShortAbandons ? sums.shortAbandoned : 0;
  const numerator = sums.answeredWithinSl + creditedWithin;
  switch (settings.serviceLevelFormula) {
    case 'answered_over_offered':
      return [numerator, sums.offered + credited];
    case 'answered_over_answered_and_abandoned':
      return [numerator, sums.answered + sums.abandoned + credited];
    case 'answered_over_answered':
      return [numerator, sums.answered + credited];
  }
}

function fraction(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

function capAtOne(value: number | null): number | null {
  return value === null ? null : Math.min(1, value);
}

/**
 * numerator / denominator to 2 decimals, halves away from zero, in decimal (never binary floating
 * point: 1.005 → 1.01). Integer sums, what the rollups hold, take integer arithmetic: hundredths =
 * ⌊(200·|n| + d) / 2d⌋, exact while that numerator is a safe integer, then / 100, the double
 * nearest the 2-decimal value, as Decimal's toNumber gives (and Decimal's 20-digit quotient cannot
 * cross a half-way point for numerators below 10^17). A GET /v1/kpis row has four of these: Decimal
 * objects made them most of finalize's time (bench/kpis.ts). Anything else takes Decimal.
 */
export function rounded2(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null;
  const n = Math.abs(numerator);
  if (Number.isInteger(n) && Number.isInteger(denominator) && denominator > 0 && 200 * n + 3 * denominator <= Number.MAX_SAFE_INTEGER) {
    const a = 200 * n + denominator;
    const b = 2 * denominator;
    const hundredths = (a - (a % b)) / b;
    return (numerator < 0 ? -hundredths : hundredths) / 100;
  }
  return new Decimal(numerator).div(denominator).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber();
}

function assertNonNegative(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be a non-negative number, got ${value}`);
}
