/**
 * The worker gathers the events it takes at the same time into one transaction (src/jobs/
 * process-event.ts). When that transaction fails because of one event, every other event of the
 * batch is still processed (each alone), and the bad one keeps its own retries and ends `failed`
 * with its reason, visible and reprocessable.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallChangeListener } from '../src/modules/calls/index.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, twilioInboundCall, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ deps: { queuePrefix: `callroi-batch-${randomBytes(4).toString('hex')}`, workerOptions: { lockDurationMs: 2000, stalledIntervalMs: 1000, backoffMs: 10 } } });
});
afterAll(async () => hub?.close());

describe('batched event processing', () => {
  it('processes every good event of a batch that one bad event made fail, and fails only the bad one', async () => {
    const tenant = await hub.tenant({ timezone: 'UTC' });
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const badNumber = '+14155559999';
    // A listener that cannot take one caller's call: any transaction holding it fails.
    const refusing: CallChangeListener = {
      async onCallsChanged(_tx, changes) {
        if (changes.some((c) => c.after.externalNumber === badNumber)) throw new Error('this call cannot be stored');
      },
    };
    hub.deps.listeners.push(refusing);
    try {
      const start = Date.UTC(2025, 4, 6, 9);
      const deliveries = Array.from({ length: 20 }, (_, i) => twilioInboundCall(90_000 + i, new Date(start + i * 60_000), i % 3 !== 0, i === 6 ? badNumber : undefined)).flat();
      // All at once: the worker takes them together, so the bad call (abandoned: one delivery)
      // shares batches with good ones.
      const answers = await Promise.all(deliveries.map((d) => postTwilio(hub.api, conn.body.webhookUrl as string, d)));
      expect(answers.every((r) => r.status === 200)).toBe(true);
      await hub.settle(tenant.apiKey, 120_000);

      const calls = (await hub.api.get('/v1/calls?limit=100').set(tenant.auth)).body.data as { externalNumber: string; status: string }[];
      expect(calls).toHaveLength(19);
      expect(calls.some((c) => c.externalNumber === badNumber)).toBe(false);
      const failed = await hub.api.get(`/v1/connections/${conn.body.id as string}/events?status=failed`).set(tenant.auth);
      const bad = deliveries.filter((d) => d.params.From === badNumber).length;
      expect(failed.body.data).toHaveLength(bad);
      expect(failed.body.data[0].error).toMatch(/cannot be stored/);
      expect(failed.body.data[0].attempts).toBeGreaterThanOrEqual(1);
    } finally {
      hub.deps.listeners.splice(hub.deps.listeners.indexOf(refusing), 1);
    }
  }, 180_000);
});
