/**
 * The scenarios as Aircall call webhooks: `{ resource, event, timestamp, token, data }` where
 * `data` is the whole call object at `timestamp` (unix seconds). Shapes follow
 * test/fixtures/aircall/. Aircall does not sign deliveries: the webhook's `token` travels in the
 * body and is compared with the connection's `webhookToken`.
 *
 * How each scenario is wired on Aircall:
 * - inbound: `call.created` → `call.ringing_on_agent` per agent → `call.answered` → `call.hold` /
 *   `call.unhold` → `call.transferred` (Alice → Bob) → `call.hungup` → `call.ended` (~30 s later).
 * - abandoned: `call.hungup` with `missed_call_reason: abandoned_in_classic`.
 * - voicemail: `missed_call_reason: agents_did_not_answer`, `voicemail` + `asset` links,
 *   `call.voicemail_left`.
 * - outbound: `call.created` already carries the dialling agent (`user`); busy is `hangup_cause`.
 */
import type { AgentName, Scenario } from '../scenarios.js';
import { at } from '../scenarios.js';
import { hexId, type BuiltCall, type Delivery, type ProviderBuilder } from './types.js';

export const AIRCALL_WEBHOOK_TOKEN = 'aircall-test-webhook-token-0001';

const USERS: Record<AgentName, { id: number; name: string; email: string }> = {
  alice: { id: 987001, name: 'Alice Agent', email: 'alice@acme.example' },
  bob: { id: 987002, name: 'Bob Agent', email: 'bob@acme.example' },
};

/** "+14155550123" → "+1 415-555-0123", the way Aircall writes numbers. */
function aircallDigits(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (!m) throw new Error(`not a NANP number: ${e164}`);
  return `+1 ${m[1]}-${m[2]}-${m[3]}`;
}

function user(agent: AgentName | null): Record<string, unknown> | null {
  if (!agent) return null;
  const u = USERS[agent];
  return {
    id: u.id,
    direct_link: `https://api.aircall.io/v1/users/${u.id}`,
    name: u.name,
    email: u.email,
    available: true,
    availability_status: 'available',
    language: 'en-US',
    wrap_up_time: 30,
  };
}

function build(s: Scenario): BuiltCall {
  const id = 1_834_000_000 + Number.parseInt(hexId(`aircall:${s.id}`, 5), 16);
  const startedAt = Math.floor(at(s, 0) / 1000);
  const unix = (t: number) => startedAt + t;
  const base = {
    id,
    direct_link: `https://api.aircall.io/v1/calls/${id}`,
    direction: s.direction,
    call_uuid: `CA${hexId(`aircall:uuid:${s.id}`, 32)}`,
    status: 'initial',
    missed_call_reason: null,
    started_at: startedAt,
    answered_at: null as number | null,
    ended_at: null as number | null,
    duration: 0,
    cost: '0.0',
    hangup_cause: null as string | null,
    voicemail: null as string | null,
    recording: null,
    asset: null as string | null,
    raw_digits: aircallDigits(s.customer),
    user: null as Record<string, unknown> | null,
    number: {
      id: 412345,
      direct_link: 'https://api.aircall.io/v1/numbers/412345',
      name: 'Support Line',
      digits: aircallDigits(s.companyLine),
      e164_digits: s.companyLine,
      country: 'US',
      time_zone: 'America/Los_Angeles',
      open: true,
      availability_status: 'open',
      is_ivr: false,
      live_recording_activated: false,
    },
    archived: false,
    assigned_to: null,
    teams: [{ id: 55001, direct_link: 'https://api.aircall.io/v1/teams/55001', name: 'Support', created_at: '2024-01-15T09:00:00.000Z' }],
    comments: [],
    tags: [],
  };
  const deliveries: Delivery[] = [];
  const push = (event: string, t: number, data: Record<string, unknown>) =>
    deliveries.push({
      label: `${event} @${t}`,
      contentType: 'application/json',
      body: JSON.stringify({ resource: 'call', event, timestamp: unix(t), data: { ...base, ...data }, token: AIRCALL_WEBHOOK_TOKEN }),
      headers: {},
      query: {},
    });

  if (s.direction === 'inbound') {
    const answered = s.agentLegs.filter((l) => l.answerAt !== null);
    const firstAnswer = answered[0]?.answerAt ?? null;
    const live = firstAnswer !== null ? { status: 'answered', answered_at: unix(firstAnswer) } : { status: 'initial' };
    push('call.created', 0, {});
    for (const leg of s.agentLegs) push('call.ringing_on_agent', leg.ringAt, { ...(leg.ringAt >= (firstAnswer ?? Infinity) ? live : {}), user: user(leg.agent) });
    if (answered[0]) push('call.answered', answered[0].answerAt!, { ...live, user: user(answered[0].agent) });
    for (const h of s.holds) {
      push('call.hold', h.from, { ...live, user: user(h.agent) });
      push('call.unhold', h.to, { ...live, user: user(h.agent) });
    }
    // A later answering agent took the call over by transfer.
    answered.slice(1).forEach((leg, i) => {
      const from = user(answered[i]!.agent);
      push('call.transferred', leg.answerAt!, { ...live, user: from, transferred_by: from, transferred_to: user(leg.agent) });
    });
    const last = answered.at(-1)?.agent ?? null;
    const voicemail = s.voicemailAt !== null;
    const done = {
      ...live,
      status: 'done',
      ended_at: unix(s.endAt),
      duration: s.endAt,
      hangup_cause: 'normal',
      user: user(last),
      missed_call_reason: firstAnswer !== null ? null : voicemail ? 'agents_did_not_answer' : 'abandoned_in_classic',
      ...(voicemail
        ? {
            voicemail: `https://example-bucket.s3.amazonaws.com/voicemail-${id}.mp3?X-Amz-Expires=3600`,
            asset: `https://assets.aircall.io/calls/${id}/voicemail`,
          }
        : {}),
    };
    push('call.hungup', s.endAt, done);
    if (voicemail) push('call.voicemail_left', s.endAt + 1, done);
    push('call.ended', s.endAt + 30, done);
  } else {
    const leg = s.customerLeg!;
    const agent = user(s.placedBy);
    const live = leg.answerAt !== null ? { status: 'answered', answered_at: unix(leg.answerAt) } : {};
    push('call.created', 0, { user: agent, teams: [] });
    if (leg.answerAt !== null) push('call.answered', leg.answerAt, { ...live, user: agent, teams: [] });
    const done = {
      ...live,
      status: 'done',
      ended_at: unix(s.endAt),
      duration: s.endAt,
      hangup_cause: leg.busy ? 'busy' : 'normal',
      user: agent,
      teams: [],
    };
    push('call.hungup', s.endAt, done);
    push('call.ended', s.endAt + 30, done);
  }
  return { providerCallId: String(id), deliveries };
}

export const aircallBuilder: ProviderBuilder = {
  provider: 'aircall',
  credentials: { apiId: 'aircall-api-id', apiToken: 'aircall-api-token', webhookToken: AIRCALL_WEBHOOK_TOKEN },
  agents: {
    alice: { id: String(USERS.alice.id), name: USERS.alice.name },
    bob: { id: String(USERS.bob.id), name: USERS.bob.name },
  },
  capabilities: { hold: true, agentNames: true, voicemailRecording: true, price: false },
  build,
  // The token is in the body already.
  sign: () => ({}),
};
