import { readFileSync } from 'node:fs';
import twilio from 'twilio';
import type supertest from 'supertest';

export const TWILIO_AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
export const TWILIO_ACCOUNT_SID = 'ACebbef090ddae5eb33c8a5f771f74d14c';

export interface TwilioDelivery {
  url: string;
  headers: Record<string, string>;
  params: Record<string, string>;
}

export interface TwilioFixture {
  expected: Record<string, unknown>;
  ids: Record<string, string>;
  deliveries: TwilioDelivery[];
}

export function twilioFixture(name: string): TwilioFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/twilio/${name}.json`, import.meta.url), 'utf8')) as TwilioFixture;
}

/** POST a Twilio delivery to the hub, signed with the SDK's own helper for the URL the hub exposes. */
export function postTwilio(
  api: supertest.Agent,
  webhookUrl: string,
  d: TwilioDelivery,
  opts: { tamper?: boolean; authToken?: string } = {},
) {
  const url = new URL(webhookUrl);
  const signature = twilio.getExpectedTwilioSignature(opts.authToken ?? TWILIO_AUTH_TOKEN, webhookUrl, d.params);
  let body = new URLSearchParams(d.params).toString();
  if (opts.tamper) body = body.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
  const req = api
    .post(`${url.pathname}${url.search}`)
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .set('X-Twilio-Signature', signature);
  if (d.headers['I-Twilio-Idempotency-Token']) req.set('I-Twilio-Idempotency-Token', d.headers['I-Twilio-Idempotency-Token']);
  return req.send(body);
}

const sidOf = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

/**
 * One inbound call of 120 s from a number of its own (n): answered by an agent after 20 s (two
 * deliveries: the agent's child leg and the parent), or abandoned after 120 s (the parent only).
 */
export function twilioInboundCall(n: number, start: Date, answered: boolean, from = `+1415555${String(1000 + (n % 9000)).slice(-4)}`): TwilioDelivery[] {
  const parent = sidOf(n);
  const end = new Date(start.getTime() + 120_000);
  const out: TwilioDelivery[] = [
    {
      url: '',
      headers: {},
      params: { CallSid: parent, CallStatus: 'completed', Direction: 'inbound', From: from, To: '+16505550100', CallDuration: '120', Timestamp: rfc2822(end), SequenceNumber: '0', CallbackSource: 'call-progress-events' },
    },
  ];
  if (answered) {
    out.push({
      url: '',
      headers: {},
      params: { CallSid: sidOf(n + 500_000), ParentCallSid: parent, CallStatus: 'completed', Direction: 'outbound-dial', From: from, To: 'client:agent_alice', CallDuration: '100', Timestamp: rfc2822(new Date(end.getTime() - 1000)), SequenceNumber: '3', CallbackSource: 'call-progress-events' },
    });
  }
  return out;
}
