/**
 * Subscriptions cannot make the hub reach its own network (SSRF): refused at creation with 400, and
 * refused again at delivery (the name may resolve elsewhere by then), the reason in the delivery
 * log. DNS is an injected resolver: no test resolves or connects to a private or metadata address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../src/lib/outbound/index.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

let rebound = false;
const resolver: Resolver = async (host) => {
  const table: Record<string, string> = {
    'metadata.crm.test': '169.254.169.254',
    'intranet.crm.test': '10.1.2.3',
    'cgnat.crm.test': '100.64.1.1',
    'v6.crm.test': 'fd00:ec2::254',
    // Public when the subscription is created, loopback when the delivery connects.
    'rebinding.crm.test': rebound ? '127.0.0.1' : '93.184.216.34',
  };
  const address = table[host];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ deps: { outboundResolver: resolver, deliveryRetryScale: 0.001 } });
});
afterAll(async () => hub?.close());

describe('subscription targets', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://2130706433/',
    'https://0/',
    'https://0x7f000001/',
    'https://127.0.0.1:6379/',
    'https://[::1]/',
    'https://localhost/',
    'https://10.0.0.8/',
    'https://192.168.1.1/',
    'https://100.64.0.1/',
    'https://[fd00:ec2::254]/',
    'https://metadata.crm.test/hook',
    'https://intranet.crm.test/hook',
    'https://cgnat.crm.test/hook',
    'https://v6.crm.test/hook',
    'http://crm.example.com/hook',
  ])('refuses %s with 400', async (url) => {
    const tenant = await hub.tenant();
    const res = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url, events: ['call.enriched'] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details[0].path).toBe('body.url');
    expect((await hub.api.get('/v1/subscriptions').set(tenant.auth)).body.data).toEqual([]);
  });

  it('refuses again at delivery, and says so in the delivery log', async () => {
    const tenant = await hub.tenant();
    rebound = false;
    const sub = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url: 'https://rebinding.crm.test/hook', events: ['call.enriched'] });
    expect(sub.status).toBe(201);
    rebound = true;
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    for (const d of twilioFixture('inbound_abandoned').deliveries) await postTwilio(hub.api, conn.body.webhookUrl as string, d);
    await hub.settle(tenant.apiKey);
    let log: { status: string; lastError: string | null; attempts: number }[] = [];
    for (let i = 0; i < 300; i++) {
      log = (await hub.api.get(`/v1/subscriptions/${sub.body.id as string}/deliveries`).set(tenant.auth)).body.data;
      if (log.length > 0 && log.every((d) => d.status !== 'pending')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(log.length).toBeGreaterThan(0);
    for (const d of log) {
      expect(d.status).toBe('failed');
      expect(d.attempts).toBe(1);
      expect(d.lastError).toMatch(/rebinding\.crm\.test resolves to 127\.0\.0\.1, not a public address \(loopback\)/);
    }
  });
});
