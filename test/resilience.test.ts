/**
 * Nothing acknowledged is ever lost: PostgreSQL down → 503 (the provider retries); Redis down → 2xx
 * and the sweeper processes the event once Redis is back; a worker killed mid-job loses nothing.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseUrl, hostPort, redisUrl, runTag, viaLocalPort } from './helpers/env.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { TcpProxy } from './helpers/proxy.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture, type TwilioDelivery } from './helpers/twilio.js';

const hubs: TestHub[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
  for (const h of hubs.splice(0)) await h.close().catch(() => undefined);
});

async function connect(hub: TestHub) {
  const tenant = await hub.tenant();
  const res = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  return { tenant, webhookUrl: res.body.webhookUrl as string, connectionId: res.body.id as string };
}

/** The fixture call again under other Call SIDs (so many distinct calls can be made from one). */
function renamed(deliveries: TwilioDelivery[], n: number): TwilioDelivery[] {
  const suffix = n.toString(16).padStart(6, '0');
  return deliveries.map((d) => {
    const params = Object.fromEntries(
      Object.entries(d.params).map(([k, v]) => [k, /^CA[0-9a-f]{32}$/.test(v) ? `${v.slice(0, 28)}${suffix}` : v]),
    );
    const token = d.headers['I-Twilio-Idempotency-Token'];
    const headers: Record<string, string> = token ? { 'I-Twilio-Idempotency-Token': `${token.slice(0, 30)}${suffix}` } : {};
    return { ...d, params, headers };
  });
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('PostgreSQL unreachable', () => {
  it('answers 503 (never 2xx) and accepts again once it is back', async () => {
    const base = await createTestHub({ workers: false });
    hubs.push(base);
    const { webhookUrl } = await connect(base);
    // A second hub process on the same database, reaching PostgreSQL through a proxy we can cut.
    const database = databaseUrl(base.databaseName!);
    const proxy = new TcpProxy(hostPort(database).host, hostPort(database).port);
    proxies.push(proxy);
    const port = await proxy.start();
    const hub = await createTestHub({ workers: false, env: { DATABASE_URL: viaLocalPort(database, port), ADMIN_TOKEN: base.adminToken, ENCRYPTION_KEY: base.config.ENCRYPTION_KEY! } });
    hubs.push(hub);
    const d = twilioFixture('inbound_answered').deliveries[0]!;
    await proxy.stop();
    const down = await postTwilio(hub.api, webhookUrl, d);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('service_unavailable');
    const ready = await hub.api.get('/readyz');
    expect(ready.status).toBe(503);
    await proxy.start();
    const up = await postTwilio(hub.api, webhookUrl, d);
    expect(up.status).toBe(200);
  });
});

describe('Redis unreachable', () => {
  it('still acknowledges, and the sweeper processes the event once Redis is back', async () => {
    const proxy = new TcpProxy(hostPort(redisUrl()).host, hostPort(redisUrl()).port);
    proxies.push(proxy);
    const port = await proxy.start();
    const hub = await createTestHub({ env: { REDIS_URL: viaLocalPort(redisUrl(), port) } });
    hubs.push(hub);
    const { tenant, webhookUrl } = await connect(hub);
    await proxy.stop();
    for (const d of twilioFixture('outbound').deliveries) {
      const res = await postTwilio(hub.api, webhookUrl, d);
      expect(res.status).toBe(200);
    }
    const pending = await hub.api.get('/v1/status').set(tenant.auth);
    expect(pending.body.pending.events).toBe(6);
    expect((await hub.api.get('/v1/calls').set(tenant.auth)).body.data).toEqual([]);
    await proxy.start();
    await hub.settle(tenant.apiKey, 30_000);
    const calls = await hub.api.get('/v1/calls').set(tenant.auth);
    expect(calls.body.data).toHaveLength(1);
    expect(calls.body.data[0]).toMatchObject({ direction: 'outbound', status: 'answered', talkSeconds: 370, waitSeconds: 9 });
  });
});

describe('a worker killed mid-job', () => {
  it('loses nothing: another worker finishes every event', async () => {
    const hub = await createTestHub({ workers: false });
    hubs.push(hub);
    const { tenant, webhookUrl } = await connect(hub);
    // Its keys go with the hub that shares the prefix (TestHub.close).
    const prefix = `callroi-kill-${runTag()}-${Date.now()}`;
    // The API enqueues onto the prefix the separate worker processes listen to.
    const api = await createTestHub({
      workers: false,
      env: { DATABASE_URL: hub.config.DATABASE_URL!, ADMIN_TOKEN: hub.adminToken, ENCRYPTION_KEY: hub.config.ENCRYPTION_KEY!, QUEUE_PREFIX: prefix },
      deps: { queuePrefix: prefix },
    });
    hubs.push(api);
    const env = {
      ...process.env,
      DATABASE_URL: hub.config.DATABASE_URL,
      REDIS_URL: hub.config.REDIS_URL,
      ENCRYPTION_KEY: hub.config.ENCRYPTION_KEY,
      ADMIN_TOKEN: hub.adminToken,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '4',
      JOB_LOCK_SECONDS: '3',
    };
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], { env, stdio: 'ignore' });
    const calls = 40;
    const base = twilioFixture('inbound_answered').deliveries;
    for (let i = 0; i < calls; i++) {
      for (const d of renamed(base, i)) expect((await postTwilio(api.api, webhookUrl, d)).status).toBe(200);
    }
    // Kill it while it works through the backlog.
    await waitFor(async () => {
      const s = await api.api.get('/v1/status').set(tenant.auth);
      return s.body.pending.events < calls * base.length;
    });
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const left = (await api.api.get('/v1/status').set(tenant.auth)).body.pending.events as number;
    expect(left).toBeGreaterThan(0);
    // A fresh worker (short lock so stalled jobs come back quickly) finishes everything.
    const rescuer = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], { env, stdio: 'ignore' });
    try {
      await waitFor(async () => {
        const s = await api.api.get('/v1/status').set(tenant.auth);
        return s.body.pending.events === 0;
      }, 90_000);
    } finally {
      rescuer.kill('SIGTERM');
      await new Promise((r) => rescuer.once('exit', r));
    }
    const all = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: unknown[]; nextCursor: string | null } } = await api.api
        .get(`/v1/calls?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        .set(tenant.auth);
      all.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(calls);
    for (const c of all) expect(c).toMatchObject({ status: 'answered', waitSeconds: 14, talkSeconds: 255, agent: { id: 'agent_alice' } });
  }, 150_000);
});
