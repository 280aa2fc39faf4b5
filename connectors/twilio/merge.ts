/**
 * Every observation of one Twilio call (parent leg + <Dial>/<Enqueue> child legs, from webhooks and
 * REST records) → one unified call. Pure: the same set of events in any order gives the same call.
 *
 * Twilio traps handled here (see README.md):
 * - the inbound parent leg ends `completed` even when nobody answered (Twilio answered it to run the
 *   TwiML): the answer comes from a child leg (`in-progress`) or the <Dial> action's `DialBridged`;
 * - a Voice SDK call is a parent with Direction=inbound From=client:… whose child dials the customer:
 *   that is an OUTBOUND call placed by the client identity;
 * - `Timestamp` is RFC 2822; `CallDuration` counts from the leg's answer.
 */
import { Decimal } from 'decimal.js';
import type { AgentRef, AutomationRef, CallEvent, CallStatus, SentimentRef, UnifiedCallDraft } from '../contract.js';
import { uniqueSorted } from '../shared/events.js';
import { toE164 } from '../shared/phone.js';
import { intelligenceSentiment, legObservation, type IntelligenceSentiment, type LegObservation } from './events.js';

const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const ANSWERED_STATUS = new Set(['in-progress', 'answered']);

const ms = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);
const isoOf = (t: number): string => new Date(t).toISOString();

function orderOf(e: CallEvent): number {
  const o = e.data as Partial<LegObservation>;
  return ms(o.at ?? o.startTime ?? null) ?? 0;
}

/** `client:agent_alice` → `agent_alice`; a phone number stays as E.164. */
function identity(address: string | null): string | null {
  if (!address) return null;
  const m = /^(client|sip):(.+)$/i.exec(address);
  if (m) return m[2]!.replace(/@.*$/, '');
  return toE164(address) ?? address;
}

function isAgentAddress(address: string | null): boolean {
  return !!address && /^(client|sip):/i.test(address);
}

interface Leg {
  sid: string;
  obs: LegObservation[];
}

interface LegFacts {
  sid: string;
  to: string | null;
  from: string | null;
  answeredAt: number | null;
  endedAt: number | null;
  talk: number | null;
  finalStatus: string | null;
  answered: boolean;
  startedAt: number | null;
  recordingUrl: string | null;
  price: string | null;
  priceUnit: string | null;
}

function first<T>(values: (T | null | undefined)[]): T | null {
  for (const v of values) if (v !== null && v !== undefined) return v;
  return null;
}

function legFacts(leg: Leg, dialAction: LegObservation | undefined): LegFacts {
  const callbacks = leg.obs.filter((o) => o.kind === 'status-callback').sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const rest = leg.obs.find((o) => o.kind === 'rest');
  const terminal = [...callbacks].reverse().find((o) => o.status && TERMINAL.has(o.status));
  const answeredCb = callbacks.find((o) => o.status && ANSWERED_STATUS.has(o.status));
  const finalStatus = first([terminal?.status, rest && rest.status && TERMINAL.has(rest.status) ? rest.status : null, dialAction?.dialCallStatus]);
  const duration = first([terminal?.duration, rest?.duration, dialAction?.dialCallDuration]);
  const endedAt = first([ms(terminal?.at), ms(rest?.endTime)]);
  const answered =
    !!answeredCb ||
    dialAction?.dialBridged === true ||
    (finalStatus === 'completed' && (duration ?? 0) > 0) ||
    rest?.status === 'in-progress';
  let answeredAt: number | null = null;
  if (answered) {
    answeredAt = first([
      ms(answeredCb?.at),
      endedAt !== null && duration !== null ? endedAt - duration * 1000 : null,
    ]);
  }
  const talk = answered
    ? first([duration, endedAt !== null && answeredAt !== null ? Math.round((endedAt - answeredAt) / 1000) : null])
    : 0;
  return {
    sid: leg.sid,
    to: first(leg.obs.map((o) => o.to)),
    from: first(leg.obs.map((o) => o.from)),
    answeredAt,
    endedAt: endedAt ?? (answeredAt !== null && talk !== null ? answeredAt + talk * 1000 : null),
    talk,
    finalStatus,
    answered,
    startedAt: first([
      ms(callbacks.find((o) => o.status === 'initiated' || o.status === 'queued')?.at),
      ms(rest?.startTime),
      ms(callbacks.find((o) => o.status === 'ringing')?.at),
      answeredAt,
    ]),
    recordingUrl: first([...leg.obs.map((o) => o.recordingUrl), dialAction?.recordingUrl]),
    price: rest?.price ?? null,
    priceUnit: rest?.priceUnit ?? null,
  };
}

function sumPrices(legs: LegFacts[]): { amount: string; currency: string } | null {
  const priced = legs.filter((l) => l.price !== null);
  if (priced.length === 0) return null;
  const total = priced.reduce((acc, l) => acc.plus(new Decimal(l.price!).abs()), new Decimal(0));
  return { amount: total.toFixed(), currency: (priced[0]!.priceUnit ?? 'USD').toUpperCase() };
}

/** The parent leg: the customer's call (inbound) or the call Twilio placed (outbound-api / Voice SDK). */
interface ParentFacts {
  obs: LegObservation[];
  legFacts: LegFacts;
  direction: string;
  from: string | null;
  to: string | null;
  outbound: boolean;
  /** When the parent's end was reported, or null. */
  end: number | null;
  duration: number | null;
  ended: boolean;
  queueResult: string | null;
  /** Seconds the caller waited in an <Enqueue> (its action callback's QueueTime). */
  queueTime: number | null;
  /** A recording made on the parent itself (<Record> after an unanswered <Dial>: a voicemail). */
  recordingUrl: string | null;
  /** A ConversationRelay session (an AI voice agent) took the inbound caller. */
  bot: AutomationRef | null;
}

/** Child legs (<Dial> targets), each read on its own; a <Dial> action fills in for missing callbacks. */
function childLegsOf(all: readonly LegObservation[], callKey: string, parentObs: readonly LegObservation[]): LegFacts[] {
  const childLegs = new Map<string, Leg>();
  for (const o of all) {
    if (o.callSid === callKey) continue;
    const leg = childLegs.get(o.callSid) ?? { sid: o.callSid, obs: [] };
    leg.obs.push(o);
    childLegs.set(o.callSid, leg);
  }
  const dialActions = parentObs.filter((o) => o.kind === 'dial-action');
  // A <Dial> action callback names its child: without the child's own callbacks it still tells the outcome.
  for (const d of dialActions) {
    if (d.dialCallSid && !childLegs.has(d.dialCallSid)) childLegs.set(d.dialCallSid, { sid: d.dialCallSid, obs: [] });
  }
  return [...childLegs.values()]
    .map((leg) => legFacts(leg, dialActions.find((d) => d.dialCallSid === leg.sid)))
    .sort((a, b) => (a.startedAt ?? a.answeredAt ?? Infinity) - (b.startedAt ?? b.answeredAt ?? Infinity) || (a.sid < b.sid ? -1 : 1));
}

function parentFactsOf(callKey: string, parentObs: LegObservation[]): ParentFacts {
  const callbacks = parentObs.filter((o) => o.kind === 'status-callback');
  const rest = parentObs.find((o) => o.kind === 'rest');
  const terminal = [...callbacks].reverse().find((o) => o.status && TERMINAL.has(o.status));
  const restEnded = !!(rest?.status && TERMINAL.has(rest.status));
  const direction = first(parentObs.map((o) => o.direction)) ?? 'inbound';
  const from = first(parentObs.map((o) => o.from));
  const end = first([ms(terminal?.at), restEnded ? ms(rest?.endTime) : null]);
  return {
    obs: parentObs,
    legFacts: legFacts({ sid: callKey, obs: parentObs }, undefined),
    direction,
    from,
    to: first(parentObs.map((o) => o.to)),
    outbound: direction.startsWith('outbound') || isAgentAddress(from),
    end,
    duration: first([terminal?.duration, rest?.duration]),
    ended: end !== null || restEnded,
    queueResult: first(parentObs.map((o) => o.queueResult)),
    queueTime: first(parentObs.filter((o) => o.kind === 'enqueue-action').map((o) => o.queueTime)),
    recordingUrl: first(parentObs.filter((o) => o.kind !== 'dial-action').map((o) => o.recordingUrl)),
    bot: relayBotOf(parentObs),
  };
}

/**
 * The <Connect action> callbacks of ConversationRelay sessions on the parent: Twilio's own report
 * that an AI voice agent took the call, and whether the app ended it with `HandoffData` (passing
 * the caller to a human). A session that `failed` took nothing.
 */
function relayBotOf(parentObs: readonly LegObservation[]): AutomationRef | null {
  const sessions = parentObs
    .filter((o) => o.kind === 'relay-action' && o.relaySessionStatus !== 'failed')
    .sort((a, b) => ((a.relaySessionId ?? '') < (b.relaySessionId ?? '') ? -1 : 1));
  if (sessions.length === 0) return null;
  const escalated = sessions.some((o) => o.relayHandoff === true);
  const last = sessions[sessions.length - 1]!;
  return {
    id: last.relaySessionId ?? null,
    name: null,
    escalated,
    evidence: `twilio ConversationRelay ${last.relaySessionStatus ?? 'ended'}${escalated ? ' with HandoffData' : ''}`,
  };
}

/**
 * The start: the earliest precise time we know. An inbound (or client-originated) parent is answered
 * by Twilio at once, so end − CallDuration is its start; an outbound-api parent counts from the answer.
 * Without any time at all, when the hub received the first observation.
 */
function startOf(parent: ParentFacts, children: readonly LegFacts[]): number | null {
  const rest = parent.obs.find((o) => o.kind === 'rest');
  const candidates = [
    parent.end !== null && parent.duration !== null && !parent.direction.startsWith('outbound-api')
      ? parent.end - parent.duration * 1000
      : null,
    ms(rest?.startTime),
    ...parent.obs.filter((o) => o.kind === 'status-callback').map((o) => ms(o.at)),
    ...children.map((c) => c.startedAt),
  ].filter((t): t is number => t !== null);
  if (candidates.length > 0) return Math.min(...candidates);
  const received = parent.obs.map((o) => ms(o.receivedAt)).filter((t): t is number => t !== null);
  return received.length > 0 ? Math.min(...received) : null;
}

interface Answer {
  /** The legs that answered for the company (inbound: agents) or the customer (outbound). */
  legs: LegFacts[];
  answered: boolean;
  answeredAt: number | null;
  /** Taken from an <Enqueue> by an agent's <Dial><Queue>, which is another call tree. */
  bridgedFromQueue: boolean;
  /** An API-created outbound call without child legs: the parent itself reaches the customer. */
  outboundApiOnly: boolean;
}

function answerOf(parent: ParentFacts, children: readonly LegFacts[], startedAt: number): Answer {
  const outboundApiOnly = parent.outbound && children.length === 0;
  const legs = outboundApiOnly ? (parent.legFacts.answered ? [parent.legFacts] : []) : children.filter((c) => c.answered);
  const firstAnswer = legs.filter((c) => c.answeredAt !== null).sort((a, b) => a.answeredAt! - b.answeredAt!)[0];
  // An agent taking the caller with <Dial><Queue> is another call tree: the customer's own call only
  // says QueueResult=bridged, after QueueTime seconds in the queue (the time before the <Enqueue>,
  // usually a greeting, is not reported and so not counted as wait).
  const bridgedFromQueue = !parent.outbound && legs.length === 0 && parent.queueResult === 'bridged';
  return {
    legs,
    answered: legs.length > 0 || bridgedFromQueue,
    answeredAt: firstAnswer?.answeredAt ?? (bridgedFromQueue ? startedAt + (parent.queueTime ?? 0) * 1000 : null),
    bridgedFromQueue,
    outboundApiOnly,
  };
}

/** CONTRACT.md section 4; README.md holds the mapping table. */
function statusOf(parent: ParentFacts, children: readonly LegFacts[], answer: Answer): CallStatus {
  if (!parent.ended) return 'in_progress';
  if (answer.answered) return 'answered';
  const terminalAs = (s: string | null): CallStatus => (s === 'busy' ? 'busy' : s === 'failed' ? 'failed' : 'missed');
  if (parent.outbound) return terminalAs((children[0] ?? parent.legFacts).finalStatus);
  if (parent.recordingUrl) return 'voicemail';
  // An AI voice agent took the caller and did not hand over; no agent answered (checked above).
  if (parent.bot && !parent.bot.escalated) return 'self_served';
  if (children.some((c) => c.finalStatus === 'canceled') || parent.queueResult === 'hangup') return 'abandoned';
  if (children.some((c) => c.finalStatus === 'no-answer' || c.finalStatus === 'busy' || c.finalStatus === 'failed')) return 'missed';
  if (parent.queueResult && parent.queueResult !== 'bridged') return 'missed';
  const s = parent.legFacts.finalStatus;
  return s === 'no-answer' ? 'missed' : s === 'busy' || s === 'failed' ? terminalAs(s) : 'abandoned';
}

/**
 * Contract: answer → end, less hold (Twilio reports no hold). Across a transfer that is the first
 * answer to the last answering leg's end, so a transfer's ringing gap counts as talk as elsewhere.
 */
function talkSecondsOf(answer: Answer, endedAt: number | null): number {
  const { answeredAt, legs } = answer;
  if (!answer.answered) return 0;
  const seconds = (from: number, to: number) => Math.max(0, Math.round((to - from) / 1000));
  if (answer.bridgedFromQueue) return endedAt !== null && answeredAt !== null ? seconds(answeredAt, endedAt) : 0;
  const lastEnd = Math.max(...legs.map((l) => l.endedAt ?? -Infinity));
  if (answeredAt !== null && Number.isFinite(lastEnd) && legs.every((l) => l.endedAt !== null)) return seconds(answeredAt, lastEnd);
  return legs.reduce((sum, l) => sum + (l.talk ?? 0), 0);
}

const toAgent = (address: string | null): AgentRef | null => {
  const id = identity(address);
  return id ? { id, name: null } : null;
};

/** Outbound: the client identity that placed the call. Inbound: the <Dial> targets that answered. */
function agentsOf(parent: ParentFacts, children: readonly LegFacts[], answer: Answer) {
  if (parent.outbound) {
    const agent = isAgentAddress(parent.from) ? toAgent(parent.from) : null;
    return { agent, agents: agent ? [agent] : [], offered: [] as AgentRef[] };
  }
  const offered: AgentRef[] = [];
  for (const c of children) {
    const a = toAgent(c.to);
    if (a && !offered.some((x) => x.id === a.id)) offered.push(a);
  }
  const agents: AgentRef[] = [];
  for (const c of [...answer.legs].sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0))) {
    const a = toAgent(c.to);
    if (a && !agents.some((x) => x.id === a.id)) agents.push(a);
  }
  return { agent: agents[0] ?? null, agents, offered };
}

/** The latest Conversational Intelligence sentiment of the call (a later transcript wins; ties by key). */
function sentimentOf(events: readonly CallEvent[]): SentimentRef | null {
  let latest: { key: string; facts: IntelligenceSentiment } | null = null;
  for (const e of events) {
    const facts = intelligenceSentiment.parse(e.data);
    if (!latest || facts.at > latest.facts.at || (facts.at === latest.facts.at && e.key > latest.key)) latest = { key: e.key, facts };
  }
  return latest ? { label: latest.facts.label, score: null, source: 'twilio intelligence operator results' } : null;
}

const isSentiment = (e: CallEvent) => (e.data as { kind?: unknown }).kind === 'intelligence-sentiment';

export function merge(events: CallEvent[]): UnifiedCallDraft | null {
  if (events.length === 0) return null;
  const callKey = events[0]!.callKey;
  const sentiment = sentimentOf(events.filter(isSentiment));
  const all = uniqueSorted(events.filter((e) => !isSentiment(e)), orderOf).map((e) => legObservation.parse(e.data));
  const parentObs = all.filter((o) => o.callSid === callKey);
  // A child leg alone cannot say which way the call went: wait for the parent.
  if (parentObs.length === 0) return null;

  const parent = parentFactsOf(callKey, parentObs);
  const children = childLegsOf(all, callKey, parentObs);
  let startedAt = startOf(parent, children);
  if (startedAt === null) return null;
  const answer = answerOf(parent, children, startedAt);
  // An outbound-api call that reported only its end: it started no later than it was answered.
  if (answer.answeredAt !== null && answer.answeredAt < startedAt) startedAt = answer.answeredAt;
  const endedAt = parent.ended ? (parent.end ?? Math.max(startedAt, ...children.map((c) => c.endedAt ?? 0))) : null;
  const waitEnd = answer.answered ? answer.answeredAt : endedAt;
  const { agent, agents, offered } = agentsOf(parent, children, answer);
  const customerLeg = parent.outbound ? (children[0] ?? null) : null;
  const queueSid = first(parentObs.map((o) => o.queueSid));

  return {
    providerCallId: callKey,
    direction: parent.outbound ? 'outbound' : 'inbound',
    status: statusOf(parent, children, answer),
    externalNumber: parent.outbound ? toE164(customerLeg?.to ?? parent.to) : toE164(parent.from),
    trackingNumber: parent.outbound
      ? toE164(customerLeg?.from ?? (answer.outboundApiOnly ? parent.from : null))
      : toE164(parent.to),
    startedAt: isoOf(startedAt),
    answeredAt: answer.answeredAt !== null ? isoOf(answer.answeredAt) : null,
    endedAt: endedAt !== null ? isoOf(endedAt) : null,
    waitSeconds: waitEnd !== null ? Math.max(0, Math.round((waitEnd - startedAt) / 1000)) : 0,
    talkSeconds: talkSecondsOf(answer, endedAt),
    holdSeconds: null,
    afterCallWorkSeconds: null,
    agent,
    agents,
    offeredAgents: offered,
    queue: queueSid ? { id: queueSid, name: first(parentObs.map((o) => o.queueName)) } : null,
    tags: [],
    recordingUrl: first([...answer.legs.map((l) => l.recordingUrl), ...children.map((c) => c.recordingUrl), parent.recordingUrl]),
    telephonyCost: sumPrices([parent.legFacts, ...children]),
    ...(parent.bot && !parent.outbound ? { automation: parent.bot } : {}),
    ...(sentiment ? { sentiment } : {}),
  };
}
