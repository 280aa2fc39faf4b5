/**
 * Noisy neighbours: one tenant's delivery backlog does not hold up another tenant's deliveries, a
 * dead endpoint is paused (its deliveries wait, none lost) and says so, `/v1/status` counts only the
 * asking tenant's work, and provider requests give up on a silent server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { subscriptions } from '../src/db/schema/index.js';
import { PAUSE_AFTER_FAILURES } from '../src/modules/subscriptions/subscriptions.service.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

interface Receiver {
  url: string;
  port: number;
  received: string[];
  close(): Promise<void>;
}

/** A local receiver: answers 204, after `delayMs` (a slow CRM). */
async function receiver(delayMs = 0, port = 0): Promise<Receiver> {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(String(req.headers['webhook-id']));
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const p = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${p}/hook`,
    port: p,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let hub: TestHub;
const receivers: Receiver[] = [];
beforeAll(async () => {
  hub = await createTestHub({
    env: { ALLOW_HTTP_TARGETS: 'true', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', PROVIDER_TIMEOUT_SECONDS: '1' },
    deps: { deliveryRetryScale: 0.0001 },
  });
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await hub?.close();
});

async function subscribe(tenant: { auth: Record<string, string> }, url: string): Promise<string> {
  const res = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url, events: ['call.enriched'] });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** n call.enriched events through the outbox, as the call listeners write them. */
async function emit(tenantId: string, n: number, tag: string): Promise<void> {
  await hub.deps.database.db.transaction(async (tx) => {
    await hub.deps.subscriptions.emit(tx, tenantId, 'call.enriched', Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}` })));
  });
}

async function deliveryStates(tenantId: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string; n: number }>(
    hub.deps.database.db,
    sql`select status, count(*)::int as n from deliveries where tenant_id = ${tenantId} group by status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('outbound deliveries across tenants', () => {
  it("delivers a quiet tenant's event ahead of a noisy tenant's backlog, and counts each tenant's own work", async () => {
    const slow = await receiver(300);
    const fast = await receiver();
    receivers.push(slow, fast);
    const noisy = await hub.tenant();
    const quiet = await hub.tenant();
    const noisySub = await subscribe(noisy, slow.url);
    await subscribe(quiet, fast.url);
    await emit(noisy.id, 600, 'noisy');
    // Let the noisy backlog reach the queue first.
    await waitFor(async () => slow.received.length > 0);
    await emit(quiet.id, 1, 'quiet');
    await waitFor(async () => fast.received.length === 1);
    const noisyLeft = (await deliveryStates(noisy.id)).pending ?? 0;
    // In one FIFO the quiet delivery would wait for every noisy one enqueued before it (a sweep
    // enqueued 200 at a time): at most 400 would be left.
    expect(noisyLeft).toBeGreaterThan(450);
    await waitFor(async () => (await deliveryStates(quiet.id)).delivered === 1);
    const quietStatus = await hub.api.get('/v1/status').set(quiet.auth);
    expect(quietStatus.body.pending).toEqual({ events: 0, jobs: 0 });
    const noisyStatus = await hub.api.get('/v1/status').set(noisy.auth);
    expect(noisyStatus.body.pending.jobs).toBeGreaterThan(0);
    // Stop the backlog: deleting the subscription closes its pending deliveries.
    expect((await hub.api.delete(`/v1/subscriptions/${noisySub}`).set(noisy.auth)).status).toBe(204);
    expect((await deliveryStates(noisy.id)).pending ?? 0).toBe(0);
  }, 120_000);

  it('pauses a dead endpoint after repeated failures, keeps its deliveries, says so, and resumes', async () => {
    // A port with nothing listening: every attempt is refused at once.
    const gone = await receiver();
    const port = gone.port;
    await gone.close();
    const tenant = await hub.tenant();
    const id = await subscribe(tenant, `http://127.0.0.1:${port}/hook`);
    await emit(tenant.id, 30, 'dead');
    const paused = await waitFor(async () => {
      const [row] = await hub.deps.database.db.select().from(subscriptions).where(eq(subscriptions.id, id));
      return row?.pausedAt ? row : null;
    });
    expect(paused.consecutiveFailures).toBeGreaterThanOrEqual(PAUSE_AFTER_FAILURES);
    const view = await hub.api.get(`/v1/subscriptions/${id}`).set(tenant.auth);
    expect(view.body).toMatchObject({ status: 'paused', pausedReason: expect.stringMatching(/paused after \d+ failed attempts in a row/) });
    const log = await hub.api.get(`/v1/subscriptions/${id}/deliveries?limit=500`).set(tenant.auth);
    expect(log.body.data.some((d: { lastError: string | null }) => /endpoint paused after/.test(d.lastError ?? ''))).toBe(true);
    // Nothing lost: every delivery is still pending or (the few that used up their retries) failed.
    const states = await deliveryStates(tenant.id);
    expect((states.pending ?? 0) + (states.failed ?? 0)).toBe(30);
    expect(states.pending ?? 0).toBeGreaterThan(0);
    // A paused endpoint's deliveries wait for the resume: the tenant is not kept "pending" forever.
    await hub.settle(tenant.apiKey);

    const back = await receiver(0, port);
    receivers.push(back);
    const resumed = await hub.api.post(`/v1/subscriptions/${id}/resume`).set(tenant.auth);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('active');
    await waitFor(async () => ((await deliveryStates(tenant.id)).pending ?? 0) === 0);
    const after = await deliveryStates(tenant.id);
    expect(after.delivered).toBe(states.pending);
    expect(new Set(back.received).size).toBe(back.received.length);
  }, 120_000);
});

describe('provider requests', () => {
  it('give up on a silent provider server instead of holding the worker', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => undefined);
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const tenant = await hub.tenant();
      const conn = await hub.api
        .post('/v1/connections')
        .set(tenant.auth)
        .send({ provider: 'aircall', credentials: { apiId: 'a', apiToken: 'b', webhookToken: 'c', baseUrl: `http://127.0.0.1:${port}` } });
      expect(conn.status).toBe(201);
      const check = await hub.api.post(`/v1/connections/${conn.body.id as string}/check`).set(tenant.auth);
      expect(check.status).toBe(200);
      expect(JSON.stringify(check.body.healthDetail)).toMatch(/timeout|aborted/i);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
