/**
 * One process-event job carries the deliveries of one inbox commit (src/deps.ts, src/jobs/
 * process-event.ts). What that must keep: every stored event is in a job; the sweeper does not
 * enqueue again an event that waits in the queue, but does bring back one whose job was lost; an
 * event named by two jobs is applied once; a job written by the previous version ({ eventId }) is
 * still processed.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../src/db/schema/index.js';
import { sweepPendingEvents } from '../src/jobs/maintenance.js';
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

  it('puts every stored delivery in exactly one job, a commit per job', async () => {
    const { hub, queue, tenant, webhookUrl } = waitingHub;
    const sent = deliveries(1000, 15);
    const answers = await Promise.all(sent.map((d) => postTwilio(hub.api, webhookUrl, d)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const stored = await storedIds(hub, tenant.id);
    expect(stored).toHaveLength(sent.length);
    const jobs = await queue.getJobs(['waiting']);
    const inJobs = jobs.flatMap((j) => j.data.eventIds as string[]).sort();
    expect(inJobs).toEqual(stored);
    // Each job is named by its first event: enqueueing a commit again adds nothing.
    for (const j of jobs) expect(j.id).toBe((j.data.eventIds as string[])[0]);
    expect(jobs.length).toBeLessThanOrEqual(sent.length);
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
