/**
 * RingCentral webhook deliveries: subscription handshake, token check, identity, parsing.
 * https://developers.ringcentral.com/guide/notifications/webhooks/creating-webhooks
 */
import { z } from 'zod';
import { DeliveryShapeError } from '../contract.js';
import type { CallEvent, HandshakeResponse, ParsedDelivery, PresenceEvent, StoredDelivery, VerifyResult, WebhookRequest } from '../contract.js';
import { jsonBody } from '../shared/body.js';
import { constantTimeEqual } from '../shared/compare.js';
import { iso, sha256Hex } from '../shared/events.js';
import type { RingCentralCredentials } from './credentials.js';
import { instant, numberish, type Endpoint, type PartyEventData } from './events.js';

// ---------------------------------------------------------------------------------------------
// Handshake and verification
// ---------------------------------------------------------------------------------------------

/** RingCentral rejects a handshake answer over 1024 bytes (headers + body); a real token is a UUID. */
const MAX_VALIDATION_TOKEN_LENGTH = 256;
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * While `POST /restapi/v1.0/subscription` is processed, RingCentral posts an EMPTY body carrying a
 * `Validation-Token` header and expects it echoed back within 3 s (else SUB-520/521/525).
 * Nothing is stored and no verification token exists yet, so this precedes `verify`.
 */
export function handshake(req: WebhookRequest): HandshakeResponse | null {
  const token = req.headers['validation-token'];
  if (!token || req.rawBody.toString('utf8').trim() !== '') return null;
  if (token.length > MAX_VALIDATION_TOKEN_LENGTH || !HEADER_SAFE.test(token)) return null;
  return { status: 200, headers: { 'Validation-Token': token, 'Content-Type': 'application/json' }, body: '' };
}

/**
 * Every notification carries the subscription's `deliveryMode.verificationToken` as a static
 * header. RingCentral's documentation has named it both `Verification-Token` and `Validation-Token`,
 * so either is accepted; it is a shared token, not a signature.
 */
export function verify(req: WebhookRequest, creds: RingCentralCredentials): VerifyResult {
  const verification = req.headers['verification-token'];
  const validation = req.headers['validation-token'];
  const hasVerification = typeof verification === 'string' && verification !== '';
  const hasValidation = typeof validation === 'string' && validation !== '';
  if (!hasVerification && !hasValidation) return { ok: false, reason: 'missing Verification-Token header' };
  // Compare every presented value (no early exit) so timing does not tell which one matched.
  const a = hasVerification && constantTimeEqual(verification, creds.verificationToken);
  const b = hasValidation && constantTimeEqual(validation, creds.verificationToken);
  return a || b ? { ok: true } : { ok: false, reason: 'Verification-Token does not match' };
}

/**
 * Notifications carry a `uuid` (a non-empty string in a JSON object); a redelivery keeps it.
 * Without one, the body's hash. Checked by hand: this runs on the accept path.
 */
export function dedupeKey(req: WebhookRequest): string {
  const body = jsonBody(req.rawBody)?.value;
  const uuid = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { uuid?: unknown }).uuid : undefined;
  // Not JSON, or no uuid: hash the bytes.
  if (typeof uuid === 'string' && uuid.length >= 1) return `ringcentral:${uuid}`;
  return `ringcentral:sha256:${sha256Hex(req.rawBody)}`;
}

// ---------------------------------------------------------------------------------------------
// Payload schemas (only what we use; RingCentral adds fields freely)
// ---------------------------------------------------------------------------------------------


const endpointPayload = z
  .object({
    phoneNumber: z.string().optional(),
    name: z.string().optional(),
    extensionId: numberish.optional(),
  })
  .optional();

const partyPayload = z.object({
  id: z.string().min(1),
  accountId: numberish.optional(),
  extensionId: numberish.optional(),
  direction: z.enum(['Inbound', 'Outbound']).optional(),
  from: endpointPayload,
  to: endpointPayload,
  status: z.object({ code: z.string().min(1), reason: z.string().optional() }),
  queueCall: z.boolean().optional(),
  missedCall: z.boolean().optional(),
  recordings: z.array(z.object({ id: numberish })).optional(),
});

/** Telephony session event body (account or extension level). */
const telephonySessionPayload = z.object({
  sequence: z.number().int(),
  telephonySessionId: z.string().min(1),
  eventTime: instant,
  parties: z.array(partyPayload),
});

/** Presence event body (`/account/~/presence` or `/account/~/extension/{id}/presence`). */
const presencePayload = z.object({
  extensionId: numberish,
  presenceStatus: z.string().optional(),
  userStatus: z.string().optional(),
  dndStatus: z.string().optional(),
});

const notificationEnvelope = z.object({
  uuid: z.string().optional(),
  event: z.string().min(1),
  timestamp: instant.optional(),
  body: z.unknown(),
});

// ---------------------------------------------------------------------------------------------
// parse
// ---------------------------------------------------------------------------------------------

function endpoint(ep: z.infer<typeof endpointPayload>): Endpoint {
  return { phoneNumber: ep?.phoneNumber ?? null, name: ep?.name ?? null, extensionId: ep?.extensionId ?? null };
}

function partyEvents(body: z.infer<typeof telephonySessionPayload>): CallEvent[] {
  const eventTime = iso(Date.parse(body.eventTime));
  return body.parties.map((party) => {
    const data: PartyEventData = {
      kind: 'party',
      telephonySessionId: body.telephonySessionId,
      sequence: body.sequence,
      eventTime,
      partyId: party.id,
      accountId: party.accountId ?? null,
      extensionId: party.extensionId ?? null,
      direction: party.direction ?? null,
      status: party.status.code,
      reason: party.status.reason ?? null,
      queueCall: party.queueCall ?? false,
      missedCall: party.missedCall ?? false,
      from: endpoint(party.from),
      to: endpoint(party.to),
      recordingIds: (party.recordings ?? []).map((r) => r.id),
    };
    // `sequence` orders notifications within a session; one notification may list several parties.
    return {
      callKey: body.telephonySessionId,
      key: `seq:${body.sequence}:party:${party.id}`,
      source: 'webhook' as const,
      data,
    };
  });
}

/**
 * Presence → agent availability. Unavailable when the user is offline or takes no queue calls
 * (DND "DoNotAcceptAnyCalls" / "DoNotAcceptDepartmentCalls"); busy on a call still counts as staffed.
 */
function presenceEvent(body: z.infer<typeof presencePayload>, at: string): PresenceEvent {
  const offline = body.presenceStatus === 'Offline' || body.userStatus === 'Offline';
  const refusesQueueCalls = body.dndStatus === 'DoNotAcceptAnyCalls' || body.dndStatus === 'DoNotAcceptDepartmentCalls';
  return { agentId: body.extensionId, state: offline || refusesQueueCalls ? 'unavailable' : 'available', at };
}

const TELEPHONY_SESSIONS = /\/telephony\/sessions(\?|$)/;
const PRESENCE = /\/presence(\?|$)/;

export function parse(delivery: StoredDelivery): ParsedDelivery {
  let json: unknown;
  try {
    json = JSON.parse(delivery.rawBody);
  } catch {
    throw new DeliveryShapeError('RingCentral notification is not JSON');
  }
  const envelope = notificationEnvelope.safeParse(json);
  if (!envelope.success) throw new DeliveryShapeError(`not a RingCentral notification: ${envelope.error.message}`);
  const { event, body, timestamp } = envelope.data;
  const subscriptionId = (json as { subscriptionId?: unknown }).subscriptionId;
  const connectionState = typeof subscriptionId === 'string' && subscriptionId ? { subscriptionId } : undefined;

  if (TELEPHONY_SESSIONS.test(event)) {
    const session = telephonySessionPayload.safeParse(body);
    if (!session.success) throw new DeliveryShapeError(`unexpected telephony session body: ${session.error.message}`);
    return { calls: partyEvents(session.data), presence: [], connectionState };
  }
  if (PRESENCE.test(event)) {
    const presence = presencePayload.safeParse(body);
    if (!presence.success) throw new DeliveryShapeError(`unexpected presence body: ${presence.error.message}`);
    const at = iso(timestamp ? Date.parse(timestamp) : delivery.receivedAt);
    return { calls: [], presence: [presenceEvent(presence.data, at)], connectionState };
  }
  // Subscription renewal reminders (/restapi/v1.0/subscription/~?threshold=…) and any other
  // event type are valid RingCentral notifications we do not use.
  return { calls: [], presence: [], connectionState };
}
