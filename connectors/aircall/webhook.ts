/**
 * Aircall webhooks: `{ resource, event, timestamp, token, data }` JSON bodies.
 * https://developer.aircall.io/api-references/#webhooks
 *
 * Aircall does not sign its deliveries: the only proof of origin is the webhook's `token`, a
 * per-webhook secret copied into every body. It delivers at least once, in no guaranteed order,
 * and with no delivery id.
 */
import { z } from 'zod';
import { DeliveryShapeError } from '../contract.js';
import type { CallEvent, ParsedDelivery, PresenceEvent, StoredDelivery, VerifyResult, WebhookRequest } from '../contract.js';
import { bodyText, jsonBody } from '../shared/body.js';
import { constantTimeEqual } from '../shared/compare.js';
import { iso, sha256Hex, stableStringify } from '../shared/events.js';
import type { AircallCredentials } from './credentials.js';
import {
  aircallCallSchema,
  aircallSentimentSchema,
  aircallVoiceAgentSchema,
  callEventFromFacts,
  sentimentEvent,
  toCallFacts,
  USED_VOICE_AGENT_EVENTS,
  voiceAgentEvent,
} from './events.js';

export const envelopeSchema = z.object({
  resource: z.string().min(1).max(100),
  event: z.string().min(1).max(100),
  timestamp: z.union([z.number(), z.string().regex(/^\d{1,12}$/)]).transform((v) => Math.trunc(Number(v))),
  data: z.unknown(),
});

/**
 * Call events whose snapshot tells us something about the call. Anything else Aircall adds under
 * `call.*` (ivr_option_selected, comm_assets_generated, …) is acknowledged and ignored.
 */
export const USED_CALL_EVENTS = new Set([
  'call.created',
  'call.ringing_on_agent',
  'call.agent_declined',
  'call.answered',
  'call.hold',
  'call.unhold',
  'call.transferred',
  'call.unsuccessful_transfer',
  'call.hungup',
  'call.voicemail_left',
  'call.ended',
  'call.assigned',
  'call.archived',
  'call.tagged',
  'call.untagged',
  'call.commented',
]);

/**
 * Agent presence for occupancy. `connected`/`disconnected`: the agent logged in/out of the phone;
 * `opened`/`closed`: the agent became available/unavailable (status or working hours).
 */
const PRESENCE_EVENTS: Record<string, PresenceEvent['state']> = {
  'user.connected': 'available',
  'user.opened': 'available',
  'user.disconnected': 'unavailable',
  'user.closed': 'unavailable',
};

const userSchema = z.object({
  id: z.union([z.number().int(), z.string().min(1).max(64)]).transform(String),
  name: z.string().max(300).nullish(),
});

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function verify(req: WebhookRequest, creds: AircallCredentials): VerifyResult {
  // No token configured yet: nothing can prove a delivery comes from this account's webhook.
  if (!creds.webhookToken) return { ok: false, reason: 'no webhook token configured for this connection' };
  const body = jsonBody(req.rawBody)?.value;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, reason: 'body is not a JSON object' };
  }
  const token = (body as Record<string, unknown>).token;
  if (typeof token !== 'string' || token.length === 0) return { ok: false, reason: 'missing token' };
  if (!constantTimeEqual(token, creds.webhookToken)) return { ok: false, reason: 'token mismatch' };
  return { ok: true };
}

/**
 * The webhook token travels in every body: it is dropped before the delivery is stored. The text is
 * JSON.stringify of the body without `token`, written member by member (the same keys in the same
 * order, each value by JSON.stringify) rather than through a copy of the body without it.
 */
export function redact(req: WebhookRequest): string {
  // Verified before this, so the body is a JSON object.
  const body = jsonBody(req.rawBody)!.value as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(body)) {
    if (k === 'token') continue;
    const v = JSON.stringify(body[k]);
    if (v === undefined) continue;
    // out is '{' until the first member is written. The envelope has five members: no key cache.
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(k)}:${v}`;
  }
  return `${out}}`;
}

const TIMESTAMP_TEXT = /^\d{1,12}$/;
const shortText = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 100;

/**
 * What `envelopeSchema.safeParse` gives on success, or null: the same checks by hand, because the
 * dedupe key is computed on the accept path and zod's parse was a visible share of it.
 */
export function envelopeOf(body: unknown): { resource: string; event: string; timestamp: number; data: unknown } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (!shortText(b.resource) || !shortText(b.event)) return null;
  const t = b.timestamp;
  if (!((typeof t === 'number' && Number.isFinite(t)) || (typeof t === 'string' && TIMESTAMP_TEXT.test(t)))) return null;
  // zod 4 requires the key of a z.unknown() member: an envelope without `data` is not one.
  if (b.data === undefined) return null;
  return { resource: b.resource, event: b.event, timestamp: Math.trunc(Number(t)), data: b.data };
}

/**
 * Aircall has no delivery id. A re-delivery carries the same body, so event, resource id and
 * payload timestamp, plus a hash of the (key-order independent) body, identify it.
 */
export function dedupeKey(req: WebhookRequest): string {
  const body = jsonBody(req.rawBody)?.value;
  const envelope = envelopeOf(body);
  if (!envelope) return `aircall:raw:${sha256Hex(bodyText(req.rawBody)).slice(0, 32)}`;
  const { event, timestamp, data } = envelope;
  const id =
    data && typeof data === 'object' && 'id' in data ? String((data as { id: unknown }).id) : 'none';
  return `aircall:${event}:${id}:${timestamp}:${sha256Hex(stableStringify(body)).slice(0, 16)}`;
}

export function parse(delivery: StoredDelivery): ParsedDelivery {
  const body = parseJson(delivery.rawBody);
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) throw new DeliveryShapeError('not an Aircall webhook: expected { resource, event, timestamp, data }');
  const { resource, event, timestamp, data } = envelope.data;

  if (event === 'sentiment.created') {
    const sentiment = aircallSentimentSchema.safeParse(data);
    if (!sentiment.success) throw new DeliveryShapeError(`Aircall ${event}: data is not a Sentiment object (${sentiment.error.message})`);
    const callEvent = sentimentEvent(sentiment.data, timestamp);
    // No external participant with a known label: nothing to say about the customer.
    return { calls: callEvent ? [callEvent] : [], presence: [] };
  }

  if (resource === 'call') {
    if (!USED_CALL_EVENTS.has(event)) return { calls: [], presence: [] };
    const call = aircallCallSchema.safeParse(data);
    if (!call.success) throw new DeliveryShapeError(`Aircall ${event}: data is not a call object (${call.error.message})`);
    const calls: CallEvent[] = [callEventFromFacts(toCallFacts(call.data, 'webhook', event, timestamp))];
    return { calls, presence: [] };
  }

  if (resource === 'ai_voice_agent') {
    if (!USED_VOICE_AGENT_EVENTS.has(event)) return { calls: [], presence: [] };
    const agent = aircallVoiceAgentSchema.safeParse(data);
    const callEvent = agent.success ? voiceAgentEvent(agent.data, event, timestamp) : null;
    if (!callEvent) throw new DeliveryShapeError(`Aircall ${event}: data is not a Voice Agent object with a call_id`);
    return { calls: [callEvent], presence: [] };
  }

  const presenceState = resource === 'user' ? PRESENCE_EVENTS[event] : undefined;
  if (presenceState) {
    const user = userSchema.safeParse(data);
    if (!user.success) throw new DeliveryShapeError(`Aircall ${event}: data is not a user object`);
    return {
      calls: [],
      presence: [
        { agentId: user.data.id, agentName: user.data.name ?? null, state: presenceState, at: iso(timestamp * 1000) },
      ],
    };
  }

  // Numbers, contacts, messages, other user events: valid Aircall events we do not use.
  return { calls: [], presence: [] };
}
