/**
 * Retention of raw webhook deliveries: processed ones older than INBOX_RETENTION_DAYS are deleted in
 * small batches, failed ones are kept until reprocessed or 90 days, pending ones always; calls stay;
 * webhooks keep being acknowledged while a backlog is deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneInbox } from '../src/jobs/retention.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;
let connectionId: string;
let webhookUrl: string;

beforeAll(async () => {
  // No sweeper during the test: it would take the seeded pending rows (they are the ones to keep).
  hub = await createTestHub({ env: { SWEEP_AFTER_SECONDS: '3600' } });
  tenant = await hub.tenant();
  const res = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  connectionId = res.body.id as string;
  webhookUrl = res.body.webhookUrl as string;
});
afterAll(async () => {
  await hub?.close();
});

/** `n` stored deliveries of `status`, received `days` ago, tagged for counting. */
async function seed(tag: string, status: string, days: number, n: number): Promise<void> {
  await hub.deps.database.query(
    `insert into webhook_events (id, tenant_id, connection_id, provider, dedupe_key, status, headers, query, body, received_at, processed_at)
     select gen_random_uuid(), $1, $2, 'twilio', $3 || ':' || i, $4, '{}', '{}', '', now() - make_interval(days => $5), now()
     from generate_series(1, $6) as i`,
    [tenant.id, connectionId, tag, status, days, n],
  );
}

async function left(tag: string): Promise<number> {
  const [row] = await hub.deps.database.query<{ n: string }>(`select count(*) as n from webhook_events where dedupe_key like $1`, [`${tag}:%`]);
  return Number(row!.n);
}

describe('inbox retention', () => {
  it('deletes processed deliveries past the retention, keeps failed ones 90 days and pending ones always', async () => {
    // The real calls of the connection stay whatever happens to their raw deliveries.
    for (const d of twilioFixture('inbound_answered').deliveries) expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    await hub.settle(tenant.apiKey);
    await hub.deps.database.query(`update webhook_events set received_at = now() - interval '45 days'`, []);
    await seed('old-processed', 'processed', 31, 23);
    await seed('recent-processed', 'processed', 29, 5);
    await seed('old-failed', 'failed', 40, 4);
    await seed('ancient-failed', 'failed', 91, 3);
    await seed('old-pending', 'pending', 200, 2);

    const deleted = await pruneInbox(hub.deps.database.db, { retentionDays: 30, batchSize: 7, pauseMs: 0 });
    expect(await left('old-processed')).toBe(0);
    expect(await left('recent-processed')).toBe(5);
    expect(await left('old-failed')).toBe(4);
    expect(await left('ancient-failed')).toBe(0);
    expect(await left('old-pending')).toBe(2);
    const [rest] = await hub.deps.database.query<{ n: string }>(`select count(*) as n from webhook_events where dedupe_key not like '%:%'`, []);
    expect(Number(rest!.n)).toBe(0);
    expect(deleted).toBeGreaterThanOrEqual(23 + 3);
    const calls = await hub.api.get('/v1/calls').set(tenant.auth);
    expect(calls.body.data).toHaveLength(1);
    expect(calls.body.data[0]).toMatchObject({ status: 'answered' });
    // Nothing left to do: a second run deletes nothing.
    expect(await pruneInbox(hub.deps.database.db, { retentionDays: 30, batchSize: 7, pauseMs: 0 })).toBe(0);
    await hub.deps.database.query(`delete from webhook_events where dedupe_key like '%:%'`, []);
  });

  it('keeps acknowledging webhooks while a backlog is deleted', async () => {
    await seed('backlog', 'processed', 60, 5000);
    const pruning = pruneInbox(hub.deps.database.db, { retentionDays: 30, batchSize: 100, pauseMs: 0 });
    const deliveries = twilioFixture('outbound').deliveries;
    const answers = await Promise.all(deliveries.map((d) => postTwilio(hub.api, webhookUrl, d)));
    expect(answers.map((a) => a.status)).toEqual(deliveries.map(() => 200));
    expect(await pruning).toBeGreaterThanOrEqual(5000);
    expect(await left('backlog')).toBe(0);
    await hub.settle(tenant.apiKey);
    expect((await hub.api.get('/v1/calls').set(tenant.auth)).body.data).toHaveLength(2);
  });
});
