/**
 * Campaigns and tracking-number assignment periods (contract section 5): a call belongs to the
 * campaign whose assignment of its tracking number covers its startedAt; moving a number closes the
 * old period, so history keeps its campaign. Calls: the Twilio fixtures on line +16505550100 at
 * 14:00Z (answered), 15:10Z (abandoned) and 16:20Z (outbound) on 2025-03-10.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

const LINE = '+16505550100';
let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;
let other: Awaited<ReturnType<TestHub['tenant']>>;

/** startedAt (HH:MM) → campaignId of the tenant's calls. */
async function campaignsOfCalls(): Promise<Record<string, string | null>> {
  await hub.settle(tenant.apiKey);
  const res = await hub.api.get('/v1/calls').set(tenant.auth);
  return Object.fromEntries((res.body.data as { startedAt: string; campaignId: string | null }[]).map((c) => [c.startedAt.slice(11, 16), c.campaignId]));
}

async function createCampaign(body: Record<string, unknown>): Promise<string> {
  const res = await hub.api.post('/v1/campaigns').set(tenant.auth).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant({ name: 'Acme' });
  other = await hub.tenant({ name: 'Globex' });
  const conn = await hub.api
    .post('/v1/connections')
    .set(tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  for (const name of ['inbound_answered', 'inbound_abandoned', 'outbound']) {
    for (const d of twilioFixture(name).deliveries) expect((await postTwilio(hub.api, conn.body.webhookUrl, d)).status).toBe(200);
  }
  await hub.settle(tenant.apiKey);
}, 60_000);
afterAll(async () => hub?.close());

describe('tracking-number assignment periods', () => {
  let x: string;
  let y: string;

  it('assigns existing calls when a campaign takes their number (open period)', async () => {
    const res = await hub.api.post('/v1/campaigns').set(tenant.auth).send({ name: 'Search', channel: 'google_ads', trackingNumbers: ['650-555-0100'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Search', channel: 'google_ads', trackingNumbers: [LINE], assignments: [{ number: LINE, from: null, to: null }] });
    x = res.body.id;
    expect(await campaignsOfCalls()).toEqual({ '14:00': x, '15:10': x, '16:20': x });
  });

  it('moves a number at a given instant: calls before it keep their campaign', async () => {
    y = await createCampaign({ name: 'Radio', channel: 'radio', trackingNumbers: [{ number: LINE, from: '2025-03-10T15:00:00Z' }] });
    expect(await campaignsOfCalls()).toEqual({ '14:00': x, '15:10': y, '16:20': y });
    const old = await hub.api.get(`/v1/campaigns/${x}`).set(tenant.auth);
    expect(old.body.assignments).toEqual([{ number: LINE, from: null, to: '2025-03-10T15:00:00.000Z' }]);
    expect(old.body.trackingNumbers).toEqual([]);
    const kpis = await hub.api.get('/v1/kpis?from=2025-03-10&to=2025-03-11&groupBy=campaign').set(tenant.auth);
    // KPI rollups follow the re-assignment (markCallsDirty through the call listeners).
    expect(kpis.status).toBe(200);
    expect((kpis.body.rows as { key: string | null }[]).map((r) => r.key).sort()).toEqual([x, y].sort());
  });

  it('moves a bare number now: every past call keeps its campaign', async () => {
    const before = Date.now();
    const z = await createCampaign({ name: 'Print', channel: 'print', trackingNumbers: [LINE] });
    expect(await campaignsOfCalls()).toEqual({ '14:00': x, '15:10': y, '16:20': y });
    const radio = (await hub.api.get(`/v1/campaigns/${y}`).set(tenant.auth)).body;
    expect(radio.trackingNumbers).toEqual([]);
    const closedAt = Date.parse(radio.assignments[0].to as string);
    expect(closedAt).toBeGreaterThanOrEqual(before - 1000);
    const print = (await hub.api.get(`/v1/campaigns/${z}`).set(tenant.auth)).body;
    expect(print.trackingNumbers).toEqual([LINE]);
    expect(Date.parse(print.assignments[0].from as string)).toBe(closedAt);

    // PATCH without the number releases it (closed now, history kept); renaming works alongside.
    const patched = await hub.api.patch(`/v1/campaigns/${z}`).set(tenant.auth).send({ name: 'Print 2', trackingNumbers: [] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Print 2', trackingNumbers: [] });
    expect(patched.body.assignments[0].to).not.toBeNull();
  });

  it('splits a period around an explicit one given by PATCH', async () => {
    const res = await hub.api
      .patch(`/v1/campaigns/${x}`)
      .set(tenant.auth)
      .send({ trackingNumbers: [{ number: LINE, from: '2025-03-10T16:00:00Z', to: '2025-03-10T17:00:00Z' }] });
    expect(res.status).toBe(200);
    expect(await campaignsOfCalls()).toEqual({ '14:00': x, '15:10': y, '16:20': x });
    const radio = (await hub.api.get(`/v1/campaigns/${y}`).set(tenant.auth)).body;
    expect(radio.assignments.map((a: { from: string | null; to: string | null }) => [a.from, a.to])).toEqual([
      ['2025-03-10T15:00:00.000Z', '2025-03-10T16:00:00.000Z'],
      ['2025-03-10T17:00:00.000Z', expect.any(String)],
    ]);
  });

  it('deletes a campaign: its calls fall back to whatever else covers them', async () => {
    // A cost of the campaign, posted before the delete, stays with it (the campaign is soft-deleted).
    const cost = await hub.api
      .post('/v1/costs')
      .set(tenant.auth)
      .send({ costs: [{ category: 'other', kind: 'direct', amount: '12.34', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10', campaignId: x }] });
    expect(cost.body).toEqual({ upserted: 1, rejected: [] });
    expect((await hub.api.delete(`/v1/campaigns/${x}`).set(tenant.auth)).status).toBe(204);
    await hub.settle(tenant.apiKey);
    const roi = await hub.api.get('/v1/roi?from=2025-03-10&to=2025-03-11&groupBy=campaign').set(tenant.auth);
    expect(roi.body.rows.find((r: { key: string | null }) => r.key === x)).toMatchObject({ cost: '12.34' });
    // A deleted campaign can no longer be named by a new cost.
    const late = await hub.api
      .post('/v1/costs')
      .set(tenant.auth)
      .send({ costs: [{ category: 'other', kind: 'direct', amount: '1.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10', campaignId: x }] });
    expect(late.body.rejected).toHaveLength(1);
    expect(await campaignsOfCalls()).toEqual({ '14:00': null, '15:10': y, '16:20': null });
    expect((await hub.api.get(`/v1/campaigns/${x}`).set(tenant.auth)).status).toBe(404);
    const list = await hub.api.get('/v1/campaigns').set(tenant.auth);
    expect((list.body.data as { id: string }[]).map((c) => c.id)).not.toContain(x);
    expect((list.body.data as { id: string }[]).map((c) => c.id)).toContain(y);
  });

  it('keeps tenants apart and answers 404 to unknown or malformed ids', async () => {
    expect((await hub.api.get(`/v1/campaigns/${y}`).set(other.auth)).status).toBe(404);
    expect((await hub.api.patch(`/v1/campaigns/${y}`).set(other.auth).send({ name: 'mine' })).status).toBe(404);
    expect((await hub.api.delete(`/v1/campaigns/${y}`).set(other.auth)).status).toBe(404);
    expect((await hub.api.get('/v1/campaigns/not-a-uuid').set(tenant.auth)).status).toBe(404);
    expect((await hub.api.get('/v1/campaigns').set(other.auth)).body.data).toEqual([]);
    // Another tenant's campaign on the same number does not capture this tenant's calls.
    const theirs = await hub.api.post('/v1/campaigns').set(other.auth).send({ name: 'Theirs', channel: 'tv', trackingNumbers: [LINE] });
    expect(theirs.status).toBe(201);
    expect(await campaignsOfCalls()).toEqual({ '14:00': null, '15:10': y, '16:20': null });
  });

  it('rejects bad input with field paths', async () => {
    const res = await hub.api
      .post('/v1/campaigns')
      .set(tenant.auth)
      .send({ name: 'Bad', channel: 'x', trackingNumbers: ['not a number'] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.trackingNumbers.0' })]);
    const missing = await hub.api.post('/v1/campaigns').set(tenant.auth).send({ trackingNumbers: [] });
    expect((missing.body.error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(['body.channel', 'body.name']);
    const backwards = await hub.api
      .post('/v1/campaigns')
      .set(tenant.auth)
      .send({ name: 'B', channel: 'x', trackingNumbers: [{ number: LINE, from: '2025-03-11T00:00:00Z', to: '2025-03-10T00:00:00Z' }] });
    expect(backwards.status).toBe(400);
  });
});
