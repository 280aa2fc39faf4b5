/**
 * Periods hold their own costs and revenue (contract section 7), computed by hand.
 *
 * Tenant America/Los_Angeles, USD. Calls (the Twilio inbound-answered fixture, customer C1, alice,
 * talk 255 s) on three days: 2025-03-10, 2025-03-12 and 2025-03-20, each at 14:00Z (07:00 PDT).
 * Deals: D1 1000.00 phones [C1] closed 2025-03-12T20:00Z (last touch: the 12th's call);
 *        D2  500.00 phones [C1] closed 2025-04-02T18:00Z (last touch: the 20th's call).
 * Costs: salaries 310.00 over March (10.00 a day); training 60.00 on 2025-03-01..03 (20.00 a day).
 *
 * By month (from 2025-03-01 to 2025-05-01): March holds every March cost, 370.00, though only three
 * of its days had calls, and D1's revenue; ROI (1000 − 370) / 370 = 170.27 %. April holds D2 (closed
 * in April, although its touch is in March) and no cost. No null-key row. By agent the same costs
 * are spread per day over handled calls: alice gets the three call days' 10.00, the 28 other days'
 * shares (340.00) sit in the null-key row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';
import { twilioCallOnAnotherDay as onAnotherDay } from './helpers/another-day.js';

const C1 = '+14155550123';
let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;

async function roi(query: string) {
  const res = await hub.api.get(`/v1/roi?${query}`).set(tenant.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { total: Record<string, unknown>; rows: ({ key: string | null } & Record<string, unknown>)[] };
}

/** key → [revenue, cost, roiPercent, calls, deals] */
const table = (body: Awaited<ReturnType<typeof roi>>) => Object.fromEntries(body.rows.map((r) => [String(r.key), [r.revenue, r.cost, r.roiPercent, r.calls, r.deals]]));

beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant({ name: 'Acme', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
  const conn = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  for (const shift of [0, 2, 10]) for (const d of onAnotherDay(shift)) expect((await postTwilio(hub.api, conn.body.webhookUrl, d)).status).toBe(200);
  const deals = await hub.api
    .post('/v1/crm/deals')
    .set(tenant.auth)
    .send({
      deals: [
        { externalId: 'D1', phones: [C1], amount: '1000.00', currency: 'USD', stage: 'won', closedAt: '2025-03-12T20:00:00Z' },
        { externalId: 'D2', phones: [C1], amount: '500.00', currency: 'USD', stage: 'won', closedAt: '2025-04-02T18:00:00Z' },
      ],
    });
  expect(deals.body).toEqual({ upserted: 2, rejected: [] });
  const costs = await hub.api
    .post('/v1/costs')
    .set(tenant.auth)
    .send({
      costs: [
        { category: 'salaries', kind: 'indirect', amount: '310.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31' },
        { category: 'training', kind: 'indirect', amount: '60.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-03' },
      ],
    });
  expect(costs.body).toEqual({ upserted: 2, rejected: [] });
  await hub.settle(tenant.apiKey);
}, 60_000);
afterAll(async () => hub?.close());

describe('time groupings hold their own costs and revenue', () => {
  it('a month holds all its costs and the deals closed in it, with no null-key row', async () => {
    const body = await roi('from=2025-03-01&to=2025-05-01&groupBy=month');
    expect(table(body)).toEqual({
      '2025-03': ['1000.00', '370.00', 170.27, 3, 1],
      '2025-04': ['500.00', '0.00', null, 0, 1],
    });
    expect(body.total).toMatchObject({ revenue: '1500.00', cost: '370.00', calls: 3, deals: 2 });
  });

  it('quarters are tenant-local calendar quarters', async () => {
    expect(table(await roi('from=2025-03-01&to=2025-05-01&groupBy=quarter'))).toEqual({
      '2025-Q1': ['1000.00', '370.00', 170.27, 3, 1],
      '2025-Q2': ['500.00', '0.00', null, 0, 1],
    });
  });

  it('days without calls keep their costs', async () => {
    const body = await roi('from=2025-03-01&to=2025-03-05&groupBy=day');
    expect(table(body)).toEqual({
      '2025-03-01': ['0.00', '30.00', -100, 0, 0],
      '2025-03-02': ['0.00', '30.00', -100, 0, 0],
      '2025-03-03': ['0.00', '30.00', -100, 0, 0],
      '2025-03-04': ['0.00', '10.00', -100, 0, 0],
    });
    expect(body.total).toMatchObject({ cost: '100.00' });
  });

  it('a day row takes the revenue of the deals closed that day, not of the touching call’s day', async () => {
    const body = await roi('from=2025-03-10&to=2025-03-13&groupBy=day');
    expect(table(body)).toEqual({
      '2025-03-10': ['0.00', '10.00', -100, 1, 0],
      '2025-03-11': ['0.00', '10.00', -100, 0, 0],
      '2025-03-12': ['1000.00', '10.00', 9900, 1, 1],
    });
  });

  it('other groupings keep the per-day spread over handled calls (a day without one: the null-key row)', async () => {
    const body = await roi('from=2025-03-01&to=2025-04-01&groupBy=agent');
    const alice = body.rows.find((r) => r.key !== null)!;
    expect(table(body)).toEqual({
      [String(alice.key)]: ['1000.00', '30.00', 3233.33, 3, 1],
      null: ['0.00', '340.00', -100, 0, 0],
    });
  });
});
