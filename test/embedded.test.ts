/**
 * The embedded default (what `npm start` runs without DATABASE_URL / REDIS_URL): PGlite in the data
 * folder, jobs in-process. Same flow, and a restart finishes what a crash left pending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

const dataDir = mkdtempSync(join(tmpdir(), 'callroi-embedded-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('embedded PGlite with in-process jobs', () => {
  it('runs the whole flow, and a restart processes what was left pending', async () => {
    const env = { DATA_DIR: dataDir, ENCRYPTION_KEY: 'q8Y0n2yZ6hR6QvY0mS9o8dC2x0mN1bF3kP7tW5eL4aQ=' };
    // First life: API only (as if the process died before its jobs ran).
    const first = await createTestHub({ embedded: true, workers: false, env });
    expect(first.deps.database.kind).toBe('pglite');
    expect(first.deps.queue.kind).toBe('inline');
    const tenant = await first.tenant();
    const conn = await first.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    expect(conn.status).toBe(201);
    for (const d of twilioFixture('inbound_abandoned').deliveries) {
      expect((await postTwilio(first.api, conn.body.webhookUrl as string, d)).status).toBe(200);
    }
    expect((await first.api.get('/v1/status').set(tenant.auth)).body.pending.events).toBe(4);
    await first.deps.close();

    // Second life on the same data folder, with workers: the start-up sweep takes the orphans.
    const second = await createTestHub({ embedded: true, env });
    try {
      await second.settle(tenant.apiKey);
      for (const d of twilioFixture('inbound_answered').deliveries) {
        expect((await postTwilio(second.api, conn.body.webhookUrl as string, d)).status).toBe(200);
      }
      await second.settle(tenant.apiKey);
      const calls = await second.api.get('/v1/calls').set(tenant.auth);
      expect(calls.body.data.map((c: { status: string }) => c.status).sort()).toEqual(['abandoned', 'answered']);
      const abandoned = calls.body.data.find((c: { status: string }) => c.status === 'abandoned');
      expect(abandoned).toMatchObject({ waitSeconds: 47, queue: { id: 'QU770e74b876c310aebdce2e7d65b529af' }, agent: null });
    } finally {
      await second.close();
    }
  }, 120_000);
});
