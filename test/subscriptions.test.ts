/**
 * CRMs receive enriched calls as Standard Webhooks: signed with the subscription's secret, retried
 * with backoff after a failure, every attempt in the delivery log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let hub: TestHub;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
let failuresLeft = 1;

beforeAll(async () => {
  // The receiver is local plain http: the operator allows exactly that.
  hub = await createTestHub({ env: { ALLOW_HTTP_TARGETS: 'true', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' }, deps: { deliveryRetryScale: 0.001 } });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end('try later');
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/crm/hook`;
});
afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await hub?.close();
});

describe('outbound webhooks (call.enriched)', () => {
  it('delivers a signed enriched call, retrying after a failure, with a delivery log', async () => {
    const tenant = await hub.tenant();
    const sub = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url: receiverUrl, events: ['call.enriched'] });
    expect(sub.status).toBe(201);
    expect(sub.body.secret).toMatch(/^whsec_/);
    const listed = await hub.api.get('/v1/subscriptions').set(tenant.auth);
    expect(JSON.stringify(listed.body)).not.toContain(sub.body.secret as string);

    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    for (const d of twilioFixture('inbound_abandoned').deliveries) await postTwilio(hub.api, conn.body.webhookUrl as string, d);
    await hub.settle(tenant.apiKey);

    for (let i = 0; i < 200 && received.filter((r) => r.body.includes('"status":"abandoned"')).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const attempts = received.filter((r) => r.body.includes('"status":"abandoned"'));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    const last = attempts[attempts.length - 1]!;
    // The receiver verifies with the standardwebhooks library and the secret it was given.
    const payload = new Webhook(sub.body.secret as string).verify(last.body, last.headers as Record<string, string>) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(payload.type).toBe('call.enriched');
    expect(payload.data).toMatchObject({ status: 'abandoned', waitSeconds: 47, externalNumber: '+14155550123' });
    // Same event, same webhook-id on the retry (receivers dedupe on it).
    expect(attempts[0]!.headers['webhook-id']).toBe(last.headers['webhook-id']);
    expect(() => new Webhook(sub.body.secret as string).verify(`${last.body} `, last.headers as Record<string, string>)).toThrow();

    let log;
    for (let i = 0; i < 100; i++) {
      log = await hub.api.get(`/v1/subscriptions/${sub.body.id as string}/deliveries`).set(tenant.auth);
      if (log.body.data.every((d: { status: string }) => d.status === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const entry = log!.body.data.find((d: { payload: { data: { status: string } } }) => d.payload.data.status === 'abandoned');
    expect(entry).toMatchObject({ eventType: 'call.enriched', status: 'delivered', attempts: 2, lastStatusCode: 204 });
  });

  it('validates subscriptions and keeps them per tenant', async () => {
    const a = await hub.tenant();
    const b = await hub.tenant();
    const bad = await hub.api.post('/v1/subscriptions').set(a.auth).send({ url: 'ftp://x', events: ['call.created'] });
    expect(bad.status).toBe(400);
    expect((bad.body.error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(['body.events.0', 'body.url']);
    const sub = await hub.api.post('/v1/subscriptions').set(a.auth).send({ url: receiverUrl, events: ['alert.raised'] });
    expect((await hub.api.get(`/v1/subscriptions/${sub.body.id as string}/deliveries`).set(b.auth)).status).toBe(404);
    expect((await hub.api.delete(`/v1/subscriptions/${sub.body.id as string}`).set(b.auth)).status).toBe(404);
    expect((await hub.api.delete(`/v1/subscriptions/${sub.body.id as string}`).set(a.auth)).status).toBe(204);
  });
});
