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
