/**
 * GET /v1/alerts from real webhooks: a day of abandonment and a day of silence stand out against the
 * trailing baseline; the alert job raises each once as an alert.raised delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiseAlerts } from '../src/modules/alerts/alerts.service.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, twilioInboundCall, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

let hub: TestHub;
beforeAll(async () => {
  // The subscription below points at a local plain-http port: the operator allows it.
  hub = await createTestHub({ env: { ALLOW_HTTP_TARGETS: 'true', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' } });
});
afterAll(async () => hub?.close());

const inboundCall = twilioInboundCall;

describe('alerts', () => {
  it('flags an abandonment spike and a volume drop against the trailing baseline, and raises them once', async () => {
    const tenant = await hub.tenant({ timezone: 'UTC' });
    const conn = await hub.api
      .post('/v1/connections')
      .set(tenant.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const sub = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url: 'http://127.0.0.1:9/unused', events: ['alert.raised'] });
    let n = 1;
    // 2025-03-01 … 03-14: 12 calls a day, 1 abandoned. 03-15: 12 calls, 9 abandoned. 03-16: 1 call.
    for (let day = 1; day <= 16; day++) {
      const calls = day === 16 ? 1 : 12;
      const abandoned = day === 15 ? 9 : 1;
      for (let i = 0; i < calls; i++) {
        const start = new Date(Date.UTC(2025, 2, day, 9 + (i % 8), i));
        for (const d of inboundCall(n++, start, i >= abandoned)) {
          expect((await postTwilio(hub.api, conn.body.webhookUrl as string, d)).status).toBe(200);
        }
      }
    }
    await hub.settle(tenant.apiKey);
    const res = await hub.api.get('/v1/alerts?from=2025-03-15&to=2025-03-17').set(tenant.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { id: string }) => a.id)).toEqual(['abandonment_spike:2025-03-15', 'volume_drop:2025-03-16']);
    expect(res.body.data[0]).toMatchObject({ value: 0.75, baseline: { days: 14 } });
    expect((await hub.api.get('/v1/alerts?from=2025-03-10&to=2025-03-15').set(tenant.auth)).body.data).toEqual([]);
    expect((await hub.api.get('/v1/alerts?from=2025-03-15&to=2025-03-01').set(tenant.auth)).status).toBe(400);

    const now = new Date('2025-03-17T08:00:00Z');
    expect(await raiseAlerts(hub.deps.database.db, hub.deps.subscriptions, hub.deps.logger, now)).toBe(2);
    expect(await raiseAlerts(hub.deps.database.db, hub.deps.subscriptions, hub.deps.logger, now)).toBe(0);
    const log = await hub.api.get(`/v1/subscriptions/${sub.body.id as string}/deliveries`).set(tenant.auth);
    expect(log.body.data.map((d: { eventType: string; payload: { data: { id: string } } }) => `${d.eventType} ${d.payload.data.id}`).sort()).toEqual([
      'alert.raised abandonment_spike:2025-03-15',
      'alert.raised volume_drop:2025-03-16',
    ]);
  }, 180_000);
});
