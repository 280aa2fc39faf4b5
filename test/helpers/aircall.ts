/**
 * Aircall webhooks for integration tests, built on the recorded fixture's call object: each one
 * carries the connection's webhook token (Aircall's own authentication) and is posted to the hub.
 */
import { readFileSync } from 'node:fs';
import type { TestHub } from './hub.js';

type Json = Record<string, unknown>;
const fixture = JSON.parse(readFileSync(new URL('../fixtures/aircall/inbound_answered.json', import.meta.url), 'utf8')) as {
  deliveries: { body: Json & { data: Json } }[];
};
export const AIRCALL_TOKEN = 'aircall-test-webhook-token-0001';
const base = fixture.deliveries[0]!.body;
export const alice = fixture.deliveries[2]!.body.data.user as Json;

export async function aircallConnection(hub: TestHub, auth: Record<string, string>): Promise<string> {
  const res = await hub.api
    .post('/v1/connections')
    .set(auth)
    .send({ provider: 'aircall', credentials: { apiId: 'aircall-id', apiToken: 'aircall-token', webhookToken: AIRCALL_TOKEN } });
  if (res.status !== 201) throw new Error(`connection: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** A `call.*` webhook of inbound call `id` started at unix `startedAt`: the fixture's call object with `data` over it. */
export function callEvent(id: number, startedAt: number, event: string, at: number, data: Json = {}): Json {
  return {
    ...base,
    token: AIRCALL_TOKEN,
    event,
    timestamp: at,
    data: { ...base.data, id, direct_link: `https://api.aircall.io/v1/calls/${id}`, started_at: startedAt, teams: [], tags: [], ...data },
  };
}

/** An `ai_voice_agent.*` webhook (developer.aircall.io, "Log Voice Agent calls"). */
export function voiceAgentEvent(callId: number, event: string, at: number, data: Json = {}): Json {
  return {
    resource: 'ai_voice_agent',
    event,
    timestamp: at,
    token: AIRCALL_TOKEN,
    data: { id: callId, call_id: callId, ai_voice_agent_id: 'aiva-42', ai_voice_agent_name: 'Front desk', ai_voice_agent_session_id: `session-${callId}`, ...data },
  };
}

export async function postAircall(hub: TestHub, connectionId: string, bodies: Json[]): Promise<void> {
  for (const body of bodies) {
    const res = await hub.api.post(`/webhooks/aircall/${connectionId}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
    if (res.status >= 300) throw new Error(`webhook: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** Calls of the scenarios below, by role. */
export const scenario = {
  /** AIVA took it and ended it: self-served on Aircall's report. */
  selfServed(id: number, t: number): Json[] {
    const done = { status: 'done', answered_at: t + 1, ended_at: t + 95, duration: 95 };
    return [
      callEvent(id, t, 'call.created', t),
      voiceAgentEvent(id, 'ai_voice_agent.started', t + 1),
      callEvent(id, t, 'call.answered', t + 1, { status: 'answered', answered_at: t + 1 }),
      voiceAgentEvent(id, 'ai_voice_agent.ended', t + 95, { call_end_reason: 'answered' }),
      callEvent(id, t, 'call.hungup', t + 95, done),
    ];
  },
  /** AIVA hands the caller to Alice, who answers. */
  escalated(id: number, t: number): Json[] {
    const done = { status: 'done', answered_at: t + 45, ended_at: t + 200, duration: 200 };
    return [
      callEvent(id, t, 'call.created', t),
      voiceAgentEvent(id, 'ai_voice_agent.started', t + 1),
      voiceAgentEvent(id, 'ai_voice_agent.escalated', t + 40, { escalation_reason: 'caller asked for a human' }),
      callEvent(id, t, 'call.answered', t + 45, { status: 'answered', answered_at: t + 45, user: alice }),
      voiceAgentEvent(id, 'ai_voice_agent.ended', t + 45, { call_end_reason: 'escalated' }),
      callEvent(id, t, 'call.hungup', t + 200, { ...done, user: alice }),
    ];
  },
  /** Nobody answers; the caller hangs up after `wait` seconds. */
  abandoned(id: number, t: number, wait = 30, data: Json = {}): Json[] {
    return [
      callEvent(id, t, 'call.created', t, data),
      callEvent(id, t, 'call.hungup', t + wait, { status: 'done', ended_at: t + wait, missed_call_reason: 'abandoned_in_classic', ...data }),
    ];
  },
  /** Alice answers after 10 s and talks `talk` seconds. */
  answered(id: number, t: number, talk = 120, data: Json = {}): Json[] {
    const done = { status: 'done', answered_at: t + 10, ended_at: t + 10 + talk, duration: 10 + talk, user: alice };
    return [
      callEvent(id, t, 'call.created', t, data),
      callEvent(id, t, 'call.answered', t + 10, { status: 'answered', answered_at: t + 10, user: alice, ...data }),
      callEvent(id, t, 'call.hungup', t + 10 + talk, { ...done, ...data }),
    ];
  },
};

/** A `sentiment.created` webhook (Aircall AI): the overall mood of the call's external participant. */
export function sentimentCreated(callId: number, at: number, value: string, phone = '+14155550123'): Json {
  return {
    resource: 'sentiment',
    event: 'sentiment.created',
    timestamp: at,
    token: AIRCALL_TOKEN,
    data: { id: callId, call_id: callId, participants: [{ phone_number: phone, value, type: 'external' }] },
  };
}
