/**
 * The Aircall call object (as webhooks and the REST API send it) and the compact "facts" we keep
 * of each snapshot as a CallEvent's `data`.
 *
 * Aircall sends the WHOLE call object with every call.* webhook and in every REST record, so each
 * event is a snapshot of the call at `timestamp`; `merge` folds snapshots, it never replays deltas.
 * Reference: https://developer.aircall.io/api-references/#call-overview
 */
import { z } from 'zod';
import type { AgentRef, CallEvent } from '../contract.js';
import { contentKey } from '../shared/events.js';
import { toE164 } from '../shared/phone.js';

/** Aircall ids are Int64 in JSON numbers; keep them as strings from the edge on. */
const idSchema = z.union([z.number().int(), z.string().min(1).max(64)]).transform(String);

/** Unix seconds; tolerate numeric strings. */
const unixSchema = z
  .union([z.number(), z.string().regex(/^\d{1,12}$/)])
  .transform((v) => Math.trunc(Number(v)));

const urlish = z.string().max(4000);

const userRefSchema = z.object({
  id: idSchema,
  name: z.string().max(300).nullish(),
});

const numberSchema = z.object({
  id: idSchema,
  name: z.string().max(300).nullish(),
  /** International format with spaces ("+1 650-555-0100"). */
  digits: z.string().max(64).nullish(),
  /** E.164, only in webhook payloads. */
  e164_digits: z.string().max(64).nullish(),
});

export const aircallCallSchema = z.object({
  id: idSchema,
  direction: z.enum(['inbound', 'outbound']),
  /** initial | answered | done */
  status: z.string().max(40).nullish(),
  started_at: unixSchema.nullish(),
  answered_at: unixSchema.nullish(),
  ended_at: unixSchema.nullish(),
  missed_call_reason: z.string().max(80).nullish(),
  hangup_cause: z.string().max(80).nullish(),
  /** Direct mp3 links, valid for one hour only. */
  recording: urlish.nullish(),
  voicemail: urlish.nullish(),
  /** Stable, access-controlled page holding the recording or the voicemail. */
  asset: urlish.nullish(),
  /** The customer's number, international format with spaces, or "anonymous". */
  raw_digits: z.string().max(64).nullish(),
  user: userRefSchema.nullish(),
  number: numberSchema.nullish(),
  teams: z.array(userRefSchema).max(100).nullish(),
  tags: z.array(z.object({ name: z.string().max(300) })).max(500).nullish(),
  // The API reference spells these "transfered_*"; accept both spellings.
  transferred_to: userRefSchema.nullish(),
  transfered_to: userRefSchema.nullish(),
  transferred_by: userRefSchema.nullish(),
  transfered_by: userRefSchema.nullish(),
  /** Telephony-provider id: `call_uuid` in webhooks, `sid` in REST. Informative only. */
  call_uuid: z.string().max(200).nullish(),
  sid: z.string().max(200).nullish(),
});
export type AircallCall = z.infer<typeof aircallCallSchema>;

const agentRefSchema = z.object({ id: z.string(), name: z.string().nullable() });
const lineSchema = z.object({ id: z.string(), name: z.string().nullable() });

/** What we keep of one snapshot. JSON only (stored as CallEvent.data, read back in merge). */
export const callFactsSchema = z.object({
  origin: z.enum(['webhook', 'rest']),
  /** The webhook event name, or "rest" for a REST record. */
  event: z.string(),
  /** Unix seconds the webhook payload was built at; null for REST records. */
  at: z.number().nullable(),
  callId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  status: z.string().nullable(),
  startedAt: z.number().nullable(),
  answeredAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  missedCallReason: z.string().nullable(),
  hangupCause: z.string().nullable(),
  recordingUrl: z.string().nullable(),
  voicemailUrl: z.string().nullable(),
  externalNumber: z.string().nullable(),
  trackingNumber: z.string().nullable(),
  line: lineSchema.nullable(),
  teams: z.array(lineSchema),
  user: agentRefSchema.nullable(),
  transferredBy: agentRefSchema.nullable(),
  transferredTo: agentRefSchema.nullable(),
  tags: z.array(z.string()),
});
export type CallFacts = z.infer<typeof callFactsSchema>;

function agentRef(user: { id: string; name?: string | null | undefined } | null | undefined): AgentRef | null {
  return user ? { id: user.id, name: user.name ?? null } : null;
}

/**
 * Prefer the stable `asset` page over the direct mp3 link: Aircall's direct links expire after one
 * hour, so a stored direct link is dead by the time anyone opens it.
 */
function mediaUrl(direct: string | null | undefined, asset: string | null | undefined): string | null {
  if (!direct) return null;
  return asset || direct;
}

export function toCallFacts(
  call: AircallCall,
  origin: CallFacts['origin'],
  event: string,
  at: number | null,
): CallFacts {
  const number = call.number ?? null;
  return {
    origin,
    event,
    at,
    callId: call.id,
    direction: call.direction,
    status: call.status ?? null,
    startedAt: call.started_at ?? null,
    answeredAt: call.answered_at ?? null,
    endedAt: call.ended_at ?? null,
    missedCallReason: call.missed_call_reason ?? null,
    hangupCause: call.hangup_cause ?? null,
    recordingUrl: mediaUrl(call.recording, call.asset),
    voicemailUrl: mediaUrl(call.voicemail, call.asset),
    // raw_digits is "+1 415-555-0123" (spaces) or "anonymous" (toE164 → null).
    externalNumber: toE164(call.raw_digits),
    trackingNumber: toE164(number?.e164_digits) ?? toE164(number?.digits),
    line: number ? { id: number.id, name: number.name ?? null } : null,
    teams: (call.teams ?? []).map((t) => ({ id: t.id, name: t.name ?? null })),
    user: agentRef(call.user),
    transferredBy: agentRef(call.transferred_by ?? call.transfered_by),
    transferredTo: agentRef(call.transferred_to ?? call.transfered_to),
    tags: (call.tags ?? []).map((t) => t.name),
  };
}

/**
 * One CallEvent per snapshot. The key hashes the whole snapshot, so the same delivery received
 * twice (Aircall delivers at least once) gets the same key, and two different snapshots never
 * share one (which keeps `merge` independent of which duplicate was stored first).
 */
export function callEventFromFacts(facts: CallFacts): CallEvent {
  const source = facts.origin;
  return {
    callKey: facts.callId,
    key: contentKey(`${source}:${facts.event}:${facts.at ?? 'final'}`, facts),
    source,
    data: facts as unknown as Record<string, unknown>,
  };
}

/**
 * The Voice Agent object of `ai_voice_agent.*` webhooks (AIVA, Aircall's AI voice agent answering
 * calls): https://developer.aircall.io/docs/log-voice-agent-calls. `call_id` (the same value as
 * `id`) is the call it took; `call_end_reason` (on `ai_voice_agent.ended`) is `answered`,
 * `escalated`, `disconnected` or `caller_hung_up`; `ai_voice_agent.escalated` says it handed the
 * caller to a human.
 */
export const aircallVoiceAgentSchema = z.object({
  id: idSchema.nullish(),
  call_id: idSchema.nullish(),
  ai_voice_agent_id: z.string().max(200).nullish(),
  ai_voice_agent_name: z.string().max(300).nullish(),
  ai_voice_agent_session_id: z.string().max(200).nullish(),
  call_end_reason: z.string().max(80).nullish(),
  escalation_reason: z.string().max(500).nullish(),
});

/** The AIVA events that say who took a call; `ai_voice_agent.summary` (intake answers) does not. */
export const USED_VOICE_AGENT_EVENTS = new Set(['ai_voice_agent.started', 'ai_voice_agent.ended', 'ai_voice_agent.escalated']);

/** What we keep of one AIVA event (a CallEvent's `data`, next to the call snapshots). */
export const voiceAgentFactsSchema = z.object({
  kind: z.literal('ai_voice_agent'),
  event: z.string(),
  /** Unix seconds the webhook payload was built at. */
  at: z.number(),
  callId: z.string(),
  agentId: z.string().nullable(),
  agentName: z.string().nullable(),
  sessionId: z.string().nullable(),
  endReason: z.string().nullable(),
  escalationReason: z.string().nullable(),
});
export type VoiceAgentFacts = z.infer<typeof voiceAgentFactsSchema>;

export function voiceAgentEvent(agent: z.infer<typeof aircallVoiceAgentSchema>, event: string, at: number): CallEvent | null {
  const callId = agent.call_id ?? agent.id;
  if (!callId) return null;
  const facts: VoiceAgentFacts = {
    kind: 'ai_voice_agent',
    event,
    at,
    callId,
    agentId: agent.ai_voice_agent_id ?? null,
    agentName: agent.ai_voice_agent_name ?? null,
    sessionId: agent.ai_voice_agent_session_id ?? null,
    endReason: agent.call_end_reason ?? null,
    escalationReason: agent.escalation_reason ?? null,
  };
  return { callKey: callId, key: contentKey(`aiva:${event}:${at}`, facts), source: 'webhook', data: facts };
}

/**
 * The Sentiment object of `sentiment.created` (Aircall AI, "Call Transcripts and Insights":
 * developer.aircall.io/docs/log-transcriptions): the overall mood of each external participant of a
 * call, `participants: [{ phone_number, value: POSITIVE | NEUTRAL | NEGATIVE, type }]`. Aircall gives
 * a label, no score. `call_id` names the call (`id` as fallback, as on Voice Agent objects).
 */
export const aircallSentimentSchema = z.object({
  id: idSchema.nullish(),
  call_id: idSchema.nullish(),
  participants: z
    .array(
      z.object({
        phone_number: z.string().max(64).nullish(),
        value: z.string().max(40),
        type: z.string().max(40).nullish(),
      }),
    )
    .max(50),
});

export const sentimentFactsSchema = z.object({
  kind: z.literal('sentiment'),
  /** Unix seconds the webhook payload was built at. */
  at: z.number(),
  callId: z.string(),
  label: z.enum(['positive', 'neutral', 'negative']),
});
export type SentimentFacts = z.infer<typeof sentimentFactsSchema>;

/** The customer's (first external participant's) sentiment as a CallEvent; null without a usable one. */
export function sentimentEvent(s: z.infer<typeof aircallSentimentSchema>, at: number): CallEvent | null {
  const callId = s.call_id ?? s.id;
  if (!callId) return null;
  const external = s.participants.find((p) => (p.type ?? 'external').toLowerCase() === 'external');
  const label = external?.value.toLowerCase();
  if (label !== 'positive' && label !== 'neutral' && label !== 'negative') return null;
  const facts: SentimentFacts = { kind: 'sentiment', at, callId, label };
  return { callKey: callId, key: contentKey(`sentiment:${at}`, facts), source: 'webhook', data: facts };
}
