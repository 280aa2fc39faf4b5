/**
 * ROI on margin (GET /v1/roi?basis=margin), computed by hand.
 *
 * Tenant America/Los_Angeles, USD. Calls of 2025-03-10 (Twilio fixtures): inbound answered from C1
 * (alice), outbound answered to C2 (bob). Cost 10.00 on that day. Deals closed 2025-03-10T20:00Z:
 *   M1 1000.00 [C1] margin 250.00            → 250.00 on alice's call
 *   M2  333.33 [C2] marginPercent 12.5       → 33333 × 0.125 = 4166.625 → 4167 cents (half away) = 41.67 on bob's
 *   M3  200.00 [C1] no margin                → left out and counted while the tenant has no default;
 *                                              with defaultMarginPercent 10: 20.00 on alice's call
 *   M4   80.00 [no call's number] margin 20.00 → unattributed 20.00
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;
const closedAt = '2025-03-10T20:00:00Z';

async function roi(query: string) {
  const res = await hub.api.get(`/v1/roi?from=2025-03-10&to=2025-03-11&${query}`).set(tenant.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { basis: string; total: Record<string, unknown>; rows: ({ key: string | null } & Record<string, unknown>)[] };
}
const revenueByKey = (body: Awaited<ReturnType<typeof roi>>) => Object.fromEntries(body.rows.map((r) => [String(r.key), r.revenue]));

beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant({ name: 'Acme', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
  const conn = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  for (const name of ['inbound_answered', 'outbound']) {
    for (const d of twilioFixture(name).deliveries) expect((await postTwilio(hub.api, conn.body.webhookUrl, d)).status).toBe(200);
  }
  const deals = await hub.api
    .post('/v1/crm/deals')
    .set(tenant.auth)
    .send({
      deals: [
        { externalId: 'M1', phones: ['+14155550123'], amount: '1000.00', margin: '250.00', currency: 'USD', stage: 'won', closedAt },
        { externalId: 'M2', phones: ['+14155550188'], amount: '333.33', marginPercent: 12.5, currency: 'USD', stage: 'won', closedAt },
        { externalId: 'M3', phones: ['+14155550123'], amount: '200.00', currency: 'USD', stage: 'won', closedAt },
        { externalId: 'M4', phones: ['+14155550999'], amount: '80.00', margin: 20, currency: 'USD', stage: 'won', closedAt },
        { externalId: 'bad', phones: [], amount: '10.00', margin: '1.00', marginPercent: 10, currency: 'USD', stage: 'won', closedAt },
      ],
    });
  expect(deals.body.upserted).toBe(4);
  expect(deals.body.rejected).toEqual([{ index: 4, error: 'margin: give margin or marginPercent, not both' }]);
  const costs = await hub.api
    .post('/v1/costs')
    .set(tenant.auth)
    .send({ costs: [{ category: 'salaries', kind: 'indirect', amount: '10.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10' }] });
  expect(costs.body).toEqual({ upserted: 1, rejected: [] });
  await hub.settle(tenant.apiKey);
}, 60_000);
afterAll(async () => hub?.close());

describe('basis=margin', () => {
  it('keeps amounts under the default basis', async () => {
    const body = await roi('groupBy=agent');
    expect(body.basis).toBe('revenue');
    expect(revenueByKey(body)).toEqual({ agent_alice: '1200.00', agent_bob: '333.33' });
    expect(body.total).toMatchObject({ revenue: '1533.33', unattributedRevenue: '80.00', wonDeals: 4 });
    expect(body.total).not.toHaveProperty('dealsWithoutMargin');
  });

  it('credits margins, and counts the deals without one instead of guessing', async () => {
    const body = await roi('groupBy=agent&basis=margin');
    expect(body.basis).toBe('margin');
    expect(revenueByKey(body)).toEqual({ agent_alice: '250.00', agent_bob: '41.67' });
    // (291.67 − 10.00) / 10.00 = 2816.70 %.
    expect(body.total).toMatchObject({ revenue: '291.67', cost: '10.00', roiPercent: 2816.7, deals: 2, wonDeals: 4, unattributedRevenue: '20.00', dealsWithoutMargin: 1 });
    const deal = await hub.api.get('/v1/crm/deals/M2').set(tenant.auth);
    expect(deal.body).toMatchObject({ margin: null, marginPercent: 12.5 });
  });

  it('applies the tenant default to the deals without a margin of their own', async () => {
    expect((await hub.api.patch('/v1/tenants/current').set(tenant.auth).send({ settings: { defaultMarginPercent: 10 } })).status).toBe(200);
    const body = await roi('groupBy=month&basis=margin');
    expect(revenueByKey(body)).toEqual({ '2025-03': '311.67' });
    expect(body.total).toMatchObject({ revenue: '311.67', dealsWithoutMargin: 0 });
    expect(revenueByKey(await roi('groupBy=agent&basis=margin&model=first_touch'))).toEqual({ agent_alice: '270.00', agent_bob: '41.67' });
  });
});
