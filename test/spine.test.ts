/**
 * The spine end to end on real PostgreSQL + BullMQ: tenants, connections, signed Twilio webhooks,
 * unified calls, tenant isolation, bad input.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

let hub: TestHub;
let tenantA: Awaited<ReturnType<TestHub['tenant']>>;
let tenantB: Awaited<ReturnType<TestHub['tenant']>>;
let connection: { id: string; webhookUrl: string };

beforeAll(async () => {
  hub = await createTestHub();
  tenantA = await hub.tenant({ name: 'Acme' });
  tenantB = await hub.tenant({ name: 'Globex' });
  const res = await hub.api
    .post('/v1/connections')
    .set(tenantA.auth)
    .send({ provider: 'twilio', name: 'Main line', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  expect(res.status).toBe(201);
  connection = res.body;
});
afterAll(async () => hub?.close());

describe('tenants and connections', () => {
  it('creates a tenant only with the admin token, and shows its key once', async () => {
    const denied = await hub.api.post('/v1/tenants').set('Authorization', 'Bearer wrong-token-wrong-token').send({ name: 'X' });
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe('unauthorized');
    const res = await hub.api.post('/v1/tenants').set('Authorization', `Bearer ${hub.adminToken}`).send({ name: 'Defaults' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Defaults', currency: 'EUR', timezone: 'Europe/Paris', country: 'FR' });
    expect(res.body.apiKey).toMatch(/^croi_/);
    const me = await hub.api.get('/v1/tenants/current').set('Authorization', `Bearer ${res.body.apiKey}`);
    expect(me.body.apiKey).toBeUndefined();
    expect(me.body.id).toBe(res.body.id);
  });

  it('rejects bad tenant input with field paths', async () => {
    const res = await hub.api
      .post('/v1/tenants')
      .set('Authorization', `Bearer ${hub.adminToken}`)
      .send({ name: '', timezone: 'Mars/Olympus', currency: 'euro' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['body.currency', 'body.name', 'body.timezone']);
  });

  it('returns the webhook URL and never the credentials', async () => {
    expect(connection.webhookUrl).toBe(`https://hub.test.example/webhooks/twilio/${connection.id}`);
    const res = await hub.api.get(`/v1/connections/${connection.id}`).set(tenantA.auth);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(TWILIO_AUTH_TOKEN);
    const list = await hub.api.get('/v1/connections').set(tenantA.auth);
    expect(JSON.stringify(list.body)).not.toContain(TWILIO_AUTH_TOKEN);
    expect(list.body.data.map((c: { id: string }) => c.id)).toContain(connection.id);
  });

  it('stores credentials encrypted at rest', async () => {
    const rows = (await hub.deps.database.db.execute('select credentials_sealed from connections' as never)) as unknown as {
      rows: { credentials_sealed: string }[];
    };
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const r of rows.rows) {
      expect(r.credentials_sealed).toMatch(/^v1\./);
      expect(r.credentials_sealed).not.toContain(TWILIO_AUTH_TOKEN);
    }
  });

  it('validates credentials per provider', async () => {
    const res = await hub.api.post('/v1/connections').set(tenantA.auth).send({ provider: 'twilio', credentials: { accountSid: 'nope' } });
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path);
    expect(paths).toContain('body.credentials.accountSid');
    expect(paths).toContain('body.credentials.authToken');
    const unknown = await hub.api.post('/v1/connections').set(tenantA.auth).send({ provider: 'skype', credentials: {} });
    expect(unknown.status).toBe(400);
  });
});

describe('twilio webhooks to unified calls', () => {
  it('accepts every fixture delivery signed with the SDK and builds the documented calls', async () => {
    for (const name of ['inbound_answered', 'inbound_abandoned', 'outbound']) {
      for (const d of twilioFixture(name).deliveries) {
        const res = await postTwilio(hub.api, connection.webhookUrl, d);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toContain('text/xml');
      }
    }
    await hub.settle(tenantA.apiKey);
    const res = await hub.api.get('/v1/calls').set(tenantA.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
    for (const name of ['inbound_answered', 'inbound_abandoned', 'outbound']) {
      const f = twilioFixture(name);
      const e = f.expected as Record<string, unknown> & { agent: { id: string } | null };
      const call = (res.body.data as Record<string, unknown>[]).find((c) => c.startedAt === e.startedAt)!;
      expect(call, name).toBeDefined();
      expect(call).toMatchObject({
        provider: 'twilio',
        connectionId: connection.id,
        direction: e.direction,
        status: e.outcome,
        answeredAt: e.answeredAt,
        endedAt: e.endedAt,
        waitSeconds: e.waitSeconds,
        talkSeconds: e.talkSeconds,
        holdSeconds: null,
        afterCallWorkSeconds: 0,
        handleSeconds: e.talkSeconds,
        externalNumber: e.customerNumber,
        trackingNumber: e.companyNumber,
        telephonyCost: null,
        campaignId: null,
        attributedRevenue: '0.00',
      });
      expect((call.agent as { id: string } | null)?.id ?? null).toBe(e.agent?.id ?? null);
      const one = await hub.api.get(`/v1/calls/${call.id as string}`).set(tenantA.auth);
      expect(one.body).toEqual(call);
    }
  });

  it('stores a re-delivery once', async () => {
    const d = twilioFixture('outbound').deliveries[4]!;
    const before = await hub.api.get(`/v1/connections/${connection.id}/events?limit=500`).set(tenantA.auth);
    const res = await postTwilio(hub.api, connection.webhookUrl, d);
    expect(res.status).toBe(200);
    const events = await hub.api.get(`/v1/connections/${connection.id}/events?limit=500`).set(tenantA.auth);
    expect(events.body.data).toHaveLength(before.body.data.length);
    const keys = (events.body.data as { dedupeKey: string }[]).map((e) => e.dedupeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('stores one signed delivery replayed under 100 different idempotency tokens once (the token is not signed)', async () => {
    // A tenant of its own, so the replayed call does not show in the other tests' call lists.
    const tenant = await hub.tenant({ name: 'Replayed' });
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const d = twilioFixture('inbound_answered').deliveries[0]!;
    for (let i = 0; i < 100; i++) {
      const token = `replayed-${String(i).padStart(4, '0')}-${'0'.repeat(24)}`;
      const res = await postTwilio(hub.api, conn.body.webhookUrl as string, { ...d, headers: { 'I-Twilio-Idempotency-Token': token } });
      expect(res.status).toBe(200);
    }
    const events = await hub.api.get(`/v1/connections/${conn.body.id as string}/events?limit=500`).set(tenant.auth);
    expect(events.body.data).toHaveLength(1);
  });

  it('answers 401 to one changed byte and to another account token, and stores nothing', async () => {
    const d = twilioFixture('inbound_answered').deliveries[0]!;
    const fresh = { ...d, headers: {}, params: { ...d.params, CallSid: 'CA00000000000000000000000000000001' } };
    const before = await hub.api.get(`/v1/connections/${connection.id}/events`).set(tenantA.auth);
    const tampered = await postTwilio(hub.api, connection.webhookUrl, fresh, { tamper: true });
    expect(tampered.status).toBe(401);
    expect(tampered.body.error.code).toBe('invalid_signature');
    const wrongToken = await postTwilio(hub.api, connection.webhookUrl, fresh, { authToken: 'ffffffffffffffffffffffffffffffff' });
    expect(wrongToken.status).toBe(401);
    const after = await hub.api.get(`/v1/connections/${connection.id}/events`).set(tenantA.auth);
    expect(after.body.data).toHaveLength(before.body.data.length);
  });

  it('answers 404 to an unknown connection or provider, 413 to an oversized body', async () => {
    const d = twilioFixture('inbound_answered').deliveries[0]!;
    const unknown = await postTwilio(hub.api, 'https://hub.test.example/webhooks/twilio/00000000-0000-4000-8000-000000000000', d);
    expect(unknown.status).toBe(404);
    const notUuid = await postTwilio(hub.api, 'https://hub.test.example/webhooks/twilio/abc', d);
    expect(notUuid.status).toBe(404);
    const wrongProvider = await postTwilio(hub.api, `https://hub.test.example/webhooks/vonage/${connection.id}`, d);
    expect(wrongProvider.status).toBe(404);
    const big = await hub.api
      .post(new URL(connection.webhookUrl).pathname)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(`CallSid=${'A'.repeat(hub.config.BODY_LIMIT_BYTES + 10)}`);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });

  it('routes a webhook URL as express routes a path (any case, a trailing slash), answers TwiML, and 404s other methods', async () => {
    // A tenant of its own: the calls these deliveries make stay out of tenant A's listings.
    const tenant = await hub.tenant({ name: 'Routing' });
    const created = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const connection = created.body as { id: string; webhookUrl: string };
    const d = twilioFixture('inbound_answered').deliveries[0]!;
    const at = (n: number) => ({ ...d, headers: {}, params: { ...d.params, CallSid: `CA0000000000000000000000000000010${n}` } });
    const slash = await postTwilio(hub.api, `${connection.webhookUrl}/`, at(1));
    expect(slash.status).toBe(200);
    expect(slash.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(slash.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const upper = await postTwilio(hub.api, connection.webhookUrl.replace('/webhooks/', '/WEBHOOKS/'), at(2));
    expect(upper.status).toBe(200);
    // The signature covers the URL as requested: signed for another spelling of it, it is refused.
    const upperUrl = connection.webhookUrl.replace('/webhooks/', '/WEBHOOKS/');
    const forged = await hub.api
      .post(new URL(connection.webhookUrl).pathname)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, upperUrl, at(3).params))
      .send(new URLSearchParams(at(3).params).toString());
    expect(forged.status).toBe(401);
    expect((await postTwilio(hub.api, connection.webhookUrl, at(3))).status).toBe(200);
    const path = new URL(connection.webhookUrl).pathname;
    // A compressed body is left to express's raw parser (it inflates it): the same checks, the same
    // answer. (`serialize`: superagent would otherwise encode a Buffer as a form.)
    const params = at(5).params;
    const gzipped = await hub.api
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('Content-Encoding', 'gzip')
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, connection.webhookUrl, params))
      .serialize((body: Buffer) => body as unknown as string)
      .send(gzipSync(new URLSearchParams(params).toString()));
    expect(gzipped.status).toBe(200);
    expect(gzipped.text).toBe(slash.text);
    const gzippedForged = await hub.api
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('Content-Encoding', 'gzip')
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, connection.webhookUrl, params))
      .serialize((body: Buffer) => body as unknown as string)
      .send(gzipSync(new URLSearchParams({ ...params, CallStatus: 'busy' }).toString()));
    expect(gzippedForged.status).toBe(401);
    // A body that claims gzip but is not: a clear 400, nothing stored.
    const corrupt = await hub.api
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('Content-Encoding', 'gzip')
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, connection.webhookUrl, params))
      .serialize((body: Buffer) => body as unknown as string)
      .send(gzipSync(new URLSearchParams(params).toString()).subarray(0, 12));
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.code).toBe('invalid_encoding');
    const events = await hub.api.get(`/v1/connections/${connection.id}/events`).set(tenant.auth);
    expect(events.body.data).toHaveLength(4);
    for (const method of ['get', 'put', 'delete'] as const) {
      const res = await hub.api[method](path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const nested = await hub.api.post(`${path}/more`).set('Content-Type', 'application/x-www-form-urlencoded').send('a=b');
    expect(nested.status).toBe(404);
    const badEscape = await postTwilio(hub.api, 'https://hub.test.example/webhooks/twilio/%E0%A4%A', d);
    expect(badEscape.status).toBe(404);
  });

  it('stores nothing of a delivery whose client goes away mid-body, and keeps serving', async () => {
    const tenant = await hub.tenant({ name: 'Aborted' });
    const created = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const connection = created.body as { id: string; webhookUrl: string };
    const server = http.createServer(createApp(hub.deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const params = { ...twilioFixture('inbound_answered').deliveries[0]!.params, CallSid: 'CA00000000000000000000000000000201' };
      const body = new URLSearchParams(params).toString();
      const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, connection.webhookUrl, params);
      const head = [
        `POST ${new URL(connection.webhookUrl).pathname} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Content-Type: application/x-www-form-urlencoded',
        `X-Twilio-Signature: ${signature}`,
        `Content-Length: ${body.length}`,
      ].join('\r\n');
      // Half the body, then the client is gone.
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`${head}\r\n\r\n${body.slice(0, body.length >> 1)}`, () => setTimeout(() => { socket.destroy(); resolve(); }, 50));
        });
        socket.on('error', reject);
      });
      // The whole delivery, on a fresh connection: answered and stored once.
      const whole = await fetch(`http://127.0.0.1:${port}${new URL(connection.webhookUrl).pathname}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
        body,
      });
      expect(whole.status).toBe(200);
      const events = await hub.api.get(`/v1/connections/${connection.id}/events`).set(tenant.auth);
      expect(events.body.data).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps a signed but unreadable delivery as failed, visible and reprocessable', async () => {
    const res = await postTwilio(hub.api, connection.webhookUrl, { url: '', headers: {}, params: { Hello: 'world' } });
    expect(res.status).toBe(200);
    await hub.settle(tenantA.apiKey);
    const failed = await hub.api.get(`/v1/connections/${connection.id}/events?status=failed`).set(tenantA.auth);
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0].error).toMatch(/not a Twilio call webhook/);
    const again = await hub.api.post(`/v1/connections/${connection.id}/events/${failed.body.data[0].id as string}/reprocess`).set(tenantA.auth);
    expect(again.status).toBe(202);
    await hub.settle(tenantA.apiKey);
    const still = await hub.api.get(`/v1/connections/${connection.id}/events?status=failed`).set(tenantA.auth);
    expect(still.body.data).toHaveLength(1);
    // Processed once more (still unreadable), not merely left as it was.
    expect([failed.body.data[0].attempts, still.body.data[0].attempts]).toEqual([1, 2]);
  });
});

/**
 * The three fixture calls of tenant A, for the describe blocks that read them: posting them again
 * is a no-op once stored (re-deliveries are deduplicated), so each block runs alone too.
 */
async function fixtureCalls(): Promise<void> {
  for (const name of ['inbound_answered', 'inbound_abandoned', 'outbound']) {
    for (const d of twilioFixture(name).deliveries) expect((await postTwilio(hub.api, connection.webhookUrl, d)).status).toBe(200);
  }
  await hub.settle(tenantA.apiKey);
}

describe('tenant isolation', () => {
  beforeAll(fixtureCalls);

  it("tenant B sees none of tenant A's calls or connections", async () => {
    const calls = await hub.api.get('/v1/calls').set(tenantA.auth);
    const callId = calls.body.data[0].id as string;
    expect((await hub.api.get(`/v1/calls/${callId}`).set(tenantB.auth)).status).toBe(404);
    expect((await hub.api.get(`/v1/connections/${connection.id}`).set(tenantB.auth)).status).toBe(404);
    expect((await hub.api.delete(`/v1/connections/${connection.id}`).set(tenantB.auth)).status).toBe(404);
    expect((await hub.api.get(`/v1/connections/${connection.id}/events`).set(tenantB.auth)).status).toBe(404);
    expect((await hub.api.post(`/v1/connections/${connection.id}/backfill`).set(tenantB.auth).send({ from: '2025-03-01', to: '2025-03-02' })).status).toBe(404);
    expect((await hub.api.get('/v1/calls').set(tenantB.auth)).body.data).toEqual([]);
    expect((await hub.api.get('/v1/connections').set(tenantB.auth)).body.data).toEqual([]);
  });
});

describe('calls API', () => {
  beforeAll(fixtureCalls);

  it('paginates with a stable cursor and filters', async () => {
    const page1 = await hub.api.get('/v1/calls?limit=2').set(tenantA.auth);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await hub.api.get(`/v1/calls?limit=2&cursor=${page1.body.nextCursor as string}`).set(tenantA.auth);
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    const ids = [...page1.body.data, ...page2.body.data].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(3);
    const outbound = await hub.api.get('/v1/calls?direction=outbound').set(tenantA.auth);
    expect(outbound.body.data.map((c: { status: string }) => c.status)).toEqual(['answered']);
    const abandoned = await hub.api.get('/v1/calls?status=abandoned&from=2025-03-10T15:00:00Z&to=2025-03-10T16:00:00Z').set(tenantA.auth);
    expect(abandoned.body.data).toHaveLength(1);
    const alice = await hub.api.get('/v1/calls?agentId=agent_alice').set(tenantA.auth);
    expect(alice.body.data).toHaveLength(1);
  });

  it('rejects bad query parameters and cursors with 400', async () => {
    const bad = await hub.api.get('/v1/calls?limit=0&direction=sideways').set(tenantA.auth);
    expect(bad.status).toBe(400);
    expect((bad.body.error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(['query.direction', 'query.limit']);
    const cursor = await hub.api.get('/v1/calls?cursor=garbage').set(tenantA.auth);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.code).toBe('invalid_cursor');
    const noKey = await hub.api.get('/v1/calls');
    expect(noKey.status).toBe(401);
  });
});

describe('OpenAPI, docs and dashboard', () => {
  it('describes every route of the contract', async () => {
    const res = await hub.api.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths as object);
    for (const p of [
      '/v1/tenants', '/v1/connections', '/v1/connections/{id}', '/v1/connections/{id}/backfill', '/webhooks/{provider}/{connectionId}',
      '/v1/calls', '/v1/calls/{id}', '/v1/campaigns', '/v1/crm/contacts', '/v1/crm/deals', '/v1/costs', '/v1/surveys', '/v1/kpis',
      '/v1/roi', '/v1/subscriptions', '/v1/alerts', '/dashboard', '/healthz', '/readyz', '/metrics', '/v1/status',
    ]) {
      expect(paths, p).toContain(p);
    }
    const calls = res.body.paths['/v1/calls'].get;
    expect(calls.parameters.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['from', 'to', 'provider', 'direction', 'status', 'agentId', 'campaignId', 'updatedSince', 'cursor', 'limit']));
  });
  it('renders the docs and the dashboard', async () => {
    const docs = await hub.api.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui-bundle.js');
    expect((await hub.api.get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
    const dash = await hub.api.get('/dashboard');
    expect(dash.status).toBe(200);
    expect(dash.text).toContain('ROI by campaign');
    expect((await hub.api.get('/dashboard/app.js')).text).toContain('/v1/kpis?groupBy=day');
  });
  it('serves health, readiness and metrics', async () => {
    expect((await hub.api.get('/healthz')).body).toEqual({ status: 'ok' });
    // Details (which name internal addresses when a check fails) only with the admin token.
    expect((await hub.api.get('/readyz')).body).toEqual({ status: 'ok' });
    expect((await hub.api.get('/readyz').set('Authorization', `Bearer ${hub.adminToken}`)).body).toMatchObject({ status: 'ok', database: 'ok', queue: 'ok' });
    const metrics = await hub.api.get('/metrics');
    expect(metrics.text).toContain('callroi_webhooks_total');
  });
});
