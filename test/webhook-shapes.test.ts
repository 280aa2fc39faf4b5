/**
 * Bad bodies on the JSON providers: unparseable → 400, nothing stored; valid JSON of the wrong shape
 * but authentic → acknowledged, kept as `failed`, visible and reprocessable (nothing acknowledged is lost).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;
beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant();
});
afterAll(async () => hub?.close());

const aircallCreds = { apiId: 'aircall-id', apiToken: 'aircall-token', webhookToken: 'aircall-test-webhook-token-0001' };

describe('JSON webhook bodies', () => {
  it('answers 400 to a body that is not JSON and stores nothing', async () => {
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'aircall', credentials: aircallCreds });
    const path = new URL(conn.body.webhookUrl as string).pathname;
    const res = await hub.api.post(path).set('Content-Type', 'application/json').send('{"token": "aircall-test-webhook-token-0001",');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    const events = await hub.api.get(`/v1/connections/${conn.body.id as string}/events`).set(tenant.auth);
    expect(events.body.data).toEqual([]);
  });

  it('refuses every Aircall webhook with 401 while the connection has no webhook token, and stores nothing', async () => {
    const { webhookToken: _unset, ...withoutToken } = aircallCreds;
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'aircall', credentials: withoutToken });
    expect(conn.status).toBe(201);
    const path = new URL(conn.body.webhookUrl as string).pathname;
    for (const token of [aircallCreds.webhookToken, 'anything', undefined]) {
      const res = await hub.api
        .post(path)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ token, resource: 'call', event: 'call.created', timestamp: 1741615200, data: { id: 1, direction: 'inbound' } }));
      expect(res.status).toBe(401);
    }
    const events = await hub.api.get(`/v1/connections/${conn.body.id as string}/events`).set(tenant.auth);
    expect(events.body.data).toEqual([]);
  });

  it('keeps an authentic delivery of an unknown shape as failed, and reprocesses it on demand', async () => {
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'aircall', credentials: aircallCreds });
    const path = new URL(conn.body.webhookUrl as string).pathname;
    const wrongToken = await hub.api.post(path).set('Content-Type', 'application/json').send(JSON.stringify({ token: 'nope', resource: 'call' }));
    expect(wrongToken.status).toBe(401);
    const odd = await hub.api
      .post(path)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ token: aircallCreds.webhookToken, resource: 'call', event: 'call.created', data: { surprise: true } }));
    expect(odd.status).toBe(200);
    await hub.settle(tenant.apiKey);
    const failed = await hub.api.get(`/v1/connections/${conn.body.id as string}/events?status=failed`).set(tenant.auth);
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0].error).toEqual(expect.any(String));
    // The webhook token is a secret: it is not kept in the stored body.
    expect(JSON.stringify(failed.body.data)).not.toContain(aircallCreds.webhookToken);
    const again = await hub.api.post(`/v1/connections/${conn.body.id as string}/events/${failed.body.data[0].id as string}/reprocess`).set(tenant.auth);
    expect(again.status).toBe(202);
    await hub.settle(tenant.apiKey);
    const after = await hub.api.get(`/v1/connections/${conn.body.id as string}/events?status=failed`).set(tenant.auth);
    expect(after.body.data).toHaveLength(1);
    // Processed once more (still unreadable), not merely left as it was.
    expect([failed.body.data[0].attempts, after.body.data[0].attempts]).toEqual([1, 2]);
    expect((await hub.api.get(`/v1/calls?connectionId=${conn.body.id as string}`).set(tenant.auth)).body.data).toEqual([]);
  });

  it('answers the RingCentral handshake without storing, and checks the token on notifications', async () => {
    const creds = { clientId: 'c', clientSecret: 's', jwt: 'j', verificationToken: 'rc-test-verification-token-0001' };
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'ringcentral', credentials: creds });
    const path = new URL(conn.body.webhookUrl as string).pathname;
    const handshake = await hub.api.post(path).set('Validation-Token', '0e4de00c-112a-487d-8f4c-862f3275f1f6').set('Content-Type', 'application/json').send('');
    expect(handshake.status).toBe(200);
    expect(handshake.headers['validation-token']).toBe('0e4de00c-112a-487d-8f4c-862f3275f1f6');
    const denied = await hub.api.post(path).set('Verification-Token', 'wrong').set('Content-Type', 'application/json').send('{"uuid":"x","event":"/restapi/v1.0/account/~/telephony/sessions","body":{}}');
    expect(denied.status).toBe(401);
    const events = await hub.api.get(`/v1/connections/${conn.body.id as string}/events`).set(tenant.auth);
    expect(events.body.data).toEqual([]);
  });
});
