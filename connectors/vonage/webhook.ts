/**
 * Vonage Voice API event webhooks: verification, identity and parsing.
 *
 * Signed webhooks (https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks):
 * `Authorization: Bearer <JWT>` signed HS256 with the account's signature secret; the claims hold
 * `iat`, `jti`, `api_key`, `application_id` and `payload_hash` (SHA-256 hex of the raw body). The
 * SDK's `verifySignature` checks only the signature, so the body hash and freshness are checked here.
 * The HS256 signature itself is checked with node:crypto: `@vonage/jwt` goes through jsonwebtoken,
 * which first tries the secret as a public key and throws on every call — a third of the CPU of a
 * webhook in the ingest benchmark. The tests still cross-check against the SDK's verifier.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DeliveryShapeError } from '../contract.js';
import type { CallEvent, ConnectorContext, ParsedDelivery, StoredDelivery, VerifyResult, WebhookRequest } from '../contract.js';
import { bodySha256Hex } from '../shared/body.js';
import { toE164 } from '../shared/phone.js';
import { VONAGE_DEFAULT_MAX_AGE_SECONDS, type VonageCredentials } from './credentials.js';
import type { Endpoint, LegFact, RecordingFact, TransferFact } from './events.js';

/** A signature made a little "in the future" is accepted: Vonage's clock and ours drift. */
const ALLOWED_CLOCK_SKEW_SECONDS = 60;

/* ------------------------------------------------------------------------------------------------
 * verify
 * ---------------------------------------------------------------------------------------------- */

interface JwtClaims {
  iat: number;
  payload_hash: string;
  api_key?: string;
  application_id?: string;
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** The claims Vonage's webhooks carry, checked by hand (no zod on the accept path); null when any is missing or of the wrong type. */
function jwtClaims(value: unknown): JwtClaims | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const c = value as Record<string, unknown>;
  if (typeof c.iat !== 'number' || !Number.isFinite(c.iat)) return null;
  if (typeof c.payload_hash !== 'string' || !HEX_SHA256.test(c.payload_hash)) return null;
  if (c.api_key !== undefined && typeof c.api_key !== 'string') return null;
  if (c.application_id !== undefined && typeof c.application_id !== 'string') return null;
  return c as unknown as JwtClaims;
}

function decodeJwtPart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

const reject = (reason: string): VerifyResult => ({ ok: false, reason });

/** HMAC-SHA256 over `header.claims` (RFC 7515), compared in constant time. */
function hs256Valid(header: string, claims: string, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(`${header}.${claims}`).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function verify(req: WebhookRequest, creds: VonageCredentials, ctx: ConnectorContext): VerifyResult {
  // The answer_url request (GET, unsigned on many accounts) and anything else without a token
  // lands here: without a signature nothing proves it comes from Vonage.
  const authorization = req.headers['authorization'];
  if (!authorization) return reject('missing Authorization header');
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  const token = bearer?.[1];
  if (!token) return reject('Authorization is not a Bearer token');
  const [headerPart, claimsPart, signaturePart] = token.split('.');
  if (!headerPart || !claimsPart || !signaturePart) return reject('malformed JWT');

  // verifySignature accepts RS256 too; Vonage signs webhooks with HS256 only.
  const header = decodeJwtPart(headerPart);
  if (typeof header !== 'object' || header === null || (header as { alg?: unknown }).alg !== 'HS256') return reject('JWT is not HS256');
  if (!hs256Valid(headerPart, claimsPart, signaturePart, creds.signatureSecret)) return reject('JWT signature does not match');

  const claims = jwtClaims(decodeJwtPart(claimsPart));
  if (!claims) return reject('JWT claims lack iat or payload_hash');
  // Both are 64 hex digits here (checked above; a SHA-256 hex digest).
  if (!timingSafeEqual(Buffer.from(claims.payload_hash.toLowerCase(), 'latin1'), Buffer.from(bodySha256Hex(req.rawBody), 'latin1'))) {
    return reject('payload_hash does not match the body');
  }

  const nowSeconds = ctx.now().getTime() / 1000;
  const maxAge = creds.webhookMaxAgeSeconds ?? VONAGE_DEFAULT_MAX_AGE_SECONDS;
  if (claims.iat < nowSeconds - maxAge) return reject(`JWT is older than ${maxAge} s (iat)`);
  if (claims.iat > nowSeconds + ALLOWED_CLOCK_SKEW_SECONDS) return reject('JWT iat is in the future');

  // One signature secret serves every application of the account: the claims say which one signed.
  if (claims.api_key !== undefined && claims.api_key !== creds.apiKey) {
    return reject('JWT api_key is not this connection\'s account');
  }
  if (claims.application_id !== undefined && claims.application_id !== creds.applicationId) {
    return reject('JWT application_id is not this connection\'s application');
  }
  return { ok: true };
}

/** Vonage sends no delivery id; a re-delivery of the same event carries the same body. */
export function dedupeKey(req: WebhookRequest): string {
  return `vonage:${bodySha256Hex(req.rawBody)}`;
}

/* ------------------------------------------------------------------------------------------------
 * parse
 * ---------------------------------------------------------------------------------------------- */

const isoInstant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 instant');
/** `price` (like `duration` and `rate`) is a string in Vonage payloads; accept a number too. */
const decimalString = z.union([z.string(), z.number()]).transform((v) => String(v).trim());

/**
 * A leg status event (https://developer.vonage.com/en/voice/voice-api/webhook-reference#event-webhook).
 * Machine-detection results arrive with status `human`/`machine` and, for advanced detection,
 * `call_uuid` instead of `uuid`.
 */
const statusEventSchema = z.object({
  conversation_uuid: z.string().min(1),
  uuid: z.string().min(1).optional(),
  call_uuid: z.string().min(1).optional(),
  status: z.string().min(1),
  timestamp: isoInstant,
  direction: z.string().nullish(),
  from: z.string().nullish(),
  to: z.string().nullish(),
  start_time: isoInstant.nullish(),
  end_time: isoInstant.nullish(),
  price: decimalString.nullish(),
  disconnected_by: z.string().nullish(),
});

/** The `record` event: a recording is ready (`record` NCCO action or `record: true` on a call). */
const recordEventSchema = z.object({
  conversation_uuid: z.string().min(1),
  recording_url: z.string().min(1),
  recording_uuid: z.string().min(1),
  end_time: isoInstant.nullish(),
  timestamp: isoInstant.nullish(),
});

/**
 * The `transfer` event: a leg moved into another conversation (an NCCO `connect` after
 * `PUT /v1/calls/{uuid}` with action `transfer`, a named `conversation`, a Client SDK transfer).
 * https://developer.vonage.com/en/voice/voice-api/webhook-reference#transfer
 */
const transferEventSchema = z.object({
  conversation_uuid_from: z.string().min(1),
  conversation_uuid_to: z.string().min(1),
  uuid: z.string().min(1),
  timestamp: isoInstant,
});

/** Anything Vonage posts to the event_url is about a conversation or a leg. */
const vonageBodySchema = z.looseObject({
  conversation_uuid: z.string().min(1).optional(),
  uuid: z.string().min(1).optional(),
});

const withheldNumbers = /^(|anonymous|unknown|private|withheld|restricted|unavailable)$/i;

/**
 * A webhook `from`/`to` (a plain string) → an endpoint. Numbers are international without "+"
 * ("14155550123"); app users are their user name; SIP and WebSocket endpoints are URIs.
 */
export function endpointFromWebhook(raw: string | null | undefined): Endpoint | null {
  if (raw === null || raw === undefined) return null;
  const value = raw.trim();
  if (withheldNumbers.test(value)) return { type: 'withheld', id: null };
  if (/^sips?:/i.test(value)) return { type: 'sip', id: value };
  if (/^wss?:/i.test(value)) return { type: 'websocket', id: value };
  if (/^\+?[\d\s().-]{6,20}$/.test(value)) {
    return { type: 'phone', id: toE164(value, { internationalWithoutPlus: true }) ?? value };
  }
  return { type: 'app', id: value };
}

function isoOrNull(value: string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}

function directionOf(value: string | null | undefined): LegFact['direction'] {
  return value === 'inbound' || value === 'outbound' ? value : null;
}

function parseJson(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new DeliveryShapeError('Vonage events are JSON; the body is not');
  }
}

function recordingEvent(raw: unknown): CallEvent {
  const record = recordEventSchema.safeParse(raw);
  if (!record.success) throw new DeliveryShapeError(`Vonage record event: ${record.error.message}`);
  const fact: RecordingFact = {
    kind: 'recording',
    recordingId: record.data.recording_uuid,
    url: record.data.recording_url,
    at: isoOrNull(record.data.end_time ?? record.data.timestamp),
  };
  return { callKey: record.data.conversation_uuid, key: `recording:${record.data.recording_uuid}`, source: 'webhook', data: fact };
}

function statusEvent(raw: unknown, delivery: StoredDelivery, currency: string | null): CallEvent {
  const status = statusEventSchema.safeParse(raw);
  if (!status.success) throw new DeliveryShapeError(`Vonage status event: ${status.error.message}`);
  const e = status.data;
  const legId = e.uuid ?? e.call_uuid;
  if (!legId) throw new DeliveryShapeError('Vonage status event without uuid');
  const at = new Date(e.timestamp).toISOString();
  const fact: LegFact = {
    kind: 'leg',
    legId,
    status: e.status.toLowerCase(),
    at,
    direction: directionOf(e.direction),
    from: endpointFromWebhook(e.from),
    to: endpointFromWebhook(e.to),
    startTime: isoOrNull(e.start_time),
    endTime: isoOrNull(e.end_time),
    price: e.price ? e.price : null,
    disconnectedBy: e.disconnected_by ?? null,
    // The hub puts the agent in the event_url it gives Vonage when it creates a call.
    agentHint: delivery.query['agent'] || null,
    currency,
    conversationId: e.conversation_uuid,
  };
  // One status per leg per instant: a re-delivery (same body) gets the same key.
  return { callKey: e.conversation_uuid, key: `webhook:${legId}:${fact.status}:${at}`, source: 'webhook', data: fact };
}

/**
 * A transfer keeps the customer call one call although its legs now live in two conversations:
 * the fact is kept with the conversation the leg left, and `callLinks` asks the hub to file the
 * other conversation's events under it too.
 */
function transferDelivery(raw: unknown): ParsedDelivery {
  const transfer = transferEventSchema.safeParse(raw);
  if (!transfer.success) throw new DeliveryShapeError(`Vonage transfer event: ${transfer.error.message}`);
  const t = transfer.data;
  const fact: TransferFact = {
    kind: 'transfer',
    legId: t.uuid,
    from: t.conversation_uuid_from,
    to: t.conversation_uuid_to,
    at: new Date(t.timestamp).toISOString(),
  };
  const event: CallEvent = { callKey: fact.from, key: `transfer:${fact.legId}:${fact.to}`, source: 'webhook', data: fact };
  return { calls: [event], presence: [], callLinks: [{ callKey: fact.from, alias: fact.to }] };
}

/**
 * Raw delivery → call events. `creds` is optional because the hub's `parse(delivery)` has no
 * credentials; when given, the account's currency is stamped on the facts (see README).
 */
export function parse(delivery: StoredDelivery, creds?: Pick<VonageCredentials, 'currency'>): ParsedDelivery {
  const body = vonageBodySchema.safeParse(parseJson(delivery.rawBody));
  if (!body.success || (!body.data.conversation_uuid && !body.data.uuid)) {
    throw new DeliveryShapeError('not a Vonage Voice event: no conversation_uuid or uuid');
  }
  const raw = body.data;
  if (typeof raw['recording_url'] === 'string') return { calls: [recordingEvent(raw)], presence: [] };
  if (typeof raw['conversation_uuid_from'] === 'string') return transferDelivery(raw);
  // Input (DTMF/speech), error, notify and POSTed answer requests carry no status:
  // valid Vonage events that say nothing about the call's outcome.
  if (typeof raw['status'] !== 'string') return { calls: [], presence: [] };
  return { calls: [statusEvent(raw, delivery, creds?.currency ?? null)], presence: [] };
}
