/**
 * What a worker's batch costs PostgreSQL in round trips (src/jobs/process-event.ts): a fixed number
 * of statements per batch, whatever the number of its events and calls. Each statement is a
 * socket write and a wait, and they were the worker's CPU per event (BENCHMARKS.md, process
 * section): the rows travel as one parameter, the claim marks the events processed and brings
 * their tenants, the calls' locks store their events, the KPI and ROI marks ride along.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { processors } from '../src/deps.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, twilioInboundCall, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

let hub: TestHub;
beforeAll(async () => {
  // No workers: the test runs the job itself, on the batches it chooses.
  hub = await createTestHub({ workers: false, deps: { queuePrefix: `callroi-stmts-${randomBytes(4).toString('hex')}` } });
});
afterAll(async () => hub?.close());

/** The statements `run` sends, in order (their first words). */
async function statementsOf(run: () => Promise<void>): Promise<string[]> {
  const sent: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    sent.push((typeof config === 'string' ? config : (config.text ?? '')).replace(/\s+/g, ' ').trim().slice(0, 60));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = original;
  }
  return sent;
}

describe('a batch of events', () => {
  it('sends the same few statements for 6 events as for 100, and processes them all', async () => {
    const tenant = await hub.tenant({ timezone: 'UTC' });
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    expect(conn.status).toBe(201);
    const start = Date.UTC(2025, 4, 6, 9);
    // Answered inbound calls of known numbers: every listener has something to mark.
    const deliveries = Array.from({ length: 60 }, (_, i) => twilioInboundCall(70_000 + i, new Date(start + i * 60_000), true)).flat();
    for (const d of deliveries) expect((await postTwilio(hub.api, conn.body.webhookUrl as string, d)).status).toBe(200);
    await hub.deps.inbox.drain();
    const pending = (
      await queryRows<{ id: string }>(hub.deps.database.db, sql`select id from webhook_events where tenant_id = ${tenant.id} and status = 'pending' order by received_at, id`)
    ).map((r) => r.id);
    expect(pending.length).toBeGreaterThanOrEqual(112);

    const job = processors(hub.deps)['process-event'];
    // A first batch meets the agent: its row is written once, not by the batches after it.
    await job({ eventIds: pending.slice(0, 6) }, { attempt: 1 } as never);
    const small = await statementsOf(() => job({ eventIds: pending.slice(6, 12) }, { attempt: 1 } as never));
    const large = await statementsOf(() => job({ eventIds: pending.slice(12, 112) }, { attempt: 1 } as never));
    // One read of the deliveries, then the transaction: begin, claim, locks and events, the calls'
    // events and rows, four enrichments (campaign, automation, annotations, lead flags), the calls'
    // write, the KPI marks, agents, lead marks, the ROI deals and days, subscriptions, commit.
    expect(large.length).toBeLessThanOrEqual(17);
    expect(large).toEqual(small);
    const left = await queryRows<{ status: string; n: number }>(
      hub.deps.database.db,
      sql`select status, count(*)::int as n from webhook_events where id = any(${`{${pending.slice(0, 112).join(',')}}`}::uuid[]) group by status`,
    );
    expect(left).toEqual([{ status: 'processed', n: 112 }]);
  }, 120_000);
});
