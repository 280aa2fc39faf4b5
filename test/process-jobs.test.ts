/**
 * One process-event job carries up to a worker's batch of deliveries, gathered from the inbox
 * commits of a few tens of milliseconds (src/jobs/event-jobs.ts). What that must keep: every
 * stored event is in exactly one job, jobs never exceed a batch; the sweeper does not
 * enqueue again an event that waits in the queue, but does bring back one whose job was lost; an
 * event named by two jobs is applied once; a job written by the previous version ({ eventId }) is
 * still processed.
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../src/db/schema/index.js';
import { EventJobs } from '../src/jobs/event-jobs.js';
import { sweepPendingEvents } from '../src/jobs/maintenance.js';
import { EVENTS_PER_BATCH } from '../src/jobs/process-event.js';
import { redisUrl } from './helpers/env.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, twilioInboundCall, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

const hubs: TestHub[] = [];
const queues: Queue[] = [];
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await Promise.all(hubs.map((h) => h.close()));
});

async function twilioHub(workers: boolean) {
  const prefix = `callroi-jobs-${randomBytes(4).toString('hex')}`;
  const hub = await createTestHub({ workers, deps: { queuePrefix: prefix } });
  hubs.push(hub);
  const queue = new Queue('process-event', { connection: { url: redisUrl() }, prefix });
  queues.push(queue);
  const tenant = await hub.tenant({ timezone: 'UTC' });
  const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  return { hub, queue, tenant, webhookUrl: conn.body.webhookUrl as string };
}

const deliveries = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => twilioInboundCall(from + i, new Date(Date.UTC(2025, 4, 6, 9) + i * 60_000), true)).flat();

async function storedIds(hub: TestHub, tenantId: string): Promise<string[]> {
  const rows = await hub.deps.database.db.select({ id: webhookEvents.id }).from(webhookEvents).where(eq(webhookEvents.tenantId, tenantId));
  return rows.map((r) => r.id).sort();
}

describe('process-event jobs', () => {
  let waitingHub: Awaited<ReturnType<typeof twilioHub>>;
  beforeAll(async () => {
    waitingHub = await twilioHub(false);
  });

  it('gathers the ids of several commits into jobs of at most a batch, each id in one job', async () => {
    const { hub, queue } = waitingHub;
    const jobs = new EventJobs(hub.deps.queue, hub.deps.logger);
    const ids: string[] = Array.from({ length: 3 * 48 + 7 }, () => crypto.randomUUID());
    // Three full commits and a small one, as a burst's inbox writes come: 151 ids.
    const before = Date.now();
    for (let i = 0; i < ids.length; i += 48) jobs.add(ids.slice(i, i + 48));
    const after = Date.now();
    const named = async () => (await queue.getJobs(['waiting'])).filter((j) => ids.includes((j.data.eventIds as string[])[0]!));
    for (let tries = 0; (await named()).flatMap((j) => j.data.eventIds as string[]).length < ids.length && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const got = await named();
    // A full batch goes at once, the rest after its gathering time: 100 + 51, in the order given.
    expect(got.map((j) => (j.data.eventIds as string[]).length).sort((a, b) => b - a)).toEqual([EVENTS_PER_BATCH, ids.length - EVENTS_PER_BATCH]);
    expect(got.flatMap((j) => j.data.eventIds as string[]).sort()).toEqual([...ids].sort());
    for (const j of got) expect(j.id).toBe((j.data.eventIds as string[])[0]);
    // Each says when its gathering began, for the worker's own (process-event counts from it).
    for (const j of got) expect(j.data.gatheredAt).toBeGreaterThanOrEqual(before - 1);
    for (const j of got) expect(j.data.gatheredAt).toBeLessThanOrEqual(after + 1);
    await Promise.all(got.map((j) => j.remove()));
  });

  it('puts every stored delivery in exactly one job', async () => {
    const { hub, queue, tenant, webhookUrl } = waitingHub;
    const sent = deliveries(1000, 15);
    const answers = await Promise.all(sent.map((d) => postTwilio(hub.api, webhookUrl, d)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const stored = await storedIds(hub, tenant.id);
    expect(stored).toHaveLength(sent.length);
    // Enqueued once their gathering time is over (acknowledged before: the events are stored).
    const waitingIds = async () => (await queue.getJobs(['waiting'])).flatMap((j) => j.data.eventIds as string[]);
    for (let tries = 0; (await waitingIds()).length < stored.length && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
    const jobs = await queue.getJobs(['waiting']);
    const inJobs = jobs.flatMap((j) => j.data.eventIds as string[]).sort();
    expect(inJobs).toEqual(stored);
    // Each job is named by its first event: enqueueing it again adds nothing.
    for (const j of jobs) expect(j.id).toBe((j.data.eventIds as string[])[0]);
    for (const j of jobs) expect((j.data.eventIds as string[]).length).toBeLessThanOrEqual(EVENTS_PER_BATCH);
  });

  it('sweeps only events that wait in no job, and brings back those whose job was lost', async () => {
    const { hub, queue, tenant } = waitingHub;
    const stored = await storedIds(hub, tenant.id);
    await new Promise((r) => setTimeout(r, 1500));
    // Their jobs wait (no worker runs): nothing is stranded, nothing is enqueued twice.
    const before = await queue.getJobCounts('waiting');
    expect((await sweepPendingEvents(hub.deps.database.db, hub.deps.queue, 0)).found).toBe(0);
    expect(await queue.getJobCounts('waiting')).toEqual(before);
    // Redis lost the jobs: every pending event is found and enqueued again.
    await queue.obliterate({ force: true });
    const swept = await sweepPendingEvents(hub.deps.database.db, hub.deps.queue, 0);
    expect(swept.found).toBe(stored.length);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.flatMap((j) => j.data.eventIds as string[]).sort()).toEqual(stored);
  });

  it('does not sweep the events of a job another worker is running', async () => {
    const { hub, queue, tenant, webhookUrl } = await twilioHub(false);
    const sent = deliveries(3000, 4);
    for (const d of sent) expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    const stored = await storedIds(hub, tenant.id);
    for (let tries = 0; (await queue.getJobs(['waiting'])).flatMap((j) => j.data.eventIds as string[]).length < stored.length && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Another worker holds every job, running: nothing waits in the queue.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const other = new Worker('process-event', () => held, { connection: { url: redisUrl() }, prefix: queue.opts.prefix, concurrency: 50 });
    try {
      for (let tries = 0; (await queue.getJobCounts('waiting')).waiting! > 0 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
      expect((await queue.getJobs(['active'])).flatMap((j) => j.data.eventIds as string[]).sort()).toEqual(stored);
      await new Promise((r) => setTimeout(r, 1500));
      // A worker starting now sweeps everything pending and older than the oldest unfinished job: none.
      expect((await sweepPendingEvents(hub.deps.database.db, hub.deps.queue, 0)).found).toBe(0);
    } finally {
      release();
      await other.close();
    }
  });

  it('applies an event named by several jobs once, and still reads a job of the previous version', async () => {
    const { hub, tenant, webhookUrl } = await twilioHub(true);
    const sent = deliveries(2000, 3);
    for (const d of sent) expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    await hub.settle(tenant.apiKey);
    const ids = await storedIds(hub, tenant.id);
    // Reprocessing by hand: the events are pending again, and named by three jobs at once, one of
    // them in the previous version's payload.
    await hub.deps.database.db.update(webhookEvents).set({ status: 'pending' }).where(eq(webhookEvents.tenantId, tenant.id));
    await Promise.all([
      hub.deps.queue.enqueue('process-event', { eventIds: ids }, { jobId: `again-a-${ids[0]}` }),
      hub.deps.queue.enqueue('process-event', { eventIds: [...ids].reverse() }, { jobId: `again-b-${ids[0]}` }),
      ...ids.map((id) => hub.deps.queue.enqueue('process-event', { eventId: id }, { jobId: `legacy-${id}` })),
    ]);
    await hub.settle(tenant.apiKey);
    const rows = await hub.deps.database.query<{ status: string; attempts: number }>('select status, attempts from webhook_events where tenant_id = $1', [tenant.id]);
    // Processed once when first sent, once again now: never by two jobs.
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['processed', 2]));
    const calls = await hub.api.get('/v1/calls?limit=100').set(tenant.auth);
    expect(calls.body.data).toHaveLength(3);
    expect((calls.body.data as { status: string }[]).every((c) => c.status === 'answered')).toBe(true);
  });
});
