/**
 * A tenant with three weeks of calls (March 2025), two campaigns, deals, costs, targets, a stored
 * alert and a failed delivery, all written through the hub's API (signed Twilio webhooks, the CRM,
 * costs and targets routes); the alert by the hub's own evaluation pass at a March instant.
 */
import { eq } from 'drizzle-orm';
import { tenants } from '../../src/db/schema/index.js';
import { evaluateTenant } from '../../src/modules/alerts/intraday.js';
import type { TestHub } from './hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioInboundCall } from './twilio.js';

export const SEARCH_LINE = '+16505550100';
export const RADIO_LINE = '+16505550111';
const aircallCreds = { apiId: 'aircall-id', apiToken: 'aircall-token', webhookToken: 'aircall-test-webhook-token-0001' };

export interface Seeded {
  tenant: Awaited<ReturnType<TestHub['tenant']>>;
  campaigns: { search: string; radio: string };
  aircallId: string;
  calls: number;
}

export async function seedDashboardTenant(hub: TestHub, opts: { days?: number } = {}): Promise<Seeded> {
  const tenant = await hub.tenant({ name: 'Acme Dental', currency: 'USD', timezone: 'America/New_York', country: 'US' });
  const must = async (p: PromiseLike<{ status: number; body: unknown }>, status: number) => {
    const res = await p;
    if (res.status !== status) throw new Error(`seed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, any>;
  };
  const conn = await must(
    hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', name: 'Main line', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } }),
    201,
  );
  const search = await must(hub.api.post('/v1/campaigns').set(tenant.auth).send({ name: 'Search ads', channel: 'google_ads', trackingNumbers: [SEARCH_LINE] }), 201);
  const radio = await must(hub.api.post('/v1/campaigns').set(tenant.auth).send({ name: 'Radio spring', channel: 'radio', trackingNumbers: [RADIO_LINE] }), 201);

  // `days` days up to 2025-03-21: 3 to 8 calls a day, one in four abandoned, every third on the
  // radio line, agents alice and bob, waits of 12 to 44 s; deterministic, so every run is the same.
  const days = opts.days ?? 21;
  const first = Date.UTC(2025, 2, 22 - days);
  let n = 0;
  const won: string[] = [];
  for (let d = 0; d < days; d++) {
    const perDay = 3 + ((d * 5) % 6);
    for (let k = 0; k < perDay; k++) {
      n++;
      const start = new Date(first + d * 86_400_000 + (14 + (k % 8)) * 3_600_000 + ((k * 7) % 60) * 60_000);
      const answered = n % 4 !== 0;
      const from = `+1415555${String(1000 + n).slice(-4)}`;
      const deliveries = twilioInboundCall(n, start, answered, from);
      if (n % 3 === 0) deliveries[0]!.params.To = RADIO_LINE;
      if (deliveries[1] && n % 2 === 0) deliveries[1].params.To = 'client:agent_bob';
      // The agent's leg lasts 76 to 108 s of the caller's 120: the caller waited the rest.
      if (deliveries[1]) deliveries[1].params.CallDuration = String(76 + ((n * 8) % 33));
      for (const delivery of deliveries) {
        const res = await postTwilio(hub.api, conn.webhookUrl as string, delivery);
        if (res.status !== 200) throw new Error(`seed webhook: ${res.status}`);
      }
      if (answered && n % 5 === 1) won.push(from);
    }
  }
  await hub.settle(tenant.apiKey);

  await must(
    hub.api
      .post('/v1/crm/deals')
      .set(tenant.auth)
      .send({
        deals: won.map((phone, i) => ({ externalId: `D${i}`, phones: [phone], amount: `${400 + i * 75}.50`, currency: 'USD', stage: 'won', type: 'new', closedAt: '2025-03-21T20:00:00Z' })),
      }),
    200,
  );
  await must(
    hub.api
      .post('/v1/costs')
      .set(tenant.auth)
      .send({
        costs: [
          { category: 'salaries', kind: 'indirect', amount: '3100.00', currency: 'USD', periodStart: '2025-02-01', periodEnd: '2025-03-31' },
          { category: 'media', kind: 'direct', amount: '900.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31', campaignId: radio.id },
          { category: 'media', kind: 'direct', amount: '450.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31', campaignId: search.id },
        ],
      }),
    200,
  );
  // The default service-level target, watched: the seeded days miss it, so an alert is raised.
  const targets = await must(hub.api.get('/v1/targets').set(tenant.auth), 200);
  const sl = (targets.data as { id: string; kpi: string }[]).find((t) => t.kpi === 'serviceLevel');
  if (sl) await must(hub.api.patch(`/v1/targets/${sl.id}`).set(tenant.auth).send({ notify: true }), 200);
  await must(hub.api.post('/v1/targets').set(tenant.auth).send({ name: 'Answer within 30 s', kpi: 'asaSeconds', comparison: '<=', value: 30 }), 201);
  await hub.settle(tenant.apiKey);
  const [row] = await hub.deps.database.db.select().from(tenants).where(eq(tenants.id, tenant.id));
  await evaluateTenant(hub.deps.database.db, hub.deps.subscriptions, row!, new Date(Date.UTC(2025, 2, 21, 22)));

  // An authentic Aircall delivery of a shape the connector does not know: kept as failed.
  const aircall = await must(hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'aircall', name: 'Sales team', credentials: aircallCreds }), 201);
  const path = new URL(aircall.webhookUrl as string).pathname;
  await must(
    hub.api.post(path).set('Content-Type', 'application/json').send(JSON.stringify({ token: aircallCreds.webhookToken, resource: 'call', event: 'call.created', data: { surprise: true } })),
    200,
  );
  await hub.settle(tenant.apiKey);
  return { tenant, campaigns: { search: search.id as string, radio: radio.id as string }, aircallId: aircall.id as string, calls: n };
}
