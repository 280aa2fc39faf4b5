/**
 * Revenue attribution and ROI end to end (contract sections 5 and 7): signed Twilio webhooks →
 * unified calls → campaigns, CRM deals and costs → GET /v1/roi, every figure checked against
 * values computed by hand in the comments below.
 *
 * Tenant: USD, America/Los_Angeles (PDT, UTC−7 on 2025-03-10). The range is the local day
 * 2025-03-10 (from=2025-03-10, to=2025-03-11).
 *
 * Calls (fixtures, plus variants of them: new CallSids, shifted clock, other numbers):
 *   c5  2025-03-09 15:10Z inbound abandoned  C1 +14155550123  line A  queue support  (before the range)
 *   c1  2025-03-10 14:00Z inbound answered   C1                line A  alice  handle 255
 *   c2  2025-03-10 15:10Z inbound abandoned  C1                line A  queue support
 *   c3  2025-03-10 16:20Z outbound answered  C2 +14155550188   line A  bob    handle 370
 *   c4  2025-03-10 16:00Z inbound answered   C3 +14155550199   line B  alice  handle 255
 * Campaign A "Search" (google_ads) holds line A +16505550100; campaign B "Radio" (radio) holds
 * line B +16505550111 (created after c4 arrived: c4 is re-assigned).
 *
 * Deals (closedAt 2025-03-10T20:00Z):
 *   D1 1000.00 new, contact K1 "(415) 555-0123" → touches c5, c1, c2
 *   D2  500.01 upsell, phones [C2]              → touch c3
 *   D3  300.00 (no type), phones [C3]           → touch c4 (posted before c4 arrived)
 *   D4  lost, C1 (ignored); D5 50.00 won, no call (unattributed)
 *
 * Costs on 2025-03-10:
 *   salaries 310.00 unscoped over March (31 days) → 10.00 that day, spread over the day's handled
 *     calls c1 (255 s), c4 (255 s), c3 (370 s) = 880 s: 1000 × 255/880 = 289.77 → 289 (rem 680),
 *     370/880 → 420 (rem 400), c4 289 (rem 680); 2 leftover cents to the largest remainders,
 *     ties to the earliest: c1 290, c4 290, c3 420.
 *   other 70.00 direct, campaign B, 2025-03-10..11 → 35.00 that day (and 35.00 on the 11th, out of range).
 *   training 20.00 indirect, agent bob, that day only.
 *   licences 99.00 in April: out of range.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture, type TwilioDelivery } from './helpers/twilio.js';

const C1 = '+14155550123';
const C2 = '+14155550188';
const C3 = '+14155550199';
const LINE_A = '+16505550100';
const LINE_B = '+16505550111';
const RANGE = 'from=2025-03-10&to=2025-03-11';

/** A fixture's deliveries as another call: new sids and idempotency tokens, shifted clock, other numbers. */
function variant(name: string, opts: { salt: string; shiftMinutes: number; replace?: Record<string, string> }): TwilioDelivery[] {
  const derive = (s: string) => createHash('sha256').update(`${opts.salt}/${s}`).digest('hex').slice(0, 32);
  return twilioFixture(name).deliveries.map((d) => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.params)) {
      let value = v.replace(/CA[0-9a-f]{32}/g, (sid) => `CA${derive(sid)}`);
      value = value.replace(/\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000/g, (ts) =>
        new Date(Date.parse(ts) + opts.shiftMinutes * 60_000).toUTCString().replace('GMT', '+0000'),
      );
      for (const [from, to] of Object.entries(opts.replace ?? {})) value = value.split(from).join(to);
      params[k] = value;
    }
    const token = d.headers['I-Twilio-Idempotency-Token'];
    const headers: Record<string, string> = token ? { 'I-Twilio-Idempotency-Token': derive(token) } : {};
    return { ...d, params, headers };
  });
}

let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;
let other: Awaited<ReturnType<TestHub['tenant']>>;
let webhookUrl: string;
let campaignA: string;
let campaignB: string;
const callIds: Record<'c1' | 'c2' | 'c3' | 'c4' | 'c5', string> = { c1: '', c2: '', c3: '', c4: '', c5: '' };

async function post(deliveries: TwilioDelivery[]) {
  for (const d of deliveries) expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
}

async function roi(query: string, auth = tenant.auth) {
  const res = await hub.api.get(`/v1/roi?${query}`).set(auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    currency: string;
    model: string;
    windowDays: number;
    total: Record<string, unknown>;
    rows: ({ key: string | null } & Record<string, unknown>)[];
  };
}

/** key → [revenue, cost, calls, deals] */
function summary(body: Awaited<ReturnType<typeof roi>>) {
  return Object.fromEntries(body.rows.map((r) => [String(r.key), [r.revenue, r.cost, r.calls, r.deals]]));
}

async function call(id: string) {
  return (await hub.api.get(`/v1/calls/${id}`).set(tenant.auth)).body as { attributedRevenue: string; campaignId: string | null };
}

beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant({ name: 'Acme', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
  other = await hub.tenant({ name: 'Globex', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
  const conn = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  expect(conn.status).toBe(201);
  webhookUrl = conn.body.webhookUrl;

  // Campaign A before its calls (enrich path), national format normalised with the tenant country.
  const a = await hub.api.post('/v1/campaigns').set(tenant.auth).send({ name: 'Search', channel: 'google_ads', trackingNumbers: ['(650) 555-0100'] });
  expect(a.status).toBe(201);
  expect(a.body.trackingNumbers).toEqual([LINE_A]);
  campaignA = a.body.id;

  await post(twilioFixture('inbound_answered').deliveries);
  await post(twilioFixture('inbound_abandoned').deliveries);
  await post(twilioFixture('outbound').deliveries);
  await post(variant('inbound_abandoned', { salt: 'c5', shiftMinutes: -24 * 60 }));
  await hub.settle(tenant.apiKey);

  const contacts = await hub.api
    .post('/v1/crm/contacts')
    .set(tenant.auth)
    .send({ contacts: [{ externalId: 'K1', phones: ['(415) 555-0123'], name: 'Carol' }] });
  expect(contacts.body).toEqual({ upserted: 1, rejected: [] });
  const closedAt = '2025-03-10T20:00:00Z';
  const deals = await hub.api
    .post('/v1/crm/deals')
    .set(tenant.auth)
    .send({
      deals: [
        { externalId: 'D1', contactExternalId: 'K1', amount: '1000.00', currency: 'USD', stage: 'won', type: 'new', closedAt },
        { externalId: 'D2', phones: [C2], amount: 500.01, currency: 'usd', stage: 'won', type: 'upsell', closedAt },
        { externalId: 'D3', phones: [C3], amount: '300', currency: 'USD', stage: 'won', closedAt },
        { externalId: 'D4', phones: [C1], amount: '9999.00', currency: 'USD', stage: 'lost', closedAt },
        { externalId: 'D5', phones: ['+14155550999'], amount: '50.00', currency: 'USD', stage: 'won', type: 'renewal', closedAt },
      ],
    });
  expect(deals.body).toEqual({ upserted: 5, rejected: [] });
  await hub.settle(tenant.apiKey);

  // c4 arrives after its deal (the call listener credits it), on a line no campaign holds yet.
  await post(variant('inbound_answered', { salt: 'c4', shiftMinutes: 120, replace: { [C1]: C3, [LINE_A]: LINE_B } }));
  await hub.settle(tenant.apiKey);
  const b = await hub.api.post('/v1/campaigns').set(tenant.auth).send({ name: 'Radio', channel: 'radio', trackingNumbers: [LINE_B] });
  expect(b.status).toBe(201);
  campaignB = b.body.id;

  const costs = await hub.api
    .post('/v1/costs')
    .set(tenant.auth)
    .send({
      costs: [
        { category: 'salaries', kind: 'indirect', amount: '310.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31' },
        { category: 'other', kind: 'direct', amount: 70, currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-11', campaignId: campaignB },
        { category: 'training', kind: 'indirect', amount: '20', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10', agentId: 'agent_bob' },
        { category: 'licences', kind: 'indirect', amount: '99.00', currency: 'USD', periodStart: '2025-04-01', periodEnd: '2025-04-30' },
      ],
    });
  expect(costs.body).toEqual({ upserted: 4, rejected: [] });
  await hub.settle(tenant.apiKey);

  const list = await hub.api.get('/v1/calls?limit=100').set(tenant.auth);
  const byStart = new Map((list.body.data as { id: string; startedAt: string }[]).map((c) => [c.startedAt, c.id]));
  callIds.c5 = byStart.get('2025-03-09T15:10:00.000Z')!;
  callIds.c1 = byStart.get('2025-03-10T14:00:00.000Z')!;
  callIds.c2 = byStart.get('2025-03-10T15:10:00.000Z')!;
  callIds.c3 = byStart.get('2025-03-10T16:20:00.000Z')!;
  callIds.c4 = byStart.get('2025-03-10T16:00:00.000Z')!;
  expect(Object.values(callIds).every(Boolean), JSON.stringify([...byStart.keys()])).toBe(true);
}, 60_000);
afterAll(async () => hub?.close());

describe('calls carry their campaign and their last-touch revenue', () => {
  it('assigns campaigns by tracking number, including calls that arrived before the campaign', async () => {
    expect((await call(callIds.c1)).campaignId).toBe(campaignA);
    expect((await call(callIds.c5)).campaignId).toBe(campaignA);
    expect((await call(callIds.c4)).campaignId).toBe(campaignB);
  });

  it('keeps attributedRevenue (last_touch, 30 days) on each call', async () => {
    expect((await call(callIds.c2)).attributedRevenue).toBe('1000.00');
    expect((await call(callIds.c1)).attributedRevenue).toBe('0.00');
    expect((await call(callIds.c5)).attributedRevenue).toBe('0.00');
    expect((await call(callIds.c3)).attributedRevenue).toBe('500.01');
    expect((await call(callIds.c4)).attributedRevenue).toBe('300.00');
  });
});

describe('GET /v1/roi', () => {
  it('answers the contract shape by campaign (default model last_touch, window 30)', async () => {
    const body = await roi(`${RANGE}&groupBy=campaign`);
    expect(body).toMatchObject({ currency: 'USD', model: 'last_touch', windowDays: 30 });
    // A: revenue D1 (c2) + D2 (c3) = 1500.01; cost c1 2.90 + c3 4.20 + bob's training 20.00 = 27.10;
    //    ROI (1500.01 − 27.10) / 27.10 = 54.3509… → 5435.09 %. Calls c1, c2, c3 (c5 is before the range).
    // B: revenue 300.00; cost c4 2.90 + 35.00 = 37.90; ROI 262.10 / 37.90 = 691.56 %.
    expect(body.rows).toHaveLength(2);
    expect(body.rows.find((r) => r.key === campaignA)).toMatchObject({ name: 'Search', revenue: '1500.01', cost: '27.10', net: '1472.91', roiPercent: 5435.09, calls: 3, deals: 2 });
    expect(body.rows.find((r) => r.key === campaignB)).toMatchObject({ name: 'Radio', revenue: '300.00', cost: '37.90', net: '262.10', roiPercent: 691.56, calls: 1, deals: 1 });
    // Totals: 1800.01 revenue, 65.00 cost, ROI 1735.01 / 65 = 2669.25 %; D5 has no touch.
    expect(body.total).toMatchObject({
      key: null,
      revenue: '1800.01',
      cost: '65.00',
      net: '1735.01',
      roiPercent: 2669.25,
      calls: 4,
      deals: 3,
      wonDeals: 4,
      unattributedRevenue: '50.00',
    });
  });

  it('gives the extra dimensions: revenue per call, cost per acquisition, deal types, days to close', async () => {
    const body = await roi(`${RANGE}&groupBy=campaign`);
    const a = body.rows.find((r) => r.key === campaignA)!;
    // 1500.01 / 3 calls = 500.0033 → 500.00; 27.10 / 1 acquisition (D1 new; D2 is an upsell) = 27.10.
    expect(a).toMatchObject({ revenuePerCall: '500.00', costPerAcquisition: '27.10', directCost: '0.00', indirectCost: '27.10' });
    expect(a.revenueByDealType).toEqual({ new: '1000.00', upsell: '500.01', cross_sell: '0.00', renewal: '0.00', unspecified: '0.00' });
    // D1: first touch c5 at 03-09 15:10Z, closed 03-10 20:00Z → 1.2014 days; D2: c3 16:20Z → 0.1528 days. Mean 0.68.
    expect(a.avgDaysFirstCallToClose).toBe(0.68);
    const b = body.rows.find((r) => r.key === campaignB)!;
    expect(b).toMatchObject({ directCost: '35.00', indirectCost: '2.90' });
    // 65.00 / 2 acquisitions (D1 new, D3 without a type; not D2, an upsell) = 32.50.
    expect(body.total).toMatchObject({ costPerAcquisition: '32.50', revenuePerCall: '450.00' });
  });

  it('counts only acquisitions in costPerAcquisition: deals of type new or without a type, from stored and from fresh credits', async () => {
    for (const model of ['last_touch', 'linear']) {
      const byCampaign = await roi(`${RANGE}&groupBy=campaign&model=${model}`);
      expect(byCampaign.rows.find((r) => r.key === campaignA), model).toMatchObject({ deals: 2, costPerAcquisition: '27.10' });
      expect(byCampaign.total, model).toMatchObject({ deals: 3, costPerAcquisition: '32.50' });
      // bob's row holds D2 alone (an upsell): a deal, no acquisition, no cost per acquisition.
      const byAgent = await roi(`${RANGE}&groupBy=agent&model=${model}`);
      const bob = byAgent.rows.find((r) => (r.revenueByDealType as Record<string, string>).upsell === '500.01')!;
      expect(bob, model).toMatchObject({ deals: 1, costPerAcquisition: null });
    }
  });

  it('holds the brief example: cost 120 000, revenue 180 000 → ROI 50 %', async () => {
    const t = await hub.tenant({ name: 'Brief', currency: 'EUR', timezone: 'Europe/Paris', country: 'FR' });
    const conn = await hub.api.post('/v1/connections').set(t.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    for (const d of twilioFixture('inbound_answered').deliveries) expect((await postTwilio(hub.api, conn.body.webhookUrl, d)).status).toBe(200);
    await hub.api.post('/v1/crm/deals').set(t.auth).send({ deals: [{ externalId: 'big', phones: [C1], amount: '180000', currency: 'EUR', stage: 'won', closedAt: '2025-03-10T18:00:00Z' }] });
    await hub.api.post('/v1/costs').set(t.auth).send({ costs: [{ category: 'salaries', kind: 'indirect', amount: '120000.00', currency: 'EUR', periodStart: '2025-03-10', periodEnd: '2025-03-10' }] });
    await hub.settle(t.apiKey);
    const body = await roi(`from=2025-03-10&to=2025-03-11&groupBy=provider`, t.auth);
    expect(body.total).toMatchObject({ revenue: '180000.00', cost: '120000.00', net: '60000.00', roiPercent: 50 });
    expect(body.rows).toEqual([expect.objectContaining({ key: 'twilio', revenue: '180000.00', cost: '120000.00', roiPercent: 50, calls: 1, deals: 1 })]);
  });

  it('groups by agent: scoped costs go to their agent or spread over their campaign’s calls', async () => {
    // alice: D3 300.00 (c4); cost c1 2.90 + c4 2.90 + campaign B's 35.00 spread over B's calls (c4) = 40.80.
    // bob: D2 500.01; cost c3 4.20 + training 20.00 = 24.20. null: D1 (c2, no agent), call c2.
    expect(summary(await roi(`${RANGE}&groupBy=agent`))).toEqual({
      agent_alice: ['300.00', '40.80', 2, 1],
      agent_bob: ['500.01', '24.20', 1, 1],
      null: ['1000.00', '0.00', 1, 1],
    });
  });

  it('groups by channel, provider, direction, month, day, week and queue', async () => {
    expect(summary(await roi(`${RANGE}&groupBy=channel`))).toEqual({
      google_ads: ['1500.01', '27.10', 3, 2],
      radio: ['300.00', '37.90', 1, 1],
    });
    expect(summary(await roi(`${RANGE}&groupBy=provider`))).toEqual({ twilio: ['1800.01', '65.00', 4, 3] });
    // inbound: D1 + D3; cost c1 2.90 + c4 2.90 + 35.00 = 40.80. outbound: D2; c3 4.20 + 20.00.
    expect(summary(await roi(`${RANGE}&groupBy=direction`))).toEqual({
      inbound: ['1300.00', '40.80', 3, 2],
      outbound: ['500.01', '24.20', 1, 1],
    });
    expect(summary(await roi(`${RANGE}&groupBy=month`))).toEqual({ '2025-03': ['1800.01', '65.00', 4, 3] });
    expect(summary(await roi(`${RANGE}&groupBy=day`))).toEqual({ '2025-03-10': ['1800.01', '65.00', 4, 3] });
    expect(summary(await roi(`${RANGE}&groupBy=week`))).toEqual({ '2025-W11': ['1800.01', '65.00', 4, 3] });
    // Queues are keyed by name; Twilio reports c2's queue by QueueSid only, so no call has a queue name.
    expect(summary(await roi(`${RANGE}&groupBy=queue`))).toEqual({ null: ['1800.01', '65.00', 4, 3] });
  });

  it('computes every model through the API (D1 over c5, c1, c2)', async () => {
    // Grouped by time, a deal's revenue goes to the period of its closedAt (contract section 7):
    // whatever the model, every deal closed on 2025-03-10 (13:00 PDT).
    for (const model of ['last_touch', 'first_touch', 'linear', 'position_based', 'time_decay']) {
      expect(summary(await roi(`${RANGE}&groupBy=day&model=${model}`)), model).toEqual({ '2025-03-10': ['1800.01', '65.00', 4, 3] });
    }
    // By agent the models split D1 over its touches: c5 and c2 have no agent (the null row), c1 is
    // alice's; D3 (300.00 on c4) is alice's too, D2 (500.01 on c3) bob's. Costs: alice 40.80, bob 24.20.
    const byAgent = async (model: string, extra = '') => summary(await roi(`${RANGE}&groupBy=agent&model=${model}${extra}`));
    // last_touch: all of D1 on c2; first_touch: all of D1 on c5 (before the range: credited anyway).
    const wholeD1OnNoAgent = { agent_alice: ['300.00', '40.80', 2, 1], agent_bob: ['500.01', '24.20', 1, 1], null: ['1000.00', '0.00', 1, 1] };
    expect(await byAgent('last_touch')).toEqual(wholeD1OnNoAgent);
    expect(await byAgent('first_touch')).toEqual(wholeD1OnNoAgent);
    // linear: 100000 / 3 = 33333 r 1 each, the leftover cent to the earliest (c5): 333.34, 333.33, 333.33.
    expect(await byAgent('linear')).toEqual({ agent_alice: ['633.33', '40.80', 2, 2], agent_bob: ['500.01', '24.20', 1, 1], null: ['666.67', '0.00', 1, 1] });
    // position_based, 3 touches: 40 / 20 / 40 → c5 400.00, c1 200.00, c2 400.00.
    expect(await byAgent('position_based')).toEqual({ agent_alice: ['500.00', '40.80', 2, 2], agent_bob: ['500.01', '24.20', 1, 1], null: ['800.00', '0.00', 1, 1] });
    // time_decay: weights 2^(−age/7 d) from the newest touch c2: c5 2^(−1/7), c1 2^(−70 min/7 d), c2 1
    // → 31221.93, 34306.27, 34471.80 cents; round down, the 2 leftover cents to c5 (.93) and c2 (.80):
    // 312.22, 343.06, 344.72.
    expect(await byAgent('time_decay')).toEqual({ agent_alice: ['643.06', '40.80', 2, 2], agent_bob: ['500.01', '24.20', 1, 1], null: ['656.94', '0.00', 1, 1] });
    // windowDays=1: c5 (28 h 50 min before closing) is no longer a touch; first touch is c1.
    expect(await byAgent('first_touch', '&windowDays=1')).toEqual({ agent_alice: ['1300.00', '40.80', 2, 2], agent_bob: ['500.01', '24.20', 1, 1], null: ['0.00', '0.00', 1, 0] });
  });

  it('rejects a bad query with field paths', async () => {
    const res = await hub.api.get('/v1/roi?groupBy=planet&model=magic&windowDays=0').set(tenant.auth);
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['query.groupBy', 'query.model', 'query.windowDays']);
    const backwards = await hub.api.get('/v1/roi?from=2025-03-11&to=2025-03-10').set(tenant.auth);
    expect(backwards.status).toBe(400);
  });

  it('counts provider prices only when countProviderPrices is on', async () => {
    // The fixtures carry no price; set one on c3 as a connector would have stored it.
    await hub.deps.database.db.execute(
      `update calls set cost_amount = 0.125, cost_currency = 'USD' where id = '${callIds.c3}'` as never,
    );
    expect((await roi(`${RANGE}&groupBy=provider`)).total.cost).toBe('65.00');
    const patch = await hub.api.patch('/v1/tenants/current').set(tenant.auth).send({ settings: { countProviderPrices: true } });
    expect(patch.status).toBe(200);
    // 0.125 rounds half away from zero to 0.13, a direct cost of c3 (campaign A).
    const body = await roi(`${RANGE}&groupBy=campaign`);
    expect(body.total.cost).toBe('65.13');
    expect(body.rows.find((r) => r.key === campaignA)).toMatchObject({ cost: '27.23', directCost: '0.13' });
    await hub.api.patch('/v1/tenants/current').set(tenant.auth).send({ settings: { countProviderPrices: false } });
    await hub.deps.database.db.execute(`update calls set cost_amount = null, cost_currency = null where id = '${callIds.c3}'` as never);
  });

  it('keeps tenants apart', async () => {
    const body = await roi(`${RANGE}&groupBy=campaign`, other.auth);
    expect(body.rows).toEqual([]);
    expect(body.total).toMatchObject({ revenue: '0.00', cost: '0.00', calls: 0, deals: 0, roiPercent: null });
    expect((await hub.api.get(`/v1/campaigns/${campaignA}`).set(other.auth)).status).toBe(404);
    expect((await hub.api.get('/v1/crm/deals/D1').set(other.auth)).status).toBe(404);
  });
});

describe('incremental attribution', () => {
  it('follows a deal lost, won again, changed and deleted', async () => {
    await hub.api.post('/v1/crm/deals').set(tenant.auth).send({ deals: [{ externalId: 'D1', contactExternalId: 'K1', amount: '1000.00', currency: 'USD', stage: 'lost', closedAt: '2025-03-10T20:00:00Z' }] });
    await hub.settle(tenant.apiKey);
    expect((await call(callIds.c2)).attributedRevenue).toBe('0.00');

    // Won again, closed before c2 started: its last touch is now c1.
    await hub.api.post('/v1/crm/deals').set(tenant.auth).send({ deals: [{ externalId: 'D1', contactExternalId: 'K1', amount: '1000.50', currency: 'USD', stage: 'won', type: 'new', closedAt: '2025-03-10T15:00:00Z' }] });
    await hub.settle(tenant.apiKey);
    expect((await call(callIds.c1)).attributedRevenue).toBe('1000.50');
    expect((await call(callIds.c2)).attributedRevenue).toBe('0.00');

    // The contact loses the number: no touch left.
    await hub.api.post('/v1/crm/contacts').set(tenant.auth).send({ contacts: [{ externalId: 'K1', phones: ['+14155550000'] }] });
    await hub.settle(tenant.apiKey);
    expect((await call(callIds.c1)).attributedRevenue).toBe('0.00');

    await hub.api.delete('/v1/crm/deals/D2').set(tenant.auth).expect(204);
    await hub.settle(tenant.apiKey);
    expect((await call(callIds.c3)).attributedRevenue).toBe('0.00');
    expect((await hub.api.delete('/v1/crm/deals/D2').set(tenant.auth)).status).toBe(404);
  });
});
