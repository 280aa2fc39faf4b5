/**
 * A webhook the provider dropped is repaired by the scheduled reconciliation, which re-reads the last
 * hours of calls through the provider's REST API and merges them like webhooks.
 */
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleReconciliation } from '../src/jobs/maintenance.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

const page = JSON.parse(readFileSync(new URL('./fixtures/twilio/rest_calls_page.json', import.meta.url), 'utf8')) as {
  response: Record<string, unknown> & { calls: Record<string, unknown>[] };
};

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await hub?.close();
});

describe('reconciliation', () => {
  it('repairs a call whose final webhooks never arrived, once per period', async () => {
    const tenant = await hub.tenant();
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    // Only the first deliveries of the outbound call arrive: the call looks still in progress.
    for (const d of twilioFixture('outbound').deliveries.slice(0, 4)) await postTwilio(hub.api, conn.body.webhookUrl as string, d);
    await hub.settle(tenant.apiKey);
    const before = await hub.api.get('/v1/calls').set(tenant.auth);
    expect(before.body.data[0]).toMatchObject({ status: 'in_progress', endedAt: null });

    const rest = nock('https://api.twilio.com')
      .get(`/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json`)
      .query((q) => 'StartTime>' in q && 'StartTime<' in q)
      .reply(200, { ...page.response, calls: page.response.calls.slice(0, 2), next_page_uri: null });
    const now = new Date();
    expect(await scheduleReconciliation(hub.deps.database.db, hub.deps.queue, 6, 60, now)).toBe(1);
    // The same period again schedules nothing.
    expect(await scheduleReconciliation(hub.deps.database.db, hub.deps.queue, 6, 60, now)).toBe(0);
    await hub.settle(tenant.apiKey);
    for (let i = 0; i < 100 && !rest.isDone(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(rest.isDone()).toBe(true);
    await hub.settle(tenant.apiKey);
    const runs = await hub.api.get(`/v1/connections/${conn.body.id as string}/backfills`).set(tenant.auth);
    expect(runs.body.data[0]).toMatchObject({ kind: 'reconcile', status: 'completed' });
    const after = await hub.api.get('/v1/calls').set(tenant.auth);
    expect(after.body.data).toHaveLength(1);
    expect(after.body.data[0]).toMatchObject({
      status: 'answered',
      direction: 'outbound',
      endedAt: '2025-03-10T16:26:20.000Z',
      waitSeconds: 9,
      talkSeconds: 370,
      telephonyCost: { amount: '0.126', currency: 'USD' },
    });
  });
});
