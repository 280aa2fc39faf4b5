/**
 * RingCentral call events → one unified call.
 *
 * Two kinds of events share a call (callKey = telephonySessionId):
 * - `party` events, one per party per telephony-session notification (webhook.ts). They are folded
 *   in `body.sequence` order: RingCentral may deliver a later sequence first
 *   (https://developers.ringcentral.com/guide/voice/call-control/session-notifications).
 * - `log` events, one per call-log record (client.ts, backfill). The call log has no ring/talk/hold
 *   breakdown, so its figures only fill what the notifications did not tell.
 *
 * `merge` is a pure fold over `uniqueSorted(events)`: any permutation, with any duplicates, gives
 * the same draft.
 */
import type { AgentRef, CallEvent, CallStatus, Direction, UnifiedCallDraft } from '../contract.js';
import { iso, secondsBetween, uniqueSorted } from '../shared/events.js';
import { toE164 } from '../shared/phone.js';
import { eventDataSchema, type Endpoint, type LogEventData, type LogLeg, type PartyEventData } from './events.js';

// ---------------------------------------------------------------------------------------------
// Provider vocabulary
// ---------------------------------------------------------------------------------------------

/** Party status codes after which the party is gone (CallStatusInfo.code). */
const TERMINAL_CODES = new Set(['Disconnected', 'Gone']);
const VOICEMAIL_CODES = new Set(['VoiceMail', 'VoiceMailScreening']);

/** `status.reason` of a Disconnected party (CallStatusInfo.reason) that says the call never got through. */
const FAILURE_REASONS = new Set([
  'InvalidNumber',
  'InternationalDisabled',
  'DestinationBlocked',
  'NotEnoughFunds',
  'NoSuchUser',
  'InternalError',
]);
/** A callee that declined is reported like a busy line (the caller hears the busy tone). */
const BUSY_REASONS = new Set(['TargetBusy', 'Rejected']);

/** Call-log `result` values (CallLogRecord.result) → unified status. Anything else: `failed`. */
const LOG_RESULT_STATUS: Record<string, CallStatus> = {
  Accepted: 'answered',
  'Call accepted': 'answered',
  'Call connected': 'answered',
  'In Progress': 'in_progress',
  ResultInProgress: 'in_progress',
  Voicemail: 'voicemail',
  Missed: 'missed',
  'No Answer': 'missed',
  'Answered Not Accepted': 'missed',
  Reply: 'missed',
  Busy: 'busy',
  Rejected: 'busy',
  Declined: 'busy',
  'Hang Up': 'abandoned',
  'Hang up': 'abandoned',
  Abandoned: 'abandoned',
};

const ANSWERED_LOG_RESULTS = new Set(['Accepted', 'Call accepted', 'Call connected']);

/** Recording media: the call-log `recording.contentUri` form; the webhook only gives the id. */
function recordingContentUrl(accountId: string | null, recordingId: string): string {
  return `https://media.ringcentral.com/restapi/v1.0/account/${accountId ?? '~'}/recording/${recordingId}/content`;
}

// ---------------------------------------------------------------------------------------------
// Party timelines (webhook)
// ---------------------------------------------------------------------------------------------

interface Interval {
  start: number;
  end: number | null;
}

interface PartyTimeline {
  id: string;
  accountId: string | null;
  extensionId: string | null;
  direction: 'Inbound' | 'Outbound' | null;
  firstSequence: number;
  firstAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  queueCall: boolean;
  wentToVoicemail: boolean;
  holds: Interval[];
  from: Endpoint;
  to: Endpoint;
  recordingIds: string[];
}

function fillEndpoint(known: Endpoint, next: Endpoint): Endpoint {
  return {
    phoneNumber: known.phoneNumber ?? next.phoneNumber,
    name: known.name ?? next.name,
    extensionId: known.extensionId ?? next.extensionId,
  };
}

/** Fold the party events (already in sequence order) into one timeline per party. */
function partyTimelines(events: readonly PartyEventData[]): PartyTimeline[] {
  const byId = new Map<string, PartyTimeline>();
  for (const e of events) {
    const at = Date.parse(e.eventTime);
    let p = byId.get(e.partyId);
    if (!p) {
      p = {
        id: e.partyId,
        accountId: e.accountId,
        extensionId: e.extensionId,
        direction: e.direction,
        firstSequence: e.sequence,
        firstAt: at,
        answeredAt: null,
        endedAt: null,
        endReason: null,
        queueCall: false,
        wentToVoicemail: false,
        holds: [],
        from: e.from,
        to: e.to,
        recordingIds: [],
      };
      byId.set(e.partyId, p);
    }
    p.accountId ??= e.accountId;
    p.extensionId ??= e.extensionId;
    p.direction ??= e.direction;
    p.queueCall ||= e.queueCall;
    p.from = fillEndpoint(p.from, e.from);
    p.to = fillEndpoint(p.to, e.to);
    for (const id of e.recordingIds) if (!p.recordingIds.includes(id)) p.recordingIds.push(id);
    if (p.endedAt !== null) continue; // nothing after the party is gone changes its timing

    const openHold = p.holds.find((h) => h.end === null);
    if (e.status === 'Hold') {
      if (!openHold) p.holds.push({ start: at, end: null });
    } else if (openHold) {
      openHold.end = at;
    }
    if (e.status === 'Answered' && p.answeredAt === null) p.answeredAt = at;
    if (VOICEMAIL_CODES.has(e.status)) p.wentToVoicemail = true;
    if (TERMINAL_CODES.has(e.status)) {
      p.endedAt = at;
      p.endReason = e.reason;
    }
  }
  return [...byId.values()].sort((a, b) => a.firstSequence - b.firstSequence || (a.id < b.id ? -1 : 1));
}

/** Total length of the union of the intervals, clipped to [from, to], in ms. */
function unionMs(intervals: readonly Interval[], from: number, to: number): number {
  const clipped = intervals
    .map((h) => ({ start: Math.max(h.start, from), end: Math.min(h.end ?? to, to) }))
    .filter((h) => h.end > h.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let cursor = -Infinity;
  for (const h of clipped) {
    const start = Math.max(h.start, cursor);
    if (h.end > start) total += h.end - start;
    cursor = Math.max(cursor, h.end);
  }
  return total;
}

function distinctAgents(refs: readonly AgentRef[]): AgentRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/** Name of an extension as any party or log record spelled it (first in sequence order). */
function nameOfExtension(extensionId: string, endpoints: readonly Endpoint[]): string | null {
  for (const ep of endpoints) if (ep.extensionId === extensionId && ep.name) return ep.name;
  return null;
}

/**
 * RingCentral's `phoneNumber` is "usually a plain number including country and area code like
 * 18661234567" but "sometimes … with some formatting applied, for example (866)123-4567"
 * (CallLogCallerInfo.phoneNumber): digits are read as international first, formatted national
 * numbers as North American ones (the only national format RingCentral documents).
 */
function e164(raw: string | null | undefined): string | null {
  return toE164(raw, { internationalWithoutPlus: true, defaultCountry: 'US' });
}

/** What a fold over the party events tells; `endedAt` null while the call goes on. */
interface WebhookFacts {
  providerCallId: string;
  direction: Direction;
  startedAt: number;
  lastEventAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** End of the answered agent/customer leg, when known. */
  connectedEnd: number | null;
  holds: Interval[];
  unansweredStatus: CallStatus | null;
  agent: AgentRef | null;
  agents: AgentRef[];
  offeredAgents: AgentRef[] | undefined;
  queue: { id: string; name: string | null } | null;
  externalNumber: string | null;
  trackingNumber: string | null;
  recordingUrl: string | null;
}

/** What every reading of the parties starts from. */
interface Session {
  providerCallId: string;
  parties: PartyTimeline[];
  /** The party outside the account (no extensionId): the customer. */
  customer: PartyTimeline | null;
  /** Parties of the account's extensions: agents, queues, IVRs. */
  internal: PartyTimeline[];
  startedAt: number;
  lastEventAt: number;
  /** The call is over once the customer has left, or every party we know of has. */
  endedAt: number | null;
  recordingUrl: string | null;
  agentRef: (p: PartyTimeline) => AgentRef;
  queueOf: (p: PartyTimeline | undefined) => WebhookFacts['queue'];
}

function sessionOf(events: readonly PartyEventData[]): Session | null {
  const parties = partyTimelines(events);
  const first = events[0];
  if (!first || parties.length === 0) return null;
  const endpoints = events.flatMap((e) => [e.to, e.from]);
  const times = events.map((e) => Date.parse(e.eventTime));
  const lastEventAt = Math.max(...times);
  const customer = parties.find((p) => p.extensionId === null) ?? null;
  const ended = (customer !== null && customer.endedAt !== null) || parties.every((p) => p.endedAt !== null);
  const recordingParty = parties.find((p) => p.recordingIds.length > 0);
  return {
    providerCallId: first.telephonySessionId,
    parties,
    customer,
    internal: parties.filter((p) => p.extensionId !== null),
    startedAt: Math.min(...times),
    lastEventAt,
    endedAt: ended ? lastEventAt : null,
    recordingUrl: recordingParty
      ? recordingContentUrl(recordingParty.accountId, recordingParty.recordingIds[0] ?? '')
      : null,
    agentRef: (p) => ({ id: p.extensionId ?? p.id, name: nameOfExtension(p.extensionId ?? '', endpoints) }),
    queueOf: (p) => (p?.extensionId ? { id: p.extensionId, name: nameOfExtension(p.extensionId, endpoints) } : null),
  };
}

/**
 * A customer party "Outbound" placed the call (its direction is seen from its own side), so the
 * call is inbound for the company. Without a customer party, the first extension's direction.
 */
function directionOf(s: Session): Direction {
  if (s.customer) return s.customer.direction === 'Inbound' ? 'outbound' : 'inbound';
  return s.internal[0]?.direction === 'Outbound' ? 'outbound' : 'inbound';
}

/**
 * `status.reason` of an agent's `Disconnected` when the agent passed the caller on
 * (CallStatusInfo.reason): a blind ("cold") transfer, a warm one, one made through Call Control
 * (`RccTransfer`) or by DTMF.
 */
const TRANSFER_REASONS = new Set(['BlindTransfer', 'Transfer', 'AttendedTransfer', 'RccTransfer', 'DtmfTransfer']);

/**
 * Platform answer ≠ agent answer: the caller party turns Answered as soon as the queue greeting
 * plays. Agents are the queue members (queueCall) when the call went through a queue, else the
 * extensions the call rang directly (an IVR that redirected the caller is not an agent). The queue
 * is the extension party that is neither a member nor the caller.
 */
function inboundCandidates(s: Session): { candidates: PartyTimeline[]; queueParty: PartyTimeline | undefined } {
  const viaQueue = s.internal.some((p) => p.queueCall);
  const direct = viaQueue
    ? s.internal.filter((p) => p.queueCall)
    : s.internal.filter((p) => p.direction !== 'Outbound' && p.endReason !== 'CallerInputRedirect');
  const candidates = withTransferTargets(s.internal, direct);
  const queueParty = viaQueue ? s.internal.find((p) => !candidates.includes(p) && p.direction !== 'Outbound') : undefined;
  return { candidates, queueParty };
}

/**
 * An extension that answers once an agent's leg ended with a transfer is the agent the caller was
 * passed to, whether or not it is a member of the queue (a blind transfer out of a queue to a
 * colleague's own extension carries no `queueCall`). Repeated, so a transfer of a transfer counts.
 */
function withTransferTargets(internal: readonly PartyTimeline[], agents: readonly PartyTimeline[]): PartyTimeline[] {
  const found = [...agents];
  for (let grew = true; grew; ) {
    const transfers = found.filter((p) => p.endedAt !== null && TRANSFER_REASONS.has(p.endReason ?? '')).map((p) => p.endedAt as number);
    const since = transfers.length > 0 ? Math.min(...transfers) : Infinity;
    const targets = internal.filter((p) => !found.includes(p) && p.answeredAt !== null && p.answeredAt >= since);
    found.push(...targets);
    grew = targets.length > 0;
  }
  return internal.filter((p) => found.includes(p));
}

/** Nobody answered: voicemail, or who left first — the caller (abandoned) or the company side (missed). */
function inboundUnansweredStatus(s: Session): CallStatus {
  if (s.parties.some((p) => p.wentToVoicemail)) return 'voicemail';
  const companyEnds = s.internal.map((p) => p.endedAt ?? Infinity);
  if (s.customer?.endedAt != null && s.customer.endedAt <= Math.min(...companyEnds)) return 'abandoned';
  return 'missed';
}

function inboundFacts(s: Session): WebhookFacts {
  const { candidates, queueParty } = inboundCandidates(s);
  const answered = candidates
    .filter((p) => p.answeredAt !== null)
    .sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0) || a.firstSequence - b.firstSequence);
  const firstAnswer = answered[0] ?? null;
  const connectedEnds = answered.map((p) => p.endedAt ?? s.endedAt);
  const from = s.customer?.from ?? s.internal[0]?.from;
  const to = s.customer?.to ?? s.internal[0]?.to;
  return {
    providerCallId: s.providerCallId,
    direction: 'inbound',
    startedAt: s.startedAt,
    lastEventAt: s.lastEventAt,
    answeredAt: firstAnswer?.answeredAt ?? null,
    endedAt: s.endedAt,
    connectedEnd: connectedEnds.includes(null) ? null : Math.max(...(connectedEnds as number[])),
    holds: answered.flatMap((p) => p.holds),
    unansweredStatus: !firstAnswer && s.endedAt !== null ? inboundUnansweredStatus(s) : null,
    agent: firstAnswer ? s.agentRef(firstAnswer) : null,
    agents: distinctAgents(answered.map(s.agentRef)),
    offeredAgents: distinctAgents(candidates.map(s.agentRef)),
    queue: s.queueOf(queueParty),
    externalNumber: e164(from?.phoneNumber),
    trackingNumber: e164(to?.phoneNumber),
    recordingUrl: s.recordingUrl,
  };
}

/** The callee never answered: a busy or declining line, a call that could not go through, else missed. */
function outboundUnansweredStatus(reasons: readonly (string | null | undefined)[]): CallStatus {
  if (reasons.some((r) => r != null && BUSY_REASONS.has(r))) return 'busy';
  if (reasons.some((r) => r != null && FAILURE_REASONS.has(r))) return 'failed';
  return 'missed';
}

/**
 * Outbound: the agent is the extension party that placed the call; "answered" is the callee's
 * answer (the customer party), or the agent party's own Answered when the callee party is unseen.
 */
function outboundFacts(s: Session): WebhookFacts {
  const { customer } = s;
  const caller = s.internal.find((p) => p.direction === 'Outbound') ?? s.internal[0] ?? null;
  const answeredAt = customer ? customer.answeredAt : (caller?.answeredAt ?? null);
  const others = s.internal
    .filter((p) => p !== caller && p.answeredAt !== null)
    .sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0));
  const handlers = caller ? [caller, ...others] : others;
  return {
    providerCallId: s.providerCallId,
    direction: 'outbound',
    startedAt: s.startedAt,
    lastEventAt: s.lastEventAt,
    answeredAt,
    endedAt: s.endedAt,
    connectedEnd: customer?.endedAt ?? caller?.endedAt ?? s.endedAt,
    holds: handlers.flatMap((p) => p.holds),
    unansweredStatus:
      answeredAt === null && s.endedAt !== null ? outboundUnansweredStatus([customer?.endReason, caller?.endReason]) : null,
    agent: caller ? s.agentRef(caller) : null,
    agents: distinctAgents(handlers.map(s.agentRef)),
    offeredAgents: undefined,
    queue: null,
    externalNumber: e164(customer?.to.phoneNumber ?? caller?.to.phoneNumber),
    trackingNumber: e164(caller?.from.phoneNumber ?? customer?.from.phoneNumber),
    recordingUrl: s.recordingUrl,
  };
}

function webhookFacts(events: readonly PartyEventData[]): WebhookFacts | null {
  const session = sessionOf(events);
  if (!session) return null;
  return directionOf(session) === 'inbound' ? inboundFacts(session) : outboundFacts(session);
}

/** Turn fold facts into a draft; `fallback` (the call log) closes a call whose end we never saw. */
function draftFromWebhook(f: WebhookFacts, fallback: UnifiedCallDraft | null): UnifiedCallDraft {
  const closedByLog = f.endedAt === null && fallback?.endedAt != null && fallback.status !== 'in_progress';
  const endedAt = f.endedAt ?? (closedByLog && fallback?.endedAt ? Math.max(Date.parse(fallback.endedAt), f.lastEventAt) : null);
  const horizon = endedAt ?? f.lastEventAt;

  let status: CallStatus;
  if (endedAt === null) status = 'in_progress';
  else if (f.answeredAt !== null) status = 'answered';
  else status = closedByLog && fallback ? fallback.status : (f.unansweredStatus ?? 'missed');

  const answered = f.answeredAt !== null;
  const connectedEnd = f.connectedEnd ?? horizon;
  const holdMs = answered ? unionMs(f.holds, f.answeredAt ?? 0, connectedEnd) : 0;
  const holdSeconds = Math.round(holdMs / 1000);
  const connectedSeconds = answered ? secondsBetween(iso(f.answeredAt ?? 0), iso(connectedEnd)) : 0;

  return {
    providerCallId: f.providerCallId,
    direction: f.direction,
    status,
    externalNumber: f.externalNumber,
    trackingNumber: f.trackingNumber,
    startedAt: iso(f.startedAt),
    answeredAt: f.answeredAt !== null ? iso(f.answeredAt) : null,
    endedAt: endedAt !== null ? iso(endedAt) : null,
    waitSeconds: secondsBetween(iso(f.startedAt), iso(f.answeredAt ?? horizon)),
    talkSeconds: Math.max(0, connectedSeconds - holdSeconds),
    holdSeconds,
    afterCallWorkSeconds: null,
    agent: f.agent,
    agents: f.agents,
    ...(f.offeredAgents ? { offeredAgents: f.offeredAgents } : {}),
    queue: f.queue,
    tags: [],
    recordingUrl: f.recordingUrl,
    telephonyCost: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Call-log record (REST)
// ---------------------------------------------------------------------------------------------

function logStatus(log: LogEventData): CallStatus {
  const status = LOG_RESULT_STATUS[log.result] ?? 'failed';
  // "Missed" with reason "Hang Up": the caller hung up before the call was answered.
  if (log.direction === 'Inbound' && status === 'missed' && /^hang up$/i.test(log.reason ?? '')) return 'abandoned';
  // An outbound call nobody picked up is never "abandoned" (contract: abandoned is inbound only).
  if (log.direction === 'Outbound' && status === 'abandoned') return 'missed';
  // Inbound, "Rejected"/"Declined" is an agent declining the ring: the caller was not answered.
  if (log.direction === 'Inbound' && status === 'busy' && log.result !== 'Busy') return 'missed';
  return status;
}

const legEnd = (leg: LogLeg): number => Date.parse(leg.startTime) + leg.durationMs;

/**
 * The call log alone: agent legs start when they start ringing, so the answer time is
 * approximated by the agent leg's start (inbound) or the call's start (outbound); hold is unknown.
 */
/** Who handled a call-log record, and when the first agent leg began (inbound). */
interface LogHandling {
  answeredAt: number | null;
  connectedEnd: number | null;
  agents: AgentRef[];
  offeredAgents?: AgentRef[];
  queue: UnifiedCallDraft['queue'];
}

/**
 * Inbound: legs delegated to other extensions (or through a queue) are the agents' legs; the record's
 * target is the queue when a leg says `QueueForwarding`. Outbound: the extension that placed it.
 */
function logHandling(log: LogEventData, legs: readonly LogLeg[], status: CallStatus, ref: (id: string) => AgentRef): LogHandling {
  if (log.direction !== 'Inbound') {
    const caller = log.from.extensionId ?? log.extensionId;
    return { answeredAt: null, connectedEnd: null, agents: caller ? [ref(caller)] : [], queue: null };
  }
  const target = log.to.extensionId ?? log.extensionId;
  const delegated = legs.filter((l) => l.extensionId && (l.delegationType === 'QueueForwarding' || l.extensionId !== target));
  const queue =
    target && delegated.some((l) => l.delegationType === 'QueueForwarding') ? ref(target) : null;
  const agentLegs = delegated.filter((l) => ANSWERED_LOG_RESULTS.has(l.result));
  const offeredAgents = distinctAgents(delegated.map((l) => ref(l.extensionId ?? '')));
  if (status === 'answered' && agentLegs.length > 0) {
    return {
      answeredAt: Date.parse(agentLegs[0]?.startTime ?? log.startTime),
      connectedEnd: Math.max(...agentLegs.map(legEnd)),
      agents: distinctAgents(agentLegs.map((l) => ref(l.extensionId ?? ''))),
      offeredAgents,
      queue,
    };
  }
  // Rang one extension directly and it accepted (no leg tells when it answered).
  const agents = status === 'answered' && target ? [ref(target)] : [];
  return { answeredAt: null, connectedEnd: null, agents, offeredAgents, queue };
}

/**
 * The call log alone: agent legs start when they start ringing, so the answer time is
 * approximated by the agent leg's start (inbound) or the call's start (outbound); hold is unknown.
 */
function draftFromLog(log: LogEventData, callKey: string): UnifiedCallDraft {
  const status = logStatus(log);
  const startedAt = Date.parse(log.startTime);
  const endedAt = status === 'in_progress' ? null : startedAt + log.durationMs;
  const horizon = endedAt ?? startedAt + log.durationMs;
  const endpoints = [log.to, log.from, ...log.legs.flatMap((l) => [l.to, l.from])];
  const ref = (id: string): AgentRef => ({ id, name: nameOfExtension(id, endpoints) });
  const legs = log.legs
    .map((leg, index) => ({ leg, index }))
    .sort((a, b) => Date.parse(a.leg.startTime) - Date.parse(b.leg.startTime) || a.index - b.index)
    .map(({ leg }) => leg);
  const recordingUrl = log.recordingUrl ?? legs.find((l) => l.recordingUrl)?.recordingUrl ?? null;
  const { connectedEnd, agents, offeredAgents, queue, ...handling } = logHandling(log, legs, status, ref);
  let answeredAt = handling.answeredAt;
  // Accepted but no leg tells when: the call log counts ringing into the duration anyway.
  if (status === 'answered' && answeredAt === null) answeredAt = startedAt;

  const inbound = log.direction === 'Inbound';
  return {
    providerCallId: log.telephonySessionId ?? callKey,
    direction: inbound ? 'inbound' : 'outbound',
    status,
    externalNumber: e164(inbound ? log.from.phoneNumber : log.to.phoneNumber),
    trackingNumber: e164(inbound ? log.to.phoneNumber : log.from.phoneNumber),
    startedAt: iso(startedAt),
    answeredAt: answeredAt !== null ? iso(answeredAt) : null,
    endedAt: endedAt !== null ? iso(endedAt) : null,
    waitSeconds: secondsBetween(iso(startedAt), iso(answeredAt ?? horizon)),
    talkSeconds: answeredAt !== null ? secondsBetween(iso(answeredAt), iso(connectedEnd ?? horizon)) : 0,
    holdSeconds: null,
    afterCallWorkSeconds: null,
    agent: agents[0] ?? null,
    agents,
    ...(offeredAgents ? { offeredAgents } : {}),
    queue,
    tags: [],
    recordingUrl,
    telephonyCost: null,
  };
}

// ---------------------------------------------------------------------------------------------
// merge
// ---------------------------------------------------------------------------------------------

function withNames(refs: readonly AgentRef[], names: readonly AgentRef[]): AgentRef[] {
  return refs.map((r) => (r.name !== null ? r : { id: r.id, name: names.find((n) => n.id === r.id)?.name ?? null }));
}

/** Webhook facts win; the call log fills what the notifications left unknown. */
function fillFromLog(w: UnifiedCallDraft, log: UnifiedCallDraft): UnifiedCallDraft {
  const logNames = [...log.agents, ...(log.offeredAgents ?? [])];
  const agentFromLog = w.agent === null && (w.answeredAt !== null || w.direction === 'outbound');
  const agent = agentFromLog ? log.agent : w.agent;
  return {
    ...w,
    externalNumber: w.externalNumber ?? log.externalNumber,
    trackingNumber: w.trackingNumber ?? log.trackingNumber,
    agent: agent ? withNames([agent], logNames)[0] ?? agent : null,
    agents: withNames(w.agents.length > 0 || !agentFromLog ? w.agents : log.agents, logNames),
    ...(w.offeredAgents ? { offeredAgents: withNames(w.offeredAgents, logNames) } : {}),
    queue: w.queue ?? log.queue,
    // The log gives the recording's real content URI; the notification only its id.
    recordingUrl: log.recordingUrl ?? w.recordingUrl,
  };
}

const LOG_ORDER = Number.MAX_SAFE_INTEGER;

export function merge(events: CallEvent[]): UnifiedCallDraft | null {
  const parsed = events.flatMap((e) => {
    const data = eventDataSchema.safeParse(e.data);
    return data.success ? [{ ...e, parsed: data.data }] : [];
  });
  const ordered = uniqueSorted(parsed, (e) => (e.parsed.kind === 'party' ? e.parsed.sequence : LOG_ORDER));
  const first = ordered[0];
  if (!first) return null;

  const partyEvents = ordered.flatMap((e) => (e.parsed.kind === 'party' ? [e.parsed] : []));
  // Several versions of one record (re-imported after RingCentral updated it): the latest wins.
  let latestLog: LogEventData | null = null;
  for (const e of ordered) {
    if (e.parsed.kind !== 'log') continue;
    if (!latestLog || (e.parsed.lastModifiedTime ?? '') >= (latestLog.lastModifiedTime ?? '')) latestLog = e.parsed;
  }

  const logDraft = latestLog ? draftFromLog(latestLog, first.callKey) : null;
  const facts = webhookFacts(partyEvents);
  if (!facts) return logDraft;
  const webhookDraft = draftFromWebhook(facts, logDraft);
  return logDraft ? fillFromLog(webhookDraft, logDraft) : webhookDraft;
}
