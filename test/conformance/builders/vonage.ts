/**
 * The scenarios as Vonage Voice API event webhooks (JSON, one status of one leg each; shapes follow
 * test/fixtures/vonage/). Signed like Vonage signs them: `Authorization: Bearer <JWT>`, HS256 with
 * the signature secret, claims `iat` (fresh: the connector refuses anything older than 5 min),
 * `jti`, `api_key`, `application_id` and `payload_hash` = SHA-256 hex of the exact raw body
 * (https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks).
 * `@vonage/jwt` only signs RS256, so the HS256 token is made by hand, as the connector's tests do.
 *
 * How each scenario is wired on Vonage (legs of one `conversation_uuid`):
 * - inbound: leg A is the caller (`direction: inbound`); its `answered` is the platform answering
 *   to run the NCCO. The NCCO `connect`s app users `agent_alice` / `agent_bob`: one outbound leg
 *   each. The transfer is a second `connect` inside the same conversation.
 * - abandoned: the agent legs end `cancelled` when the caller hangs up while they ring.
 * - voicemail: the agent leg ends `timeout`, the NCCO `record`s the message: a `record` event.
 * - outbound: a click-to-call the hub creates through the API: leg A rings the app user
 *   `agent_bob`, leg B the customer; the event_url carries `?agent=agent_bob`.
 * Vonage status events do not report hold: holdSeconds is null and talk includes the hold.
 * Numbers are international digits without "+".
 */
import { createHash, createHmac } from 'node:crypto';
import type { AgentName, Scenario } from '../scenarios.js';
import { at } from '../scenarios.js';
import { hexId, uuidOf, type BuiltCall, type Delivery, type ProviderBuilder } from './types.js';

export const VONAGE_SIGNATURE_SECRET = 'vonage-test-signature-secret-0001';
const API_KEY = 'a1b2c3d4';
const APPLICATION_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab';

const digits = (e164: string) => e164.replace(/^\+/, '');
const appUser = (agent: AgentName) => `agent_${agent}`;

/** A leg's price as Vonage writes it (8-place decimal string), here 0.00006667 per second. */
function priceOf(seconds: number): string {
  const units = seconds * 6667; // 1e-8 of the currency
  return `${Math.floor(units / 1e8)}.${String(units % 1e8).padStart(8, '0')}`;
}

interface Leg {
  uuid: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  startAt: number;
  answerAt: number | null;
  endAt: number;
  /** The leg's final status: completed, cancelled, timeout, busy. */
  final: string;
  disconnectedBy: 'user' | 'platform';
}

function build(s: Scenario): BuiltCall {
  const conversation = `CON-${uuidOf(`vonage:${s.id}`)}`;
  const legUuid = (name: string) => uuidOf(`vonage:${s.id}:${name}`);
  const legs: Leg[] = [];
  const query: Record<string, string> = {};

  if (s.direction === 'inbound') {
    legs.push({
      uuid: legUuid('caller'),
      from: digits(s.customer),
      to: digits(s.companyLine),
      direction: 'inbound',
      startAt: 0,
      answerAt: 1, // the platform answers to run the NCCO
      endAt: s.endAt,
      final: 'completed',
      disconnectedBy: 'user',
    });
    for (const leg of s.agentLegs) {
      legs.push({
        uuid: legUuid(leg.agent),
        from: digits(s.companyLine),
        to: appUser(leg.agent),
        direction: 'outbound',
        startAt: leg.ringAt,
        answerAt: leg.answerAt,
        endAt: leg.endAt,
        final: leg.answerAt !== null ? 'completed' : s.voicemailAt !== null ? 'timeout' : 'cancelled',
        disconnectedBy: 'user',
      });
    }
  } else {
    const customer = s.customerLeg!;
    query.agent = appUser(s.placedBy!);
    legs.push({
      uuid: legUuid('agent'),
      from: digits(s.companyLine),
      to: appUser(s.placedBy!),
      direction: 'outbound',
      startAt: 0,
      answerAt: 1, // the agent's app picks up, then the NCCO dials the customer
      endAt: s.endAt,
      final: 'completed',
      disconnectedBy: 'platform',
    });
    legs.push({
      uuid: legUuid('customer'),
      from: digits(s.companyLine),
      to: digits(s.customer),
      direction: 'outbound',
      startAt: customer.ringAt,
      answerAt: customer.answerAt,
      endAt: customer.endAt,
      final: customer.busy ? 'busy' : customer.answerAt !== null ? 'completed' : 'timeout',
      disconnectedBy: 'user',
    });
  }

  const deliveries: Delivery[] = [];
  const push = (label: string, body: Record<string, unknown>) =>
    deliveries.push({ label, contentType: 'application/json', body: JSON.stringify(body), headers: {}, query });
  const ts = (t: number) => new Date(at(s, t)).toISOString();

  for (const leg of legs) {
    const common = { from: leg.from, to: leg.to, uuid: leg.uuid, conversation_uuid: conversation };
    push(`${leg.to} started`, { ...common, status: 'started', direction: leg.direction, timestamp: ts(leg.startAt) });
    if (leg.final !== 'busy') push(`${leg.to} ringing`, { ...common, status: 'ringing', direction: leg.direction, timestamp: ts(leg.startAt) });
    if (leg.answerAt !== null) {
      push(`${leg.to} answered`, { ...common, status: 'answered', direction: leg.direction, timestamp: ts(leg.answerAt), start_time: null, rate: null, network: null });
    }
    if (leg.final === 'completed' && leg.answerAt !== null) {
      const duration = leg.endAt - leg.answerAt;
      push(`${leg.to} completed`, {
        ...common,
        status: 'completed',
        direction: leg.direction,
        timestamp: ts(leg.endAt),
        end_time: ts(leg.endAt),
        network: null,
        duration: String(duration),
        start_time: ts(leg.answerAt),
        rate: '0.00400000',
        price: priceOf(duration),
        disconnected_by: leg.disconnectedBy,
      });
    } else {
      push(`${leg.to} ${leg.final}`, { ...common, status: leg.final, direction: leg.direction, timestamp: ts(leg.endAt) });
    }
  }

  if (s.voicemailAt !== null) {
    const recordingUuid = uuidOf(`vonage:${s.id}:recording`);
    push('record (voicemail)', {
      start_time: ts(s.voicemailAt + 2),
      recording_url: `https://api.nexmo.com/v1/files/${uuidOf(`vonage:${s.id}:file`)}`,
      size: 28_000,
      recording_uuid: recordingUuid,
      end_time: ts(s.endAt),
      conversation_uuid: conversation,
      timestamp: ts(s.endAt),
    });
  }
  return { providerCallId: conversation, deliveries };
}

/** An HS256 JWT as Vonage makes it. */
function signHs256(claims: Record<string, unknown>): string {
  const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', VONAGE_SIGNATURE_SECRET).update(unsigned).digest('base64url')}`;
}

export const vonageBuilder: ProviderBuilder = {
  provider: 'vonage',
  credentials: {
    apiKey: API_KEY,
    apiSecret: 'vonage-api-secret',
    applicationId: APPLICATION_ID,
    signatureSecret: VONAGE_SIGNATURE_SECRET,
    currency: 'USD',
  },
  agents: { alice: { id: 'agent_alice', name: null }, bob: { id: 'agent_bob', name: null } },
  capabilities: { hold: false, agentNames: false, voicemailRecording: true, price: true },
  build,
  sign(d, _url, nowMs) {
    const iat = Math.floor(nowMs / 1000);
    const claims = {
      iat,
      jti: hexId(`${d.body}:${nowMs}`, 32),
      iss: 'Vonage',
      payload_hash: createHash('sha256').update(d.body).digest('hex'),
      api_key: API_KEY,
      application_id: APPLICATION_ID,
    };
    return { Authorization: `Bearer ${signHs256(claims)}` };
  },
};
