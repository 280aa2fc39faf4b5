/**
 * Every snapshot of one Aircall call (webhooks and REST records) → one unified call.
 *
 * Pure fold over `uniqueSorted` events, so any permutation with any duplicates gives the same
 * draft. Rules:
 * - The terminal snapshot wins for the call's state: `call.ended` (sent ~30 s after hang-up, with
 *   the recording), then a final REST record, then any other snapshot taken after hang-up. Stale
 *   snapshots (a late re-delivery of `call.answered`) can therefore never move the call back.
 * - Fields the winning snapshot lacks are filled from the others, in the same priority order.
 * - Hold comes from `call.hold` / `call.unhold` pairs (webhooks only: REST has no hold fields).
 * - Agents, offered agents and transfers come from the webhook sequence; REST fills in.
 * - Tags: Aircall keeps changing a call for about a day after it ends (tags, comments), so tags
 *   come from the latest webhook snapshot (which reflects `call.untagged` too) plus REST records.
 */
import type { AgentRef, AutomationRef, CallEvent, CallStatus, SentimentRef, UnifiedCallDraft } from '../contract.js';
import { iso, secondsBetween, uniqueSorted } from '../shared/events.js';
import { callFactsSchema, sentimentFactsSchema, voiceAgentFactsSchema, type CallFacts, type SentimentFacts, type VoiceAgentFacts } from './events.js';

type Snapshot = CallEvent & { facts: CallFacts };

/** Order of events built in the same second (Aircall timestamps are whole seconds). */
const EVENT_RANK: Record<string, number> = {
  'call.created': 0,
  'call.ringing_on_agent': 1,
  'call.agent_declined': 2,
  'call.answered': 3,
  'call.hold': 4,
  'call.unhold': 5,
  'call.transferred': 6,
  'call.unsuccessful_transfer': 7,
  'call.hungup': 8,
  'call.voicemail_left': 9,
  'call.ended': 10,
};
const LATE_RANK = 20; // tagged, commented, assigned, archived…

function orderOf(s: Snapshot): number {
  // REST records carry no event time: they sort after every webhook (ties broken by key).
  if (s.facts.at === null) return Number.MAX_SAFE_INTEGER;
  return s.facts.at * 100 + (EVENT_RANK[s.facts.event] ?? LATE_RANK);
}

function isFinal(f: CallFacts): boolean {
  return f.endedAt !== null || f.status === 'done';
}

/** Best snapshot first: call.ended, final REST, other final webhooks, then the rest, latest first. */
function byPriority(sorted: readonly Snapshot[]): Snapshot[] {
  const tier = (s: Snapshot): number => {
    const f = s.facts;
    if (f.origin === 'webhook' && f.event === 'call.ended') return 0;
    if (f.origin === 'rest' && isFinal(f)) return 1;
    if (f.origin === 'webhook' && isFinal(f)) return 2;
    if (f.origin === 'webhook') return 3;
    return 4;
  };
  const indexed = sorted.map((s, i) => ({ s, i, t: tier(s) }));
  // Within a tier the latest (highest sorted index) comes first.
  indexed.sort((a, b) => a.t - b.t || b.i - a.i);
  return indexed.map((x) => x.s);
}

/**
 * Once a webhook showed the call over, a later snapshot that still shows it live is stale (Aircall
 * rebuilt an old event late): drop it. Final snapshots after the end (tags, comments) are kept.
 */
function withoutStale(sorted: readonly Snapshot[]): Snapshot[] {
  const firstEnd = sorted.find((s) => s.facts.origin === 'webhook' && isFinal(s.facts));
  if (!firstEnd) return [...sorted];
  const endOrder = orderOf(firstEnd);
  return sorted.filter((s) => s.facts.origin === 'rest' || isFinal(s.facts) || orderOf(s) <= endOrder);
}

function firstNonNull<T>(ranked: readonly Snapshot[], get: (f: CallFacts) => T | null): T | null {
  for (const s of ranked) {
    const v = get(s.facts);
    if (v !== null) return v;
  }
  return null;
}

/**
 * Inbound calls nobody answered, by Aircall's `missed_call_reason`
 * (https://developer.aircall.io/api-references/#call-overview). The caller hung up → abandoned;
 * Aircall gave up on the caller → missed. Unknown or absent reasons count as missed.
 */
const INBOUND_UNANSWERED_STATUS: Record<string, CallStatus> = {
  short_abandoned: 'abandoned',
  abandoned_in_ivr: 'abandoned',
  abandoned_in_classic: 'abandoned',
  out_of_opening_hours: 'missed',
  no_available_agent: 'missed',
  agents_did_not_answer: 'missed',
};

/**
 * Outbound calls the customer did not answer. Aircall does not document `hangup_cause` values, so
 * this reads them loosely: busy → busy; a network/number failure → failed; anything else → missed.
 */
export function outboundUnansweredStatus(hangupCause: string | null): CallStatus {
  const cause = (hangupCause ?? '').toLowerCase();
  if (cause.includes('busy')) return 'busy';
  if (/fail|error|invalid|unallocated|unreachable|congestion|reject|not_found/.test(cause)) return 'failed';
  return 'missed';
}

function statusOf(f: {
  ended: boolean;
  voicemail: boolean;
  answered: boolean;
  direction: 'inbound' | 'outbound';
  missedCallReason: string | null;
  hangupCause: string | null;
}): CallStatus {
  if (!f.ended) return 'in_progress';
  if (f.voicemail) return 'voicemail';
  if (f.answered) return 'answered';
  if (f.direction === 'outbound') return outboundUnansweredStatus(f.hangupCause);
  return (f.missedCallReason && INBOUND_UNANSWERED_STATUS[f.missedCallReason]) || 'missed';
}

/** Seconds on hold from hold/unhold pairs, clipped to [from, to]. A hold still open ends at `to`. */
function holdSeconds(webhooks: readonly Snapshot[], from: number, to: number): number {
  let total = 0;
  let heldSince: number | null = null;
  const close = (at: number) => {
    if (heldSince === null) return;
    total += Math.max(0, Math.min(at, to) - Math.max(heldSince, from));
    heldSince = null;
  };
  for (const s of webhooks) {
    const at = s.facts.at;
    if (at === null) continue;
    if (s.facts.event === 'call.hold' && heldSince === null) heldSince = at;
    else if (s.facts.event === 'call.unhold') close(at);
  }
  close(to);
  return total;
}

class AgentList {
  private readonly byId = new Map<string, AgentRef>();
  add(agent: AgentRef | null): void {
    if (agent && !this.byId.has(agent.id)) this.byId.set(agent.id, agent);
  }
  list(): AgentRef[] {
    return [...this.byId.values()];
  }
}

/**
 * Everyone who handled the call, in order. Webhooks: the `user` of every snapshot taken after the
 * answer (ringing/declining is not handling), and both parties of each `call.transferred`. REST
 * records (final state only) add their transfer parties and user.
 */
function handlingAgents(sorted: readonly Snapshot[], placedBy: AgentRef | null): AgentRef[] {
  const agents = new AgentList();
  agents.add(placedBy);
  for (const { facts: f } of sorted) {
    if (f.event === 'call.ringing_on_agent' || f.event === 'call.agent_declined') continue;
    if (f.event === 'call.transferred' || f.origin === 'rest') {
      agents.add(f.transferredBy);
      if (f.answeredAt !== null) agents.add(f.user);
      agents.add(f.transferredTo);
    } else if (f.answeredAt !== null) {
      agents.add(f.user);
    }
  }
  return agents.list();
}

/** Agents the call rang on, in ringing order (same-second rings ordered by user id). */
function offeredAgents(webhooks: readonly Snapshot[]): AgentRef[] {
  const rings = webhooks
    .filter((s) => s.facts.event === 'call.ringing_on_agent' && s.facts.user !== null)
    .map((s) => ({ at: s.facts.at ?? 0, user: s.facts.user as AgentRef }))
    .sort((a, b) => a.at - b.at || a.user.id.localeCompare(b.user.id, 'en', { numeric: true }));
  const agents = new AgentList();
  for (const r of rings) agents.add(r.user);
  return agents.list();
}

function tagsOf(webhooks: readonly Snapshot[], rests: readonly Snapshot[]): string[] {
  const latestWebhook = webhooks.at(-1);
  const tags = new Set<string>(latestWebhook?.facts.tags ?? []);
  for (const r of rests) for (const t of r.facts.tags) tags.add(t);
  return [...tags];
}

const AIVA_ORDER = ['ai_voice_agent.started', 'ai_voice_agent.escalated', 'ai_voice_agent.ended'];
const AIVA_RANK = (f: VoiceAgentFacts): number => AIVA_ORDER.indexOf(f.event);

/**
 * Aircall's AI voice agent (AIVA) took the call: its own events say so, and whether it handed the
 * caller to a human (`ai_voice_agent.escalated`, or `call_end_reason: escalated`).
 */
function voiceAgentOf(events: readonly VoiceAgentFacts[]): AutomationRef | null {
  if (events.length === 0) return null;
  const escalated = events.some((e) => e.event === 'ai_voice_agent.escalated' || e.endReason === 'escalated');
  const ended = events.find((e) => e.event === 'ai_voice_agent.ended');
  const last = ended ?? events[events.length - 1]!;
  const reason = last.endReason ?? last.escalationReason;
  return {
    id: events.find((e) => e.agentId)?.agentId ?? null,
    name: events.find((e) => e.agentName)?.agentName ?? null,
    escalated,
    evidence: `aircall ${last.event}${reason ? ` (${reason})` : ''}`,
  };
}

/** A human agent answered: a snapshot after the answer names a user (AIVA is never a user). */
function humanAnswered(sorted: readonly Snapshot[]): boolean {
  return handlingAgents(sorted, null).length > 0;
}

/** The snapshots of one call, read in the orders the rules above need. */
interface Snapshots {
  sorted: Snapshot[];
  webhooks: Snapshot[];
  rests: Snapshot[];
  /** The first snapshot (in priority order) that knows a field. */
  pick: <T>(get: (f: CallFacts) => T | null) => T | null;
  best: CallFacts;
  /** AIVA events of the call, in time order. */
  voiceAgent: VoiceAgentFacts[];
  /** Aircall AI's latest sentiment of the customer (a label; Aircall gives no score). */
  sentiment: SentimentRef | null;
}

function snapshotsOf(events: CallEvent[]): Snapshots | null {
  const snapshots: Snapshot[] = [];
  const voiceAgent = new Map<string, VoiceAgentFacts>();
  let sentiment: { key: string; facts: SentimentFacts } | null = null;
  for (const e of events) {
    const felt = sentimentFactsSchema.safeParse(e.data);
    // The latest analysis wins (ties: the greater key, so any order gives the same one).
    if (felt.success && (!sentiment || felt.data.at > sentiment.facts.at || (felt.data.at === sentiment.facts.at && e.key > sentiment.key))) {
      sentiment = { key: e.key, facts: felt.data };
    }
    const facts = callFactsSchema.safeParse(e.data);
    if (facts.success) snapshots.push({ ...e, facts: facts.data });
    const aiva = voiceAgentFactsSchema.safeParse(e.data);
    if (aiva.success) voiceAgent.set(e.key, aiva.data);
  }
  if (snapshots.length === 0) return null;
  const sorted = withoutStale(uniqueSorted(snapshots, orderOf));
  const ranked = byPriority(sorted);
  return {
    sorted,
    webhooks: sorted.filter((s) => s.facts.origin === 'webhook'),
    rests: sorted.filter((s) => s.facts.origin === 'rest'),
    pick: (get) => firstNonNull(ranked, get),
    best: (ranked[0] as Snapshot).facts,
    voiceAgent: [...voiceAgent.entries()]
      .sort(([ka, a], [kb, b]) => a.at - b.at || AIVA_RANK(a) - AIVA_RANK(b) || (ka < kb ? -1 : 1))
      .map(([, f]) => f),
    sentiment: sentiment ? { label: sentiment.facts.label, score: null, source: 'aircall sentiment.created' } : null,
  };
}

/** Unix seconds of the call's start, answer and end; `endRef` is the end or, live, the last event. */
interface Timeline {
  ended: boolean;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endRef: number;
  voicemailUrl: string | null;
  voicemail: boolean;
}

function timelineOf({ sorted, webhooks, pick }: Snapshots): Timeline | null {
  // started_at is the same in every snapshot; the first payload time stands in if it is missing.
  const startCandidates = sorted.map((s) => s.facts.startedAt).filter((v): v is number => v !== null);
  if (startCandidates.length === 0) startCandidates.push(...webhooks.map((s) => s.facts.at ?? Infinity));
  const startedAt = Math.min(...startCandidates);
  if (!Number.isFinite(startedAt)) return null;
  const ended = sorted.some((s) => isFinal(s.facts));
  const endedAt = ended ? pick((f) => f.endedAt) : null;
  const voicemailUrl = pick((f) => f.voicemailUrl);
  const voicemail = voicemailUrl !== null || webhooks.some((s) => s.facts.event === 'call.voicemail_left');
  return {
    ended,
    startedAt,
    // A voicemail is not an answer by an agent: its time counts as waiting.
    answeredAt: voicemail ? null : pick((f) => f.answeredAt),
    endedAt,
    endRef: endedAt ?? Math.max(startedAt, ...webhooks.map((s) => s.facts.at ?? 0)),
    voicemailUrl,
    voicemail,
  };
}

export function merge(events: CallEvent[]): UnifiedCallDraft | null {
  const snapshots = snapshotsOf(events);
  if (!snapshots) return null;
  const { sorted, webhooks, rests, pick, best } = snapshots;
  const timeline = timelineOf(snapshots);
  if (!timeline) return null;
  const direction = best.direction;
  // A call AIVA took counts as answered only when a human answered it too: AIVA's own pick-up is
  // the automation's, not an agent's. Taken and ended without escalating: self-served.
  const bot = direction === 'inbound' ? voiceAgentOf(snapshots.voiceAgent) : null;
  const botOnly = bot !== null && !humanAnswered(sorted);
  const t = botOnly ? { ...timeline, answeredAt: null } : timeline;
  const status =
    botOnly && t.ended && !t.voicemail && !bot.escalated
      ? 'self_served'
      : statusOf({
          ended: t.ended,
          voicemail: t.voicemail,
          answered: t.answeredAt !== null,
          direction,
          missedCallReason: pick((f) => f.missedCallReason),
          hangupCause: pick((f) => f.hangupCause),
        });

  // Hold is only known through webhooks; a REST-only call has no hold data at all.
  const hold = webhooks.length === 0 ? null : t.answeredAt === null ? 0 : holdSeconds(webhooks, t.answeredAt, t.endRef);
  const startedAt = iso(t.startedAt * 1000);
  const answeredAt = t.answeredAt === null ? null : iso(t.answeredAt * 1000);
  const endRef = iso(t.endRef * 1000);
  const talk = answeredAt === null ? 0 : Math.max(0, secondsBetween(answeredAt, endRef) - (hold ?? 0));

  // Outbound: the agent who placed the call (already on call.created). Inbound: the first answerer.
  const placedBy = direction === 'outbound' ? firstNonNull(sorted, (f) => f.user ?? f.transferredBy) : null;
  const agents = direction === 'outbound' || t.answeredAt !== null ? handlingAgents(sorted, placedBy) : [];

  const line = pick((f) => f.line);

  return {
    providerCallId: best.callId,
    direction,
    status,
    externalNumber: pick((f) => f.externalNumber),
    trackingNumber: pick((f) => f.trackingNumber),
    startedAt,
    answeredAt,
    endedAt: t.endedAt === null ? null : iso(t.endedAt * 1000),
    waitSeconds: secondsBetween(startedAt, answeredAt ?? endRef),
    talkSeconds: talk,
    holdSeconds: hold,
    // Aircall reports wrap-up per user (user.wut_start/end), not per call.
    afterCallWorkSeconds: null,
    agent: agents[0] ?? null,
    agents,
    offeredAgents: offeredAgents(webhooks),
    // The Aircall number the call came in on / went out from; teams vary per call and are often empty.
    queue: line,
    tags: tagsOf(webhooks, rests),
    recordingUrl: pick((f) => f.recordingUrl) ?? t.voicemailUrl,
    // Aircall's `cost` is a deprecated legacy field (US cents, "0.0" in practice): not a price.
    telephonyCost: null,
    ...(bot ? { automation: bot } : {}),
    ...(snapshots.sentiment ? { sentiment: snapshots.sentiment } : {}),
  };
}
