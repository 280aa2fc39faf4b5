/**
 * An event whose job failed every attempt (the database failed its processing longer than the
 * retry budget) is never stranded: /v1/status counts it as pending, and once the database works
 * again the sweeper gives it a new round of attempts, with no manual step.
 *
 * The fault is injected inside this file's own database: a trigger refuses every update of
 * webhook_events while a switch row exists, so the processing transaction and the attempt to mark
 * the event failed both fail, as they do while PostgreSQL is unreachable.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../src/db/schema/index.js';
import { redisUrl } from './helpers/env.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

const prefix = `callroi-test-${randomBytes(4).toString('hex')}`;
let hub: TestHub;
let queue: Queue;

beforeAll(async () => {
  // Retries 20 ms apart: eight attempts fail within a second instead of a minute.
  hub = await createTestHub({ env: { SWEEP_AFTER_SECONDS: '2' }, deps: { queuePrefix: prefix, workerOptions: { lockDurationMs: 2000, stalledIntervalMs: 1000, backoffMs: 20 } } });
  queue = new Queue('process-event', { connection: { url: redisUrl() }, prefix });
  await hub.deps.database.db.execute(sql.raw(`
    create table fault_switch (on_since timestamptz not null default now());
    create function refuse_while_faulty() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from fault_switch) then raise exception 'injected fault: database unavailable'; end if;
        return new;
      end $$;
    create trigger webhook_events_fault before update on webhook_events for each row execute function refuse_while_faulty();`));
});
afterAll(async () => {
  await queue?.close();
  await hub?.close();
});

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an event whose every attempt failed', () => {
  it('stays pending in /v1/status and is processed once the database works again, with no manual step', async () => {
    const db = hub.deps.database.db;
    const tenant = await hub.tenant();
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    await db.execute(sql`insert into fault_switch default values`);
    const [delivery] = twilioFixture('inbound_answered').deliveries;
    expect((await postTwilio(hub.api, conn.body.webhookUrl, delivery!)).status).toBe(200);
    const [event] = await waitFor('the stored event', () => db.select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id)));

    // Every attempt of a round failed: BullMQ holds the job as failed.
    const failed = await waitFor('a failed round', async () => ((await queue.getJobState(event!.id)) === 'failed' ? await queue.getJob(event!.id) : null));
    expect(failed.attemptsMade).toBe(8);
    const status = await hub.api.get('/v1/status').set(tenant.auth);
    expect(status.body.pending.events).toBe(1);
    const [still] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, event!.id));
    expect(still).toMatchObject({ status: 'pending', attempts: 0 });

    await db.execute(sql`delete from fault_switch`);
    await hub.settle(tenant.apiKey);
    const [done] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, event!.id));
    expect(done).toMatchObject({ status: 'processed', attempts: 1, error: null });
    const calls = await hub.api.get('/v1/calls').set(tenant.auth);
    expect(calls.body.data).toHaveLength(1);
  });
});
