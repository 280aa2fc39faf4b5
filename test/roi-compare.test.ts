/**
 * GET /v1/roi?compare=previous_period|previous_year, computed by hand.
 *
 * Tenant America/Los_Angeles, USD. Calls (the Twilio inbound-answered fixture, customer C1, one
 * agent, 255 s) on 2025-02-10, 2025-03-10 and 2025-03-12, each at 14:00Z.
 * Deals (last touch, 30 days): D0 400.00 closed 2025-02-11T20:00Z (touch: the Feb 10 call);
 *   D1 1000.00, marginPercent 40, closed 2025-03-12T20:00Z (touches: Mar 10 and Mar 12; the Feb 10
 *   call is 30 days and 6 hours before the close, outside the window; last touch: Mar 12).
 * Costs: 280.00 over February (10.00 a day), 310.00 over March (10.00 a day).
 *
 * March by month: revenue 1000, cost 310, net 690, ROI 690/310 = 222.58 %, 2 calls, 1 deal.
 * February:       revenue  400, cost 280, net 120, ROI 120/280 =  42.86 %, 1 call,  1 deal.
 * Delta: revenue 600.00, cost 30.00, net 570.00, ROI 179.72, calls 1, deals 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';
import { twilioCallOnAnotherDay } from './helpers/another-day.js';

const C1 = '+14155550123';
let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;

type Figures = { revenue: string; cost: string; net: string; roiPercent: number | null; calls: number; deals: number };
type Compare = { key: string | null; from: string; to: string; values: Figures; delta: Record<keyof Figures, number | string | null> } | null;
type Row = Figures & { key: string | null; compare: Compare };
type Body = { compare: { mode: string; from: string; to: string }; total: Row; rows: Row[] };

async function roi(query: string): Promise<Body> {
  const res = await hub.api.get(`/v1/roi?${query}`).set(tenant.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Body;
}

const row = (body: Body, key: string | null) => body.rows.find((r) => r.key === key)!;
const figures = (revenue: string, cost: string, net: string, roiPercent: number | null, calls: number, deals: number): Figures => ({ revenue, cost, net, roiPercent, calls, deals });

beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant({ name: 'Acme', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
  const conn = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  for (const shift of [-28, 0, 2]) for (const d of twilioCallOnAnotherDay(shift)) expect((await postTwilio(hub.api, conn.body.webhookUrl, d)).status).toBe(200);
  const deals = await hub.api
    .post('/v1/crm/deals')
    .set(tenant.auth)
    .send({
      deals: [
        { externalId: 'D0', phones: [C1], amount: '400.00', currency: 'USD', stage: 'won', closedAt: '2025-02-11T20:00:00Z' },
        { externalId: 'D1', phones: [C1], amount: '1000.00', marginPercent: 40, currency: 'USD', stage: 'won', closedAt: '2025-03-12T20:00:00Z' },
      ],
    });
  expect(deals.body).toEqual({ upserted: 2, rejected: [] });
  const costs = await hub.api
    .post('/v1/costs')
    .set(tenant.auth)
    .send({
      costs: [
        { category: 'salaries', kind: 'indirect', amount: '280.00', currency: 'USD', periodStart: '2025-02-01', periodEnd: '2025-02-28' },
        { category: 'salaries', kind: 'indirect', amount: '310.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31' },
      ],
    });
  expect(costs.body).toEqual({ upserted: 2, rejected: [] });
  await hub.settle(tenant.apiKey);
}, 60_000);
afterAll(async () => hub?.close());

describe('compare on GET /v1/roi', () => {
  it('a month against the month before: each figure, and the differences (money exact)', async () => {
    const body = await roi('from=2025-03-01&to=2025-04-01&groupBy=month&compare=previous_period');
    // 00:00 Los Angeles: PST (UTC−8) on 1 February and 1 March.
    expect(body.compare).toEqual({ mode: 'previous_period', from: '2025-02-01T08:00:00.000Z', to: '2025-03-01T08:00:00.000Z' });
    const delta = { revenue: '600.00', cost: '30.00', net: '570.00', roiPercent: 179.72, calls: 1, deals: 0 };
    expect(row(body, '2025-03')).toMatchObject({
      ...figures('1000.00', '310.00', '690.00', 222.58, 2, 1),
      compare: { key: '2025-02', from: '2025-02-01T08:00:00.000Z', to: '2025-03-01T08:00:00.000Z', values: figures('400.00', '280.00', '120.00', 42.86, 1, 1), delta },
    });
    expect(body.total.compare).toEqual({ key: null, from: '2025-02-01T08:00:00.000Z', to: '2025-03-01T08:00:00.000Z', values: figures('400.00', '280.00', '120.00', 42.86, 1, 1), delta });
  });

  it('days meet the day at the same position; the 29th to 31st of March have none in February', async () => {
    const body = await roi('from=2025-03-01&to=2025-04-01&groupBy=day&compare=previous_period');
    expect(body.rows).toHaveLength(31);
    // 10 March (a call, 10.00 of cost) against 10 February (the same).
    expect(row(body, '2025-03-10').compare).toMatchObject({ key: '2025-02-10', values: figures('0.00', '10.00', '-10.00', -100, 1, 0), delta: { revenue: '0.00', cost: '0.00', net: '0.00', roiPercent: 0, calls: 0, deals: 0 } });
    // 11 March (no call, no close) against 11 February (D0 closed: 400.00).
    expect(row(body, '2025-03-11').compare).toMatchObject({ key: '2025-02-11', values: figures('400.00', '10.00', '390.00', 3900, 0, 1), delta: { revenue: '-400.00', net: '-400.00', roiPercent: -4000, deals: -1 } });
    // 12 March (D1 closed: 1000.00) against 12 February (cost only).
    expect(row(body, '2025-03-12')).toMatchObject({ ...figures('1000.00', '10.00', '990.00', 9900, 1, 1), compare: { key: '2025-02-12', delta: { revenue: '1000.00', roiPercent: 10000 } } });
    // 9 March 2025 is the day clocks go forward in Los Angeles: the period still ends at the next local midnight.
    expect(row(body, '2025-03-09').compare).toMatchObject({ key: '2025-02-09', from: '2025-02-09T08:00:00.000Z', to: '2025-02-10T08:00:00.000Z' });
    for (const day of ['2025-03-29', '2025-03-30', '2025-03-31']) expect(row(body, day).compare).toBeNull();
    // The total still meets all of February.
    expect(body.total.compare).toMatchObject({ values: figures('400.00', '280.00', '120.00', 42.86, 1, 1) });
  });

  it('dimension rows meet the same key: the agent with the agent, the null row with the null row', async () => {
    const body = await roi('from=2025-03-01&to=2025-04-01&groupBy=agent&compare=previous_period');
    const agent = body.rows.find((r) => r.key !== null)!;
    // March: the shares of the two call days (20.00) on the agent, the 29 others (290.00) in the null row.
    // February: the Feb 10 share (10.00) on the agent, 270.00 in the null row.
    expect(agent).toMatchObject({
      ...figures('1000.00', '20.00', '980.00', 4900, 2, 1),
      compare: { key: agent.key, values: figures('400.00', '10.00', '390.00', 3900, 1, 1), delta: { revenue: '600.00', cost: '10.00', net: '590.00', roiPercent: 1000, calls: 1, deals: 0 } },
    });
    expect(row(body, null)).toMatchObject({
      ...figures('0.00', '290.00', '-290.00', -100, 0, 0),
      compare: { key: null, values: figures('0.00', '270.00', '-270.00', -100, 0, 0), delta: { revenue: '0.00', cost: '20.00', net: '-20.00', roiPercent: 0 } },
    });
  });

  it('previous_year: the same dates a year earlier; nothing there gives zeros and null differences of ROI', async () => {
    const body = await roi('from=2025-03-01&to=2025-04-01&groupBy=month&compare=previous_year');
    // 1 March 2024 00:00 PST; 1 April 2024 00:00 PDT.
    expect(body.compare).toEqual({ mode: 'previous_year', from: '2024-03-01T08:00:00.000Z', to: '2024-04-01T07:00:00.000Z' });
    expect(row(body, '2025-03').compare).toEqual({
      key: '2024-03',
      from: '2024-03-01T08:00:00.000Z',
      to: '2024-04-01T07:00:00.000Z',
      values: figures('0.00', '0.00', '0.00', null, 0, 0),
      delta: { revenue: '1000.00', cost: '310.00', net: '690.00', roiPercent: null, calls: 2, deals: 1 },
    });
  });

  it('with another model and basis=margin: D1 counts its 40 % margin, D0 (no margin, no default) nothing', async () => {
    const body = await roi('from=2025-03-01&to=2025-04-01&groupBy=month&model=linear&basis=margin&compare=previous_period');
    // March: margin 400.00 − 310.00 = 90.00, ROI 29.03 %; February: 0 − 280.00, ROI −100 %.
    expect(row(body, '2025-03')).toMatchObject({
      ...figures('400.00', '310.00', '90.00', 29.03, 2, 1),
      compare: { key: '2025-02', values: figures('0.00', '280.00', '-280.00', -100, 1, 0), delta: { revenue: '400.00', cost: '30.00', net: '370.00', roiPercent: 129.03, calls: 1, deals: 1 } },
    });
  });

  it('a range of days compares with as many days just before', async () => {
    const body = await roi('from=2025-03-10&to=2025-03-13&groupBy=campaign&compare=previous_period');
    // 7–9 March: 30.00 of cost, no call, no deal; 10–12 March: 30.00, two calls, D1.
    expect(body.compare).toEqual({ mode: 'previous_period', from: '2025-03-07T08:00:00.000Z', to: '2025-03-10T07:00:00.000Z' });
    expect(body.total).toMatchObject({
      ...figures('1000.00', '30.00', '970.00', 3233.33, 2, 1),
      compare: { values: figures('0.00', '30.00', '-30.00', -100, 0, 0), delta: { revenue: '1000.00', cost: '0.00', roiPercent: 3333.33, calls: 2, deals: 1 } },
    });
  });

  it('an unknown mode is a 400', async () => {
    const res = await hub.api.get('/v1/roi?from=2025-03-01&to=2025-04-01&compare=last_week').set(tenant.auth);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBeDefined();
  });
});
