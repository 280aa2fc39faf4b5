/**
 * Vonage legs → one unified call.
 *
 * Vonage has no "call" object: every leg (caller, agent, customer…) is its own call with its own
 * `uuid`, and the legs of one customer call share `conversation_uuid` (our callKey). Webhook
 * status events and REST records are both reduced to `LegFact`s (one fact = one status of one
 * leg); `merge` folds the facts of a conversation into per-leg summaries, then reads the call off
 * those summaries. Webhook facts are precise (event timestamps); REST facts fill the gaps.
 */
import { Decimal } from 'decimal.js';
import type { AgentRef, CallEvent, CallStatus, Direction, UnifiedCallDraft } from '../contract.js';
import { secondsBetween, uniqueSorted } from '../shared/events.js';
import { VONAGE_DEFAULT_CURRENCY } from './credentials.js';
import { factSchema, type Endpoint, type Fact, type LegFact } from './events.js';

/* ------------------------------------------------------------------------------------------------
 * Vonage statuses (https://developer.vonage.com/en/voice/voice-api/webhook-reference#event-webhook)
 * ---------------------------------------------------------------------------------------------- */

/** Statuses after which a leg carries no more audio. */
const terminalStatuses = new Set([
  'completed',
  'disconnected',
  'busy',
  'cancelled',
  'failed',
  'rejected',
  'timeout',
  'unanswered',
]);
/** Terminal statuses that say the leg was never connected. */
const failureStatuses = new Set(['busy', 'cancelled', 'failed', 'rejected', 'timeout', 'unanswered']);
/** Statuses that say the leg was connected. */
const connectedStatuses = new Set(['answered', 'completed', 'disconnected', 'human', 'machine']);

function isTerminal(status: string): boolean {
  return terminalStatuses.has(status);
}

/* ------------------------------------------------------------------------------------------------
 * The fold: facts (sorted, unique) → per-leg summaries.
 * ---------------------------------------------------------------------------------------------- */

interface LegSummary {
  id: string;
  direction: Direction | null;
  from: Endpoint | null;
  to: Endpoint | null;
  /** Earliest webhook event of the leg (its `started`, normally). */
  firstEventAt: string | null;
  /** Webhook `answered`. */
  answeredEventAt: string | null;
  /** Latest terminal webhook event. */
  terminalEventAt: string | null;
  /** Terminal statuses seen on webhooks. */
  terminalStatuses: string[];
  /** From completed webhooks (else REST): billing start (= answer) and end, price. */
  startTime: string | null;
  endTime: string | null;
  price: string | null;
  disconnectedBy: string | null;
  /** Answering-machine detection result (`human` / `machine` statuses). */
  machineDetection: 'human' | 'machine' | null;
  /** The most advanced REST record of the leg. */
  rest: LegFact | null;
  /** The conversation of the leg's earliest webhook event (a transfer moves it to another one). */
  conversationId: string | null;
}

interface CallState {
  legs: Map<string, LegSummary>;
  recordingUrl: string | null;
  agentHint: string | null;
  currency: string | null;
}

function newLeg(fact: LegFact): LegSummary {
  return {
    id: fact.legId,
    direction: null,
    from: null,
    to: null,
    firstEventAt: null,
    answeredEventAt: null,
    terminalEventAt: null,
    terminalStatuses: [],
    startTime: null,
    endTime: null,
    price: null,
    disconnectedBy: null,
    machineDetection: null,
    rest: null,
    conversationId: null,
  };
}

const laterOf = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(b) > Date.parse(a) ? b : a;

/** A REST record replaces an earlier one only when it is further along (terminal beats live). */
function betterRestRecord(current: LegFact | null, next: LegFact): LegFact {
  if (!current) return next;
  if (isTerminal(next.status) && !isTerminal(current.status)) return next;
  return current;
}

function foldLegFact(leg: LegSummary, fact: LegFact, source: CallEvent['source']): void {
  leg.direction ??= fact.direction;
  leg.from ??= fact.from;
  leg.to ??= fact.to;
  if (source === 'rest') {
    leg.rest = betterRestRecord(leg.rest, fact);
    return;
  }
  leg.firstEventAt ??= fact.at;
  leg.conversationId ??= fact.conversationId ?? null;
  if (fact.status === 'answered') leg.answeredEventAt ??= fact.at;
  if (fact.status === 'human' || fact.status === 'machine') leg.machineDetection ??= fact.status;
  if (isTerminal(fact.status)) {
    leg.terminalStatuses.push(fact.status);
    leg.terminalEventAt = laterOf(leg.terminalEventAt, fact.at);
  }
  leg.startTime ??= fact.startTime;
  leg.endTime ??= fact.endTime;
  leg.price ??= fact.price;
  leg.disconnectedBy ??= fact.disconnectedBy;
}

function foldFact(state: CallState, fact: Fact, source: CallEvent['source']): CallState {
  if (fact.kind === 'recording') {
    state.recordingUrl ??= fact.url;
    return state;
  }
  // A transfer only says where a leg went; its legs' own events tell the rest.
  if (fact.kind === 'transfer') return state;
  state.agentHint ??= fact.agentHint;
  state.currency ??= fact.currency;
  const leg = state.legs.get(fact.legId) ?? newLeg(fact);
  foldLegFact(leg, fact, source);
  state.legs.set(leg.id, leg);
  return state;
}

/* ------------------------------------------------------------------------------------------------
 * Reading one leg: webhook facts first, REST to fill the gaps.
 * ---------------------------------------------------------------------------------------------- */

function restIsTerminal(leg: LegSummary): boolean {
  return leg.rest !== null && isTerminal(leg.rest.status);
}

/** When the leg began: its first webhook event, else the REST `start_time` (= its answer). */
function legStart(leg: LegSummary): string | null {
  return leg.firstEventAt ?? leg.rest?.startTime ?? leg.startTime ?? leg.rest?.endTime ?? null;
}

/** The leg's final status (a failure status wins over `completed` when both were sent). */
function legOutcome(leg: LegSummary): string | null {
  const failure = leg.terminalStatuses.find((s) => failureStatuses.has(s));
  if (failure) return failure;
  if (leg.terminalStatuses.length > 0) return leg.terminalStatuses[0] ?? null;
  return restIsTerminal(leg) ? (leg.rest?.status ?? null) : null;
}

function legEnded(leg: LegSummary): boolean {
  return legOutcome(leg) !== null;
}

/** When the leg was answered, or null. */
function legAnsweredAt(leg: LegSummary): string | null {
  const outcome = legOutcome(leg);
  if (outcome !== null && failureStatuses.has(outcome)) return null;
  if (leg.answeredEventAt) return leg.answeredEventAt;
  // A completed leg was connected: its billing start_time is the answer (webhook, else REST).
  if (leg.startTime && leg.terminalStatuses.length > 0) return leg.startTime;
  if (leg.rest && connectedStatuses.has(leg.rest.status)) return leg.rest.startTime;
  return null;
}

/** End of the leg's audio (for talk time): its billing end_time, else its last event. */
function legAudioEnd(leg: LegSummary): string | null {
  return leg.endTime ?? leg.terminalEventAt ?? (restIsTerminal(leg) ? (leg.rest?.endTime ?? null) : null);
}

/** When the leg's end was reported (for the call's endedAt): the terminal event's timestamp. */
function legEndReportedAt(leg: LegSummary): string | null {
  return leg.terminalEventAt ?? leg.endTime ?? (restIsTerminal(leg) ? (leg.rest?.endTime ?? null) : null);
}

function legPrice(leg: LegSummary): string | null {
  return leg.price ?? leg.rest?.price ?? null;
}

function isAgentEndpoint(e: Endpoint | null): boolean {
  return e !== null && (e.type === 'app' || e.type === 'sip' || e.type === 'vbc');
}

function agentOf(e: Endpoint | null): AgentRef | null {
  return e?.id ? { id: e.id, name: null } : null;
}

function phoneOf(e: Endpoint | null): string | null {
  return e?.type === 'phone' ? e.id : null;
}

function uniqueAgents(agents: (AgentRef | null)[]): AgentRef[] {
  const seen = new Set<string>();
  const out: AgentRef[] = [];
  for (const a of agents) {
    if (!a || seen.has(a.id)) continue;
    seen.add(a.id);
    out.push(a);
  }
  return out;
}

const earliestOf = (values: (string | null)[]): string | null =>
  values.reduce<string | null>((min, v) => (v === null ? min : min === null || Date.parse(v) < Date.parse(min) ? v : min), null);
const latestOf = (values: (string | null)[]): string | null => values.reduce<string | null>(laterOf, null);

/* ------------------------------------------------------------------------------------------------
 * Who is who: the roles of the legs in the call.
 * ---------------------------------------------------------------------------------------------- */

interface Roles {
  direction: Direction;
  /** The leg whose end ends the call (the caller on inbound, the first leg on outbound). */
  anchor: LegSummary;
  customerNumber: string | null;
  companyNumber: string | null;
  /** Inbound: every leg that rang an agent, in start order. */
  agentLegs: LegSummary[];
  /** Outbound: the agent who placed the call and the customer's leg. */
  placedBy: AgentRef | null;
  customerLeg: LegSummary | null;
}

function rolesOf(legs: LegSummary[], agentHint: string | null): Roles | null {
  const first = legs[0];
  if (!first) return null;
  const callerLeg = legs.find((l) => l.direction === 'inbound');

  // A PSTN caller reached a Vonage number: leg A is the caller, the others ring agents
  // (the NCCO `connect` creates them as outbound legs of the same conversation).
  if (callerLeg && !isAgentEndpoint(callerLeg.from)) {
    return {
      direction: 'inbound',
      anchor: callerLeg,
      customerNumber: phoneOf(callerLeg.from),
      companyNumber: phoneOf(callerLeg.to),
      agentLegs: legs.filter((l) => l !== callerLeg && l.to !== null && l.to.type !== 'websocket'),
      placedBy: null,
      customerLeg: null,
    };
  }

  // Outbound. Either an app user called from the Client SDK (leg A is "inbound" from the app user,
  // the trap of direction per leg), or the hub created the call through the API (every leg
  // outbound): then the agent is the first app/SIP leg, or the first leg when every leg is a phone.
  const agentLeg = callerLeg ?? legs.find((l) => isAgentEndpoint(l.to)) ?? (legs.length > 1 ? first : null);
  const placedBy = callerLeg
    ? agentOf(callerLeg.from)
    : agentHint
      ? { id: agentHint, name: null }
      : agentLeg && isAgentEndpoint(agentLeg.to)
        ? agentOf(agentLeg.to)
        : agentLeg
          ? { id: phoneOf(agentLeg.to) ?? agentLeg.id, name: null }
          : null;
  const customerLeg = legs.find((l) => l !== agentLeg && l.to?.type === 'phone') ?? null;
  return {
    direction: 'outbound',
    anchor: callerLeg ?? first,
    customerNumber: phoneOf(customerLeg?.to ?? null),
    companyNumber: phoneOf(customerLeg?.from ?? null) ?? phoneOf(agentLeg?.from ?? null),
    agentLegs: [],
    placedBy,
    customerLeg,
  };
}

/* ------------------------------------------------------------------------------------------------
 * Status (CONTRACT.md section 4); the README holds the mapping table.
 * ---------------------------------------------------------------------------------------------- */

function inboundUnansweredStatus(roles: Roles, hasRecording: boolean): CallStatus {
  // The NCCO sent the caller to a `record` action: a message was left.
  if (hasRecording) return 'voicemail';
  const callerOutcome = legOutcome(roles.anchor);
  if (callerOutcome === 'busy') return 'busy';
  if (callerOutcome === 'failed' || callerOutcome === 'rejected') return 'failed';
  const agentOutcomes = roles.agentLegs.map(legOutcome);
  // `cancelled`: the originator (the caller) hung up while the agent leg rang.
  if (agentOutcomes.includes('cancelled')) return 'abandoned';
  // Every agent leg rang out / declined while the caller was still there.
  if (agentOutcomes.length > 0 && agentOutcomes.every((o) => o !== null && failureStatuses.has(o))) return 'missed';
  // No agent leg reached an end of its own: whoever hung up decides.
  return roles.anchor.disconnectedBy === 'platform' ? 'missed' : 'abandoned';
}

function outboundUnansweredStatus(roles: Roles): CallStatus {
  const outcome = legOutcome(roles.customerLeg ?? roles.anchor);
  // Carriers relay a busy callee as `rejected` too (Vonage call statuses, "Disclaimer").
  if (outcome === 'busy' || outcome === 'rejected') return roles.customerLeg ? 'busy' : 'missed';
  if (outcome === 'failed') return 'failed';
  return 'missed';
}

/* ------------------------------------------------------------------------------------------------
 * merge
 * ---------------------------------------------------------------------------------------------- */

function factOf(event: CallEvent): Fact | null {
  const parsed = factSchema.safeParse(event.data);
  return parsed.success ? parsed.data : null;
}

/** Order of facts: webhook event time, else the REST record's start (then key, see uniqueSorted). */
function orderOf(event: CallEvent): number {
  const fact = factOf(event);
  if (!fact) return 0;
  const instant = fact.kind === 'leg' ? (fact.at ?? fact.startTime ?? fact.endTime) : fact.at;
  return instant ? Date.parse(instant) : 0;
}

function sumPrices(legs: LegSummary[]): string | null {
  const prices = legs.map(legPrice).filter((p): p is string => p !== null && p.trim() !== '');
  if (prices.length === 0) return null;
  // Vonage reports a leg's cost as a positive decimal string; keep it exact and positive.
  return prices.reduce((sum, p) => sum.plus(new Decimal(p).abs()), new Decimal(0)).toFixed();
}

function foldEvents(events: CallEvent[]): CallState {
  return uniqueSorted(events, orderOf).reduce<CallState>(
    (acc, event) => {
      const fact = factOf(event);
      return fact ? foldFact(acc, fact, event.source) : acc;
    },
    { legs: new Map(), recordingUrl: null, agentHint: null, currency: null },
  );
}

function legsInStartOrder(state: CallState): LegSummary[] {
  return [...state.legs.values()].sort((a, b) => {
    const sa = legStart(a);
    const sb = legStart(b);
    const byStart = (sa ? Date.parse(sa) : Infinity) - (sb ? Date.parse(sb) : Infinity);
    return byStart || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });
}

/** What the legs say about the answer, its end and the agents. */
interface Reading {
  status: CallStatus;
  answeredAt: string | null;
  talkEnd: string | null;
  agent: AgentRef | null;
  agents: AgentRef[];
  offeredAgents?: AgentRef[];
}

/** Leg A `answered` is the platform answering to run the NCCO: only an agent leg's answer counts. */
function readInbound(roles: Roles, ended: boolean, hasRecording: boolean): Reading {
  const answeredLegs = roles.agentLegs
    .filter((l) => legAnsweredAt(l) !== null)
    .sort((a, b) => Date.parse(legAnsweredAt(a) ?? '') - Date.parse(legAnsweredAt(b) ?? ''));
  const answeredAt = answeredLegs[0] ? legAnsweredAt(answeredLegs[0]) : null;
  const agents = uniqueAgents(answeredLegs.map((l) => agentOf(l.to)));
  return {
    status: !ended ? 'in_progress' : answeredAt ? 'answered' : inboundUnansweredStatus(roles, hasRecording),
    answeredAt,
    talkEnd: latestOf(answeredLegs.map(legAudioEnd)),
    agent: agents[0] ?? null,
    agents,
    offeredAgents: uniqueAgents(roles.agentLegs.map((l) => agentOf(l.to))),
  };
}

/** An answering machine that picked up is not an answer by the customer (contract: voicemail). */
function readOutbound(roles: Roles, ended: boolean): Reading {
  const customerLeg = roles.customerLeg;
  const machine = customerLeg?.machineDetection === 'machine';
  const answeredAt = customerLeg && !machine ? legAnsweredAt(customerLeg) : null;
  const status: CallStatus = !ended
    ? 'in_progress'
    : machine
      ? 'voicemail'
      : answeredAt
        ? 'answered'
        : outboundUnansweredStatus(roles);
  return {
    status,
    answeredAt,
    talkEnd: customerLeg ? legAudioEnd(customerLeg) : null,
    agent: roles.placedBy,
    agents: roles.placedBy ? [roles.placedBy] : [],
  };
}

export function merge(events: CallEvent[]): UnifiedCallDraft | null {
  const callKey = events[0]?.callKey;
  if (callKey === undefined) return null;
  const state = foldEvents(events);
  const legs = legsInStartOrder(state);
  const roles = rolesOf(legs, state.agentHint);
  const startedAt = earliestOf(legs.map(legStart));
  if (!roles || !startedAt) return null;

  // The call is over when its anchor leg ended (Vonage then ends the others) or every leg did.
  const ended = legEnded(roles.anchor) || legs.every(legEnded);
  const endedAt = ended ? latestOf(legs.map(legEndReportedAt)) : null;
  const r = roles.direction === 'inbound' ? readInbound(roles, ended, state.recordingUrl !== null) : readOutbound(roles, ended);
  const price = sumPrices(legs);
  // A call whose customer leg was transferred into another conversation keeps the name of the one
  // it began in, whichever key the hub filed the events under.
  const anchorConversation = roles.anchor.conversationId ?? roles.anchor.rest?.conversationId ?? null;
  const draft: UnifiedCallDraft = {
    providerCallId: anchorConversation ?? callKey,
    direction: roles.direction,
    status: r.status,
    externalNumber: roles.customerNumber,
    trackingNumber: roles.companyNumber,
    startedAt: new Date(startedAt).toISOString(),
    answeredAt: r.answeredAt ? new Date(r.answeredAt).toISOString() : null,
    endedAt: endedAt ? new Date(endedAt).toISOString() : null,
    waitSeconds: r.answeredAt ? secondsBetween(startedAt, r.answeredAt) : secondsBetween(startedAt, endedAt),
    talkSeconds: r.answeredAt ? secondsBetween(r.answeredAt, r.talkEnd) : 0,
    // Vonage status events do not report hold (CONTRACT.md section 4).
    holdSeconds: null,
    afterCallWorkSeconds: null,
    agent: r.agent,
    agents: r.agents,
    queue: null,
    tags: [],
    recordingUrl: state.recordingUrl,
    telephonyCost: price === null ? null : { amount: price, currency: state.currency ?? VONAGE_DEFAULT_CURRENCY },
  };
  if (r.offeredAgents) draft.offeredAgents = r.offeredAgents;
  return draft;
}
