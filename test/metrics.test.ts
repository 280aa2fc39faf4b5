/**
 * GET /metrics (Prometheus): the provider label on every webhook outcome (failed signatures too),
 * queue depth and the oldest waiting job per queue, job failures, outbound deliveries by outcome,
 * inbox rows by status; and a worker's own counters on METRICS_PORT.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import nock from 'nock';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl, redisUrl, runTag } from './helpers/env.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { deleteRedisPrefix } from './helpers/redis.js';
import { closedPort, startHub, stopHub, waitForOutput } from './helpers/spawn.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

const hubs: TestHub[] = [];
afterAll(async () => {
  nock.enableNetConnect();
  for (const h of hubs) await h.close();
});

/** The value of one sample (`name{labels}`) in a Prometheus text exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const got = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

async function scrape(hub: TestHub): Promise<string> {
  const res = await hub.api.get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
}

async function twilioConnection(hub: TestHub) {
  const tenant = await hub.tenant();
  const conn = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  return { tenant, id: conn.body.id as string, webhookUrl: conn.body.webhookUrl as string };
}

describe('webhook outcomes', () => {
  it('carry the provider label, failed signatures included', async () => {
    const hub = await createTestHub({ workers: false });
    hubs.push(hub);
    const { webhookUrl } = await twilioConnection(hub);
    const before = await scrape(hub);
    const d = twilioFixture('inbound_answered').deliveries[0]!;
    expect((await postTwilio(hub.api, webhookUrl, d, { tamper: true })).status).toBe(401);
    expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    const after = await scrape(hub);
    const count = (text: string, outcome: string) => sample(text, 'callroi_webhooks_total', { provider: 'twilio', outcome });
    expect(count(after, '401') - count(before, '401')).toBe(1);
    expect(count(after, '200') - count(before, '200')).toBe(1);
    expect(after).not.toMatch(/callroi_webhooks_total\{[^}]*provider=""/);
    // Durations under the route's path, refused deliveries included.
    const timed = (text: string, status: string) =>
      sample(text, 'callroi_http_request_duration_seconds_count', { route: '/webhooks/:provider/:connectionId', status });
    expect(timed(after, '401') - timed(before, '401')).toBe(1);
    expect(timed(after, '200') - timed(before, '200')).toBe(1);
  });
});

describe('queues and the inbox', () => {
  it('report queue depth, the oldest waiting job, and inbox rows by status', async () => {
    // No workers: the events wait in the queue.
    const prefix = `callroi-metrics-${runTag()}-${randomBytes(4).toString('hex')}`;
    const hub = await createTestHub({ workers: false, deps: { queuePrefix: prefix } });
    hubs.push(hub);
    const { webhookUrl } = await twilioConnection(hub);
    for (const d of twilioFixture('outbound').deliveries) expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    // The fixture delivers one event twice: it is stored (and queued) once.
    const [stored] = await hub.deps.database.query<{ n: string }>('select count(*) as n from webhook_events', []);
    const events = { size: Number(stored!.n) };
    expect(events.size).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 1100));
    const text = await scrape(hub);
    // Their jobs (each of up to 100 deliveries, gathered for up to 50 ms), as BullMQ counts them.
    const queue = new Queue('process-event', { connection: { url: redisUrl() }, prefix });
    const jobs = await queue.getJobs(['waiting']);
    await queue.close();
    expect(jobs.flatMap((j) => j.data.eventIds as string[])).toHaveLength(events.size);
    expect(sample(text, 'callroi_queue_jobs', { queue: 'process-event', state: 'waiting' })).toBe(jobs.length);
    expect(sample(text, 'callroi_queue_oldest_waiting_seconds', { queue: 'process-event' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'callroi_queue_oldest_waiting_seconds', { queue: 'deliver' })).toBe(0);
    expect(sample(text, 'callroi_inbox_events', { status: 'pending' })).toBe(events.size);
    expect(sample(text, 'callroi_inbox_events', { status: 'processed' })).toBe(0);
  });
});

describe('job failures and outbound deliveries', () => {
  it('count failed job attempts by queue and delivery attempts by outcome', async () => {
    const receiver = http.createServer((_req, res) => res.writeHead(500).end('try later'));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      // A local receiver: plain http to loopback, allowed by name as an operator would.
      const port = (receiver.address() as AddressInfo).port;
      const hub = await createTestHub({ env: { ALLOW_HTTP_TARGETS: 'true', OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${port}` }, deps: { deliveryRetryScale: 0.001 } });
      hubs.push(hub);
      const { tenant, id, webhookUrl } = await twilioConnection(hub);
      const before = await scrape(hub);
      const sub = await hub.api
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['call.enriched'] });
      expect(sub.status).toBe(201);
      for (const d of twilioFixture('inbound_abandoned').deliveries) await postTwilio(hub.api, webhookUrl, d);
      await hub.settle(tenant.apiKey);
      // A backfill whose provider is down fails its first attempt (and is retried).
      nock.disableNetConnect();
      nock.enableNetConnect(/127\.0\.0\.1|localhost/);
      nock('https://api.twilio.com').get(/Calls\.json/).times(10).reply(503, { code: 20503, message: 'Service Unavailable' });
      await hub.api.post(`/v1/connections/${id}/backfill`).set(tenant.auth).send({ from: '2025-03-10', to: '2025-03-11' });
      const delta = (after: string, name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
      const deadline = Date.now() + 30_000;
      let after = '';
      for (;;) {
        after = await scrape(hub);
        if (delta(after, 'callroi_job_failures_total', { queue: 'backfill', final: 'false' }) >= 1 && delta(after, 'callroi_outbound_deliveries_total', { outcome: 'retry' }) >= 1) break;
        if (Date.now() > deadline) throw new Error(`counters did not move:\n${after}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(delta(after, 'callroi_outbound_deliveries_total', { outcome: 'delivered' })).toBe(0);
      nock.cleanAll();
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});

describe('a worker process', () => {
  it('serves its own counters on METRICS_PORT, the size of its processing batches among them', async () => {
    const prefix = `callroi-metrics-${runTag()}-${randomBytes(4).toString('hex')}`;
    // The API's queue is the worker's: deliveries stored before the worker starts wait for it.
    const hub = await createTestHub({ workers: false, deps: { queuePrefix: prefix } });
    hubs.push(hub);
    const dir = mkdtempSync(join(tmpdir(), 'callroi-metrics-'));
    const { webhookUrl } = await twilioConnection(hub);
    for (const d of twilioFixture('outbound').deliveries) expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    const [stored] = await hub.deps.database.query<{ n: string }>('select count(*) as n from webhook_events', []);
    const events = Number(stored!.n);
    expect(events).toBeGreaterThan(1);
    const port = await closedPort();
    const worker = startHub('worker', {
      DATABASE_URL: databaseUrl(hub.databaseName!),
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      DATA_DIR: dir,
      ADMIN_TOKEN: hub.adminToken,
      ENCRYPTION_KEY: hub.config.ENCRYPTION_KEY!,
      METRICS_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    try {
      await waitForOutput(worker, 'callroi worker started');
      for (let i = 0; ; i++) {
        const [pending] = await hub.deps.database.query<{ n: string }>(`select count(*) as n from webhook_events where status <> 'processed'`, []);
        if (Number(pending!.n) === 0) break;
        if (i > 300) throw new Error('the worker did not process the stored deliveries');
        await new Promise((r) => setTimeout(r, 100));
      }
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      expect(text).toContain('# TYPE callroi_job_failures_total counter');
      expect(text).toContain('process_cpu_seconds_total');
      // Every stored delivery went through one batch of this process (none failed and went alone).
      const histogram = (suffix: string) => Number(new RegExp(`^callroi_event_batch_events_${suffix} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(histogram('sum')).toBe(events);
      expect(histogram('count')).toBeGreaterThanOrEqual(1);
      expect(histogram('count')).toBeLessThanOrEqual(events);
    } finally {
      expect(await stopHub(worker)).toBe(0);
      rmSync(dir, { recursive: true, force: true });
      await deleteRedisPrefix(prefix);
    }
  });
});
