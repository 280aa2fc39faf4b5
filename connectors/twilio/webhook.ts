import { createHmac, timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import { z } from 'zod';
import { DeliveryShapeError } from '../contract.js';
import type { CallEvent, HandshakeResponse, ParsedDelivery, StoredDelivery, VerifyResult, WebhookRequest } from '../contract.js';
import { BodyCache, bodyText, formEntries, formFields } from '../shared/body.js';
import { contentKey, sha256Hex } from '../shared/events.js';
import type { TwilioCredentials } from './credentials.js';
import type { LegObservation } from './events.js';

/** The form's fields by name, a repeated name keeping its last value (as Twilio's SDK reads them). */
function formParams(body: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of formFields(body)) params[k] = v;
  return params;
}

/** A form body's fields sorted by name, keeping their order within a name (a stable sort). */
interface SortedForm {
  fields: readonly (readonly [string, string])[];
  /** No name is repeated (the usual case): sorting by name is then sorting by name and value. */
  unique: boolean;
}

/** Sorted once per body: the signature and the dedupe key both read the fields in this order. */
const sortedForms = new BodyCache((rawBody): SortedForm => {
  const fields = [...formEntries(rawBody)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let unique = true;
  for (let i = 1; i < fields.length && unique; i++) unique = fields[i]![0] !== fields[i - 1]![0];
  return { fields, unique };
});

const sortedForm = (rawBody: Buffer): SortedForm => sortedForms.get(rawBody);

/**
 * The first check of the SDK's `validateRequest`, made with node:crypto: HMAC-SHA1 with the auth
 * token over the URL as received + every field's name and value, names in the SDK's order
 * (`getExpectedTwilioSignature` over `Object.fromEntries` of the fields: each name once, with its
 * last value, names sorted by code unit), base64, compared in constant time. The URL as received
 * is always one of the SDK's candidates (its removePort or addPort leaves a URL unchanged when it
 * has no port, or one), so a match here is a match for the SDK; anything else goes to the SDK.
 */
function signedAsReceived(authToken: string, signature: string, url: string, rawBody: Buffer): boolean {
  const { fields } = sortedForm(rawBody);
  let data = url;
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    // A repeated name: its last value is the one Object.fromEntries keeps.
    if (i + 1 < fields.length && fields[i + 1]![0] === name) continue;
    data += name + value;
  }
  const expected = Buffer.from(createHmac('sha1', authToken).update(data, 'utf8').digest('base64'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * X-Twilio-Signature: HMAC-SHA1 over the URL Twilio requested + the sorted form fields, with the auth
 * token (https://www.twilio.com/docs/usage/security#validating-requests). Checked with the SDK's own
 * algorithm against PUBLIC_BASE_URL + path + query, so it holds behind a proxy too: the URL as
 * received first (one HMAC, the usual case), then every variant the SDK's validator tries. JSON
 * bodies are signed through the `bodySHA256` query parameter instead.
 */
export function verify(req: WebhookRequest, creds: TwilioCredentials): VerifyResult {
  const signature = req.headers['x-twilio-signature'];
  if (!signature) return { ok: false, reason: 'missing X-Twilio-Signature' };
  let valid: boolean;
  if ('bodySHA256' in req.query) {
    valid = twilio.validateRequestWithBody(creds.authToken, signature, req.publicUrl, bodyText(req.rawBody));
  } else {
    valid =
      signedAsReceived(creds.authToken, signature, req.publicUrl, req.rawBody) ||
      twilio.validateRequest(creds.authToken, signature, req.publicUrl, Object.fromEntries(formEntries(req.rawBody)));
  }
  return valid ? { ok: true } : { ok: false, reason: 'X-Twilio-Signature does not match' };
}

/**
 * Identity of a delivery: what Twilio signs, the URL it requested and the form fields as a sorted
 * set (or, for a JSON body, the body its `bodySHA256` vouches for). `I-Twilio-Idempotency-Token` is
 * not signed: anyone holding one signed delivery could replay it under new tokens, so the token
 * only stays in the stored headers as a hint for whoever reads them. Twilio's own retries repeat
 * the URL and the fields, so they still land on the same key; two events of a call always differ
 * in what is signed (status, SequenceNumber, Timestamp).
 */
export function dedupeKey(req: WebhookRequest): string {
  let signed: string;
  if ('bodySHA256' in req.query) signed = bodyText(req.rawBody);
  else {
    // Sorted by name, then by value; with no repeated name, the signature's order already is.
    const form = sortedForm(req.rawBody);
    const fields = form.unique ? form.fields : [...form.fields].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
    signed = JSON.stringify(fields);
  }
  return `signed:${sha256Hex(`${req.publicUrl}\n${signed}`)}`;
}

/**
 * Twilio expects TwiML from Voice URL and action callbacks; an empty <Response/> lets the call go on
 * as its own TwiML says (status callbacks ignore the body).
 */
export function acknowledge(): HandshakeResponse {
  return TWIML_ACK;
}

const TWIML_ACK: HandshakeResponse = Object.freeze({
  status: 200,
  headers: Object.freeze({ 'content-type': 'text/xml' }),
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
});

const paramsSchema = z.looseObject({
  CallSid: z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'CallSid must be a Twilio call SID'),
  AccountSid: z.string().optional(),
  CallStatus: z.string().optional(),
  Direction: z.string().optional(),
  From: z.string().optional(),
  To: z.string().optional(),
  ParentCallSid: z.string().optional(),
  SequenceNumber: z.string().optional(),
  Timestamp: z.string().optional(),
});

const num = (v: string | undefined): number | null => {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
const str = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** RFC 2822 ("Mon, 10 Mar 2025 14:00:14 +0000") → ISO 8601 UTC. */
export function rfc2822ToIso(value: string | null | undefined): string | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

function kindOf(p: Record<string, string>): LegObservation['kind'] {
  if (p.CallbackSource === 'call-progress-events' || p.SequenceNumber !== undefined) return 'status-callback';
  // <Connect action> of a ConversationRelay session: Twilio posts it when the session ends.
  if (p.SessionId !== undefined && (p.SessionStatus !== undefined || p.HandoffData !== undefined)) return 'relay-action';
  if (p.DialCallStatus !== undefined) return 'dial-action';
  if (p.QueueResult !== undefined) return 'enqueue-action';
  if (p.QueuePosition !== undefined) return 'wait-url';
  return 'voice-url';
}

/**
 * The webhook of a Conversational Intelligence Service (Console: the Service's Webhook URL, POST):
 * JSON naming a transcript that is ready. It carries no result itself: `follow`
 * (./intelligence.ts) fetches the transcript and its operator results in the worker.
 */
const transcriptWebhookSchema = z.looseObject({
  account_sid: z.string().max(64).optional(),
  service_sid: z.string().max(64).optional(),
  transcript_sid: z.string().regex(/^GT[0-9a-fA-F]{32}$/, 'transcript_sid must be a Twilio transcript SID'),
  customer_key: z.string().max(256).nullish(),
  event_type: z.string().max(128),
});

/** The transcript webhook's event type once the transcript and its operator results are ready. */
export const TRANSCRIPT_AVAILABLE = 'voice_intelligence_transcript_available';

function parseTranscriptWebhook(rawBody: string): ParsedDelivery {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new DeliveryShapeError('Twilio JSON webhook: the body is not JSON');
  }
  const parsed = transcriptWebhookSchema.safeParse(body);
  if (!parsed.success) {
    throw new DeliveryShapeError(
      `not a Twilio Conversational Intelligence webhook: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
    );
  }
  // Another event type says nothing we read (yet): kept as a processed delivery with no call events.
  if (parsed.data.event_type !== TRANSCRIPT_AVAILABLE) return { calls: [], presence: [] };
  return { calls: [], presence: [], pointers: [{ kind: 'twilio-transcript', id: parsed.data.transcript_sid }] };
}

export function parse(delivery: StoredDelivery): ParsedDelivery {
  const contentType = delivery.headers['content-type'] ?? '';
  // Call webhooks are form-encoded; the only JSON one Twilio sends us is Conversational Intelligence's.
  if (contentType.includes('json')) return parseTranscriptWebhook(delivery.rawBody);
  const raw = formParams(delivery.rawBody);
  const parsed = paramsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeliveryShapeError(
      `not a Twilio call webhook: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
    );
  }
  const p = raw;
  const kind = kindOf(p);
  const relay = kind === 'relay-action';
  // Every field of a LegObservation but receivedAt, in one literal: the key is computed over these,
  // so a re-delivery maps to the same event (event keys are stored: this text must never change).
  // Written out rather than spread from emptyObservation and copied without receivedAt: those two
  // copies were most of the parse's cost (~40 µs a delivery, now ~15), and it runs for every event.
  const identity: Omit<LegObservation, 'receivedAt'> & { receivedAt?: string } = {
    kind,
    callSid: p.CallSid!,
    parentCallSid: str(p.ParentCallSid),
    status: str(p.CallStatus),
    direction: str(p.Direction),
    from: str(p.From),
    to: str(p.To),
    seq: num(p.SequenceNumber),
    at: rfc2822ToIso(p.Timestamp),
    duration: num(p.CallDuration),
    startTime: null,
    endTime: null,
    recordingUrl: str(p.RecordingUrl),
    queueSid: str(p.QueueSid),
    // Twilio does not send the queue's friendly name; a `queue` query parameter on the callback URL can.
    queueName: str(p.QueueName) ?? str(delivery.query.queue),
    queueResult: str(p.QueueResult),
    queueTime: num(p.QueueTime),
    dialCallSid: str(p.DialCallSid),
    dialCallStatus: str(p.DialCallStatus),
    dialBridged: p.DialBridged === undefined ? null : p.DialBridged === 'true',
    dialCallDuration: num(p.DialCallDuration),
    price: null,
    priceUnit: null,
    relaySessionId: relay ? str(p.SessionId) : null,
    relaySessionStatus: relay ? str(p.SessionStatus) : null,
    relayHandoff: relay ? !!str(p.HandoffData) : null,
  };
  const key = contentKey(`${kind}:${identity.callSid}`, identity);
  const observation: LegObservation = Object.assign(identity, { receivedAt: delivery.receivedAt.toISOString() });
  const event: CallEvent = {
    callKey: observation.parentCallSid ?? observation.callSid,
    key,
    source: 'webhook',
    data: observation,
  };
  return { calls: [event], presence: [] };
}
