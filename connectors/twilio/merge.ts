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
import type { AgentRef, CallEvent, CallStatus, UnifiedCallDraft } from '../contract.js';
import { uniqueSorted } from '../shared/events.js';
import { toE164 } from '../shared/phone.js';
import { legObservation, type LegObservation } from './events.js';

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

export function merge(events: CallEvent[]): UnifiedCallDraft | null {
  if (events.length === 0) return null;
  const callKey = events[0]!.callKey;
  const all = uniqueSorted(events, orderOf).map((e) => legObservation.parse(e.data));
  const parentObs = all.filter((o) => o.callSid === callKey);
  // A child leg alone cannot say which way the call went: wait for the parent.
  if (parentObs.length === 0) return null;

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
  const children = [...childLegs.values()]
    .map((leg) => legFacts(leg, dialActions.find((d) => d.dialCallSid === leg.sid)))
    .sort((a, b) => (a.startedAt ?? a.answeredAt ?? Infinity) - (b.startedAt ?? b.answeredAt ?? Infinity) || (a.sid < b.sid ? -1 : 1));

  const parent = legFacts({ sid: callKey, obs: parentObs }, undefined);
  const parentCallbacks = parentObs.filter((o) => o.kind === 'status-callback');
  const parentRest = parentObs.find((o) => o.kind === 'rest');
  const parentTerminal = [...parentCallbacks].reverse().find((o) => o.status && TERMINAL.has(o.status));
  const parentDirection = first(parentObs.map((o) => o.direction)) ?? 'inbound';
  const parentFrom = first(parentObs.map((o) => o.from));
  const parentTo = first(parentObs.map((o) => o.to));
  const outbound = parentDirection.startsWith('outbound') || isAgentAddress(parentFrom);

  const parentEnd = first([ms(parentTerminal?.at), parentRest?.status && TERMINAL.has(parentRest.status) ? ms(parentRest.endTime) : null]);
  const parentDuration = first([parentTerminal?.duration, parentRest?.duration]);
  const ended = parentEnd !== null || !!(parentRest?.status && TERMINAL.has(parentRest.status));

  // The start: the earliest precise time we know. An inbound (or client-originated) parent is answered
  // by Twilio at once, so end − CallDuration is its start; an outbound-api parent counts from the answer.
  const startCandidates = [
    parentEnd !== null && parentDuration !== null && !parentDirection.startsWith('outbound-api')
      ? parentEnd - parentDuration * 1000
      : null,
    ms(parentRest?.startTime),
    ...parentCallbacks.map((o) => ms(o.at)),
    ...children.map((c) => c.startedAt),
  ].filter((t): t is number => t !== null);
  const received = parentObs.map((o) => ms(o.receivedAt)).filter((t): t is number => t !== null);
  let startedAtMs = startCandidates.length ? Math.min(...startCandidates) : received.length ? Math.min(...received) : null;
  if (startedAtMs === null) return null;

  // The leg that answers for the company (inbound: agents) or the customer (outbound).
  const outboundApiOnly = outbound && children.length === 0;
  const answeringLegs = outboundApiOnly ? (parent.answered ? [parent] : []) : children.filter((c) => c.answered);
  const firstAnswer = answeringLegs
    .filter((c) => c.answeredAt !== null)
    .sort((a, b) => a.answeredAt! - b.answeredAt!)[0];
  const queueResult = first(parentObs.map((o) => o.queueResult));
  const queueTime = first(parentObs.filter((o) => o.kind === 'enqueue-action').map((o) => o.queueTime));
  // An agent taking the caller with <Dial><Queue> is another call tree: the customer's own call only
  // says QueueResult=bridged, after QueueTime seconds in the queue (the time before the <Enqueue>,
  // usually a greeting, is not reported and so not counted as wait).
  const bridgedFromQueue = !outbound && answeringLegs.length === 0 && queueResult === 'bridged';
  const answered = answeringLegs.length > 0 || bridgedFromQueue;
  const answeredAtMs = firstAnswer?.answeredAt ?? (bridgedFromQueue ? startedAtMs + (queueTime ?? 0) * 1000 : null);
  // An outbound-api call that reported only its end: it started no later than it was answered.
  if (answeredAtMs !== null && answeredAtMs < startedAtMs) startedAtMs = answeredAtMs;

  const endedAtMs = ended ? (parentEnd ?? Math.max(startedAtMs, ...children.map((c) => c.endedAt ?? 0))) : null;

  let status: CallStatus;
  const parentRecording = first(parentObs.filter((o) => o.kind !== 'dial-action').map((o) => o.recordingUrl));
  if (!ended) status = 'in_progress';
  else if (answered) status = 'answered';
  else if (outbound) {
    const leg = children[0] ?? parent;
    const s = leg.finalStatus;
    status = s === 'busy' ? 'busy' : s === 'failed' ? 'failed' : 'missed';
  } else if (parentRecording) status = 'voicemail';
  else if (children.some((c) => c.finalStatus === 'canceled') || queueResult === 'hangup') status = 'abandoned';
  else if (children.some((c) => c.finalStatus === 'no-answer' || c.finalStatus === 'busy' || c.finalStatus === 'failed')) status = 'missed';
  else if (queueResult && queueResult !== 'bridged') status = 'missed';
  else {
    const s = parent.finalStatus;
    status = s === 'busy' ? 'busy' : s === 'failed' ? 'failed' : s === 'no-answer' ? 'missed' : 'abandoned';
  }

  const waitEnd = answered ? answeredAtMs : endedAtMs;
  const waitSeconds = waitEnd !== null ? Math.max(0, Math.round((waitEnd - startedAtMs) / 1000)) : 0;
  // Contract: answer → end, less hold (Twilio reports no hold). Across a transfer that is the first
  // answer to the last answering leg's end, so a transfer's ringing gap counts as talk as elsewhere.
  const lastEnd = Math.max(...answeringLegs.map((l) => l.endedAt ?? -Infinity));
  const talkSeconds = !answered
    ? 0
    : bridgedFromQueue
      ? endedAtMs !== null && answeredAtMs !== null ? Math.max(0, Math.round((endedAtMs - answeredAtMs) / 1000)) : 0
    : answeredAtMs !== null && Number.isFinite(lastEnd) && answeringLegs.every((l) => l.endedAt !== null)
      ? Math.max(0, Math.round((lastEnd - answeredAtMs) / 1000))
      : answeringLegs.reduce((sum, l) => sum + (l.talk ?? 0), 0);

  const toAgent = (address: string | null): AgentRef | null => {
    const id = identity(address);
    return id ? { id, name: null } : null;
  };
  const agents: AgentRef[] = [];
  const offered: AgentRef[] = [];
  let agent: AgentRef | null = null;
  if (outbound) {
    agent = isAgentAddress(parentFrom) ? toAgent(parentFrom) : null;
    if (agent) agents.push(agent);
  } else {
    for (const c of children) {
      const a = toAgent(c.to);
      if (a && !offered.some((x) => x.id === a.id)) offered.push(a);
    }
    for (const c of [...answeringLegs].sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0))) {
      const a = toAgent(c.to);
      if (a && !agents.some((x) => x.id === a.id)) agents.push(a);
    }
    agent = agents[0] ?? null;
  }

  const customerLeg = outbound ? (children[0] ?? null) : null;
  const queueSid = first(parentObs.map((o) => o.queueSid));
  const queueName = first(parentObs.map((o) => o.queueName));

  return {
    providerCallId: callKey,
    direction: outbound ? 'outbound' : 'inbound',
    status,
    externalNumber: outbound ? toE164(customerLeg?.to ?? parentTo) : toE164(parentFrom),
    trackingNumber: outbound ? toE164(customerLeg?.from ?? (outboundApiOnly ? parentFrom : null)) : toE164(parentTo),
    startedAt: isoOf(startedAtMs),
    answeredAt: answeredAtMs !== null ? isoOf(answeredAtMs) : null,
    endedAt: endedAtMs !== null ? isoOf(endedAtMs) : null,
    waitSeconds,
    talkSeconds,
    holdSeconds: null,
    afterCallWorkSeconds: null,
    agent,
    agents,
    offeredAgents: offered,
    queue: queueSid ? { id: queueSid, name: queueName } : null,
    tags: [],
    recordingUrl: first([...answeringLegs.map((l) => l.recordingUrl), ...children.map((c) => c.recordingUrl), parentRecording]),
    telephonyCost: sumPrices([parent, ...children]),
  };
}

