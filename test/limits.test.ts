/**
 * Hostile input and clients: bodies nested 5 000 deep, oversized bodies (each route names its own
 * limit), slow or piled-up connections, probes of /readyz, and API keys that must be rotated or
 * revoked.
 */
import fc from 'fast-check';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { jsonTooDeep } from '../src/http/json-depth.js';
import { createHttpServer } from '../src/http/server.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ workers: false });
});
afterAll(async () => hub?.close());

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('nesting', () => {
  it('measures depth outside strings only', () => {
    expect(jsonTooDeep(deep(64))).toBe(false);
    expect(jsonTooDeep(deep(65))).toBe(true);
    expect(jsonTooDeep(JSON.stringify({ a: '['.repeat(5000), b: '\\"[[[' }))).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ a: '\\', b: [[[[]]]] }), 5)).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ a: '\\', b: [[[[]]]] }), 4)).toBe(true);
  });

  it('agrees with the depth of the parsed value, whatever the number of brackets (the count bound is exact)', () => {
    const depthOf = (v: unknown): number =>
      v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0;
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') }), fc.integer(), fc.constant(null)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), (v, max) => {
        const text = JSON.stringify(v);
        expect(jsonTooDeep(text, max)).toBe(depthOf(v) > max);
        expect(jsonTooDeep(Buffer.from(text), max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 2000 },
    );
    // Many brackets, shallow: past the count, the byte walk decides.
    expect(jsonTooDeep(JSON.stringify(Array.from({ length: 200 }, () => [{}])))).toBe(false);
  });

  it('answers 400 to a 5 000-deep valid webhook body and stores nothing', async () => {
    const tenant = await hub.tenant();
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'aircall', credentials: { apiId: 'a', apiToken: 'b', webhookToken: 'wh-token' } });
    const body = `{"event":"call.created","token":"wh-token","timestamp":1741615214,"data":${'{"x":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    JSON.parse(body); // valid JSON
    const res = await hub.api.post(new URL(conn.body.webhookUrl as string).pathname).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('too_deeply_nested');
    const events = await hub.api.get(`/v1/connections/${conn.body.id as string}/events`).set(tenant.auth);
    expect(events.body.data).toEqual([]);
  });

  it('answers 400 to a 5 000-deep /v1 body', async () => {
    const tenant = await hub.tenant();
    const res = await hub.api.post('/v1/crm/deals').set(tenant.auth).set('Content-Type', 'application/json').send(`{"deals":${deep(5000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('too_deeply_nested');
    expect((await hub.api.get('/v1/crm/deals').set(tenant.auth)).body.data).toEqual([]);
  });
});

describe('body limits', () => {
  it('names the limit of the route that refused the body', async () => {
    const tenant = await hub.tenant();
    const api = await hub.api.post('/v1/crm/deals').set(tenant.auth).set('Content-Type', 'application/json').send(`{"deals":[],"pad":"${'x'.repeat(11 * 1024 * 1024)}"}`);
    expect(api.status).toBe(413);
    expect(api.body.error.message).toContain('10 MB (10485760 bytes)');
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'aircall', credentials: { apiId: 'a', apiToken: 'b', webhookToken: 'wh-token' } });
    const hook = await hub.api
      .post(new URL(conn.body.webhookUrl as string).pathname)
      .set('Content-Type', 'application/json')
      .send(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    expect(hook.status).toBe(413);
    expect(hook.body.error.message).toContain('1 MB (1048576 bytes)');
  });
});

describe('the HTTP server', () => {
  it('closes a client that sends its headers too slowly, and caps open connections', async () => {
    const server = createHttpServer(createApp(hub.deps), { headersTimeoutMs: 500, requestTimeoutMs: 1000, maxConnections: 3 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const sockets: net.Socket[] = [];
    try {
      // A slowloris client: one header line, then nothing.
      const slow = net.connect(port, '127.0.0.1');
      sockets.push(slow);
      let answer = '';
      slow.on('data', (d: Buffer) => (answer += d.toString()));
      slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      await new Promise((r) => slow.once('close', r));
      expect(answer).toMatch(/^HTTP\/1\.1 408/);

      // Three idle sockets fill the cap; a fourth is closed on accept without an answer.
      const idle = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<net.Socket>((resolve) => {
              const s = net.connect(port, '127.0.0.1', () => resolve(s));
              sockets.push(s);
            }),
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      const extra = net.connect(port, '127.0.0.1');
      sockets.push(extra);
      let extraData = '';
      extra.on('data', (d: Buffer) => (extraData += d.toString()));
      extra.on('error', () => undefined);
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => extra.once('close', r));
      expect(extraData).toBe('');
      for (const s of idle) s.destroy();
    } finally {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('/readyz', () => {
  it('answers its status to anyone and its details only to the operator', async () => {
    expect((await hub.api.get('/readyz')).body).toEqual({ status: 'ok' });
    expect((await hub.api.get('/readyz').set('Authorization', 'Bearer not-the-admin-token-0000')).body).toEqual({ status: 'ok' });
    const admin = await hub.api.get('/readyz').set('Authorization', `Bearer ${hub.adminToken}`);
    expect(admin.body).toMatchObject({ status: 'ok', database: 'ok', queue: 'ok' });
  });
});

describe('API keys', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Key lookups are cached for 5 s per process; rotation clears this process's cache.
  it('rotates: the old key works through the grace period, then not; the new key at once', async () => {
    const tenant = await hub.tenant();
    const rotated = await hub.api.post('/v1/tenants/current/keys').set(tenant.auth).send({ graceSeconds: 2 });
    expect(rotated.status).toBe(201);
    const fresh = { Authorization: `Bearer ${rotated.body.apiKey as string}` };
    expect(rotated.body.apiKey).not.toBe(tenant.apiKey);
    expect(Date.parse(rotated.body.previousKeyExpiresAt as string)).toBeGreaterThan(Date.now());
    expect((await hub.api.get('/v1/tenants/current').set(fresh)).body.id).toBe(tenant.id);
    expect((await hub.api.get('/v1/tenants/current').set(tenant.auth)).body.id).toBe(tenant.id);
    // After the grace period (and the lookup cache) the old key is refused.
    let status = 200;
    for (let i = 0; i < 200 && status === 200; i++) {
      await wait(100);
      status = (await hub.api.get('/v1/tenants/current').set(tenant.auth)).status;
    }
    expect(status).toBe(401);
    expect((await hub.api.get('/v1/tenants/current').set(fresh)).status).toBe(200);
  });

  it('revokes the previous key at once, or with a grace of 0', async () => {
    const tenant = await hub.tenant();
    const rotated = await hub.api.post('/v1/tenants/current/keys').set(tenant.auth).send({});
    const fresh = { Authorization: `Bearer ${rotated.body.apiKey as string}` };
    expect((await hub.api.get('/v1/tenants/current').set(tenant.auth)).status).toBe(200);
    expect((await hub.api.delete('/v1/tenants/current/keys/previous').set(fresh)).status).toBe(204);
    expect((await hub.api.get('/v1/tenants/current').set(tenant.auth)).status).toBe(401);
    const again = await hub.api.post('/v1/tenants/current/keys').set(fresh).send({ graceSeconds: 0 });
    expect(again.body.previousKeyExpiresAt).toBeNull();
    expect((await hub.api.get('/v1/tenants/current').set(fresh)).status).toBe(401);
    expect((await hub.api.get('/v1/tenants/current').set({ Authorization: `Bearer ${again.body.apiKey as string}` })).status).toBe(200);
    expect((await hub.api.post('/v1/tenants/current/keys').set(fresh).send({ graceSeconds: -1 })).status).toBe(401);
    const bad = await hub.api.post('/v1/tenants/current/keys').set({ Authorization: `Bearer ${again.body.apiKey as string}` }).send({ graceSeconds: -1 });
    expect(bad.status).toBe(400);
  });
});
