/**
 * From measuring to improving, through the real hub: targets (the brief's defaults, CRUD, bad
 * input), an initiative's impact from calls that arrived as signed Twilio webhooks, and alerts
 * judged within the hour with their open → resolved lifecycle delivered to a subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateTenant } from '../src/modules/alerts/intraday.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, twilioInboundCall, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1:9', ALLOW_HTTP_TARGETS: 'true' } });
});
afterAll(async () => hub?.close());

async function tenantWithTwilio() {
  const tenant = await hub.tenant({ timezone: 'UTC' });
  const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  expect(conn.status).toBe(201);
  return { tenant, webhookUrl: conn.body.webhookUrl as string };
}

/** One tenant's judgement at `now` (the worker's loop runs it for every active tenant). */
async function judge(tenantId: string, now: Date) {
  const tenant = await hub.deps.tenants.get(tenantId);
  return evaluateTenant(hub.deps.database.db, hub.deps.subscriptions, tenant!, now);
}

let callNo = 1;
/** `calls` inbound calls starting at `start`, one a minute; the first `abandoned` of them abandoned. */
async function postCalls(webhookUrl: string, start: Date, calls: number, abandoned: number) {
  for (let i = 0; i < calls; i++) {
    const at = new Date(start.getTime() + i * 60_000);
    for (const d of twilioInboundCall(callNo++, at, i >= abandoned)) {
      expect((await postTwilio(hub.api, webhookUrl, d)).status).toBe(200);
    }
  }
}

describe('targets', () => {
  it("starts a tenant with the brief's targets, not notified, and lets it change them", async () => {
    const tenant = await hub.tenant();
    const list = await hub.api.get('/v1/targets').set(tenant.auth);
    expect(list.status).toBe(200);
    const rows = list.body.data.map((t: { kpi: string; comparison: string; value: number; notify: boolean }) => [t.kpi, t.comparison, t.value, t.notify]);
    expect(rows.sort()).toEqual([
      ['csat', '>=', 0.85, false],
      ['nps', '>=', 70, false],
      ['serviceLevel', '>=', 0.8, false],
    ]);
    const nps = list.body.data.find((t: { kpi: string }) => t.kpi === 'nps') as { id: string };
    const patched = await hub.api.patch(`/v1/targets/${nps.id}`).set(tenant.auth).send({ notify: true, value: 60 });
    expect(patched.body).toMatchObject({ kpi: 'nps', value: 60, notify: true });
    const created = await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'roiPercent', comparison: '>=', value: '25.5', period: 'month' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kpi: 'roiPercent', value: 25.5, period: 'month', notify: false, scope: {} });
    expect((await hub.api.delete(`/v1/targets/${created.body.id as string}`).set(tenant.auth)).status).toBe(204);
    expect((await hub.api.get(`/v1/targets/${created.body.id as string}`).set(tenant.auth)).status).toBe(404);

    // Another tenant sees none of it.
    const other = await hub.tenant();
    expect((await hub.api.get(`/v1/targets/${nps.id}`).set(other.auth)).status).toBe(404);
  });

  it('refuses a target on an unknown KPI with the field named', async () => {
    const tenant = await hub.tenant();
    const res = await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'happiness', comparison: '>=', value: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain('body.kpi');
    const bad = await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'csat', comparison: '>', value: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('body.comparison');
  });
});

describe('targets on figures', () => {
  it('puts the targets that apply on each KPI and ROI row, with met', async () => {
    const { tenant, webhookUrl } = await tenantWithTwilio();
    await postCalls(webhookUrl, new Date(Date.UTC(2025, 4, 5, 9)), 4, 1);
    await hub.settle(tenant.apiKey);
    const daily = await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'abandonmentRate', comparison: '<=', value: 0.3, period: 'day' });
    const campaignOnly = await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'fcrRate', comparison: '>=', value: 0.5, scope: { campaignId: '00000000-0000-4000-8000-000000000001' } });
    expect(campaignOnly.status).toBe(201);
    await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'roiPercent', comparison: '>=', value: 20 });

    const byDay = await hub.api.get('/v1/kpis?from=2025-05-05&to=2025-05-06&groupBy=day').set(tenant.auth);
    expect(byDay.status).toBe(200);
    const row = byDay.body.rows[0] as { key: string; targets: { kpi: string; met: boolean | null; id: string }[] };
    expect(row.key).toBe('2025-05-05');
    // 3 of 4 answered within 20 s: service level 0.75 < 0.80; 1 of 4 abandoned ≤ 0.3; no survey: no verdict.
    expect(Object.fromEntries(row.targets.map((t) => [t.kpi, t.met]))).toEqual({ nps: null, csat: null, serviceLevel: false, abandonmentRate: true });
    expect(row.targets.find((t) => t.kpi === 'abandonmentRate')!.id).toBe(daily.body.id);
    // The daily target is not the whole range's; the campaign's target is on no row of other calls.
    expect(byDay.body.total.targets.map((t: { kpi: string }) => t.kpi).sort()).toEqual(['csat', 'nps', 'serviceLevel']);
    const byMonth = await hub.api.get('/v1/kpis?from=2025-05-01&to=2025-06-01&groupBy=month').set(tenant.auth);
    expect(byMonth.body.rows[0].targets.map((t: { kpi: string }) => t.kpi).sort()).toEqual(['csat', 'nps', 'serviceLevel']);

    const roi = await hub.api.get('/v1/roi?from=2025-05-01&to=2025-06-01&groupBy=campaign').set(tenant.auth);
    expect(roi.status).toBe(200);
    expect(roi.body.total.targets).toEqual([expect.objectContaining({ kpi: 'roiPercent', value: 20, met: null })]);
  }, 120_000);
});

describe('initiatives', () => {
  it('measures a drop in abandonment after the adjustment period and calls it reached', async () => {
    const { tenant, webhookUrl } = await tenantWithTwilio();
    // Before (2025-02-01 … 02-28): 8 calls a day on 4 days, half abandoned (16 of 32).
    for (const day of [3, 10, 17, 24]) await postCalls(webhookUrl, new Date(Date.UTC(2025, 1, day, 9)), 8, 4);
    // After the 7 adjustment days (from 03-08): 8 calls a day on 4 days, 1 abandoned (4 of 32).
    for (const day of [10, 14, 20, 27]) await postCalls(webhookUrl, new Date(Date.UTC(2025, 2, day, 9)), 8, 1);
    await hub.settle(tenant.apiKey);

    const created = await hub.api
      .post('/v1/initiatives')
      .set(tenant.auth)
      .send({ name: 'Better routing', startedAt: '2025-03-01', kpi: 'abandonmentRate', expectedChange: -0.1, adjustmentDays: 7 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ windowDays: 28, relative: false, startedAt: '2025-03-01T00:00:00.000Z' });
    const impact = await hub.api.get(`/v1/initiatives/${created.body.id as string}/impact`).set(tenant.auth);
    expect(impact.status).toBe(200);
    expect(impact.body).toMatchObject({
      method: 'two_proportion_z',
      unit: 'call',
      before: { from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z', value: 0.5, n: 32 },
      after: { from: '2025-03-08T00:00:00.000Z', to: '2025-04-05T00:00:00.000Z', value: 0.125, n: 32 },
      expectedChange: -0.1,
      verdict: 'reached',
    });
    expect(impact.body.change).toBeCloseTo(-0.375, 12);
    // By hand: se = √(0.5·0.5/32 + 0.125·0.875/32) = √(0.0078125 + 0.00341797) = 0.105970
    expect(impact.body.interval[0]).toBeCloseTo(-0.375 - 1.959964 * 0.10597, 4);
    expect(impact.body.interval[1]).toBeCloseTo(-0.375 + 1.959964 * 0.10597, 4);

    // The same change expected relative to the before value (−20 % of 0.5 = −0.1 absolute).
    const relative = await hub.api
      .post('/v1/initiatives')
      .set(tenant.auth)
      .send({ name: 'Reminders', startedAt: '2025-03-01T00:00:00Z', kpi: 'abandonmentRate', expectedChange: -0.2, relative: true, adjustmentDays: 7 });
    const rel = await hub.api.get(`/v1/initiatives/${relative.body.id as string}/impact`).set(tenant.auth);
    expect(rel.body.expectedChange).toBeCloseTo(-0.1, 12);
    expect(rel.body.verdict).toBe('reached');

    // Mean handle time is per answered call (Welch): 100 s talk on every answered call, before and after.
    const aht = await hub.api
      .post('/v1/initiatives')
      .set(tenant.auth)
      .send({ name: 'New script', startedAt: '2025-03-01', kpi: 'ahtSeconds', expectedChange: -30, adjustmentDays: 7 });
    const ahtImpact = await hub.api.get(`/v1/initiatives/${aht.body.id as string}/impact`).set(tenant.auth);
    expect(ahtImpact.body).toMatchObject({ method: 'welch_t', before: { value: 100, n: 16 }, after: { value: 100, n: 28 }, change: 0, verdict: 'inconclusive' });
  }, 240_000);

  it('says too_early while the after window runs, and refuses bad input', async () => {
    const tenant = await hub.tenant();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const created = await hub.api.post('/v1/initiatives').set(tenant.auth).send({ name: 'x', startedAt: future, kpi: 'fcrRate', expectedChange: 0.1, adjustmentDays: 21 });
    expect(created.status).toBe(201);
    const impact = await hub.api.get(`/v1/initiatives/${created.body.id as string}/impact`).set(tenant.auth);
    expect(impact.body).toMatchObject({ verdict: 'too_early', change: null, interval: null });

    const noStart = await hub.api.post('/v1/initiatives').set(tenant.auth).send({ name: 'x', kpi: 'fcrRate', expectedChange: 0.1, adjustmentDays: 21 });
    expect(noStart.status).toBe(400);
    expect(noStart.body.error.details.map((d: { path: string }) => d.path)).toContain('body.startedAt');
    const zero = await hub.api.post('/v1/initiatives').set(tenant.auth).send({ name: 'x', startedAt: '2025-01-01', kpi: 'fcrRate', expectedChange: 0, adjustmentDays: 21 });
    expect(zero.status).toBe(400);
    const channelDaily = await hub.api
      .post('/v1/initiatives')
      .set(tenant.auth)
      .send({ name: 'x', startedAt: '2025-01-01', kpi: 'occupancy', expectedChange: -0.2, relative: true, adjustmentDays: 30, scope: { channel: 'google_ads' } });
    expect(channelDaily.status).toBe(400);
    expect((await hub.api.get('/v1/initiatives/not-a-uuid/impact').set(tenant.auth)).status).toBe(404);
  });
});

describe('alerts within the hour', () => {
  it('opens an abandonment spike for the hour and the day so far, never twice, and resolves the hour when it calms', async () => {
    const { tenant, webhookUrl } = await tenantWithTwilio();
    const sub = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url: 'http://127.0.0.1:9/unused', events: ['alert.raised', 'alert.resolved'] });
    expect(sub.status).toBe(201);
    // Mondays 2025-03-03 … 03-24, 10:00–10:12: 12 calls, 1 abandoned. Monday 03-31, same minutes: 12 calls, 9 abandoned.
    for (const day of [3, 10, 17, 24]) await postCalls(webhookUrl, new Date(Date.UTC(2025, 2, day, 10)), 12, 1);
    await postCalls(webhookUrl, new Date(Date.UTC(2025, 2, 31, 10)), 12, 9);
    await hub.settle(tenant.apiKey);

    const at1030 = new Date('2025-03-31T10:30:00Z');
    const first = await judge(tenant.id, at1030);
    expect(first.raised).toBe(4);
    const open = await hub.api.get('/v1/alerts?status=open').set(tenant.auth);
    const kinds = open.body.data.map((a: { type: string; granularity: string }) => `${a.type}/${a.granularity}`).sort();
    // Abandoned callers waited 120 s, answered ones 19 s (the agent's leg ends 1 s before the call, 100 s after
    // answering): the mean wait of offered calls spikes too, (3·19 + 9·120) / 12 = 94.75 s.
    expect(kinds).toEqual(['abandonment_spike/hour', 'abandonment_spike/today', 'wait_spike/hour', 'wait_spike/today']);
    expect(open.body.data.find((a: { type: string; granularity: string }) => a.type === 'wait_spike' && a.granularity === 'hour')).toMatchObject({ value: 94.75 });
    expect(open.body.data.find((a: { type: string; granularity: string }) => a.type === 'abandonment_spike' && a.granularity === 'hour')).toMatchObject({ period: '2025-03-31T10', value: 0.75, status: 'open' });

    // Judged again five minutes later: still open, not raised again.
    const again = await judge(tenant.id, new Date('2025-03-31T10:35:00Z'));
    expect(again.raised).toBe(0);

    // 11:00–11:12 every Monday, today included: 12 calls, 1 abandoned. The new hour is normal.
    for (const day of [3, 10, 17, 24, 31]) await postCalls(webhookUrl, new Date(Date.UTC(2025, 2, day, 11)), 12, 1);
    await hub.settle(tenant.apiKey);
    const later = await judge(tenant.id, new Date('2025-03-31T11:30:00Z'));
    expect(later).toEqual({ raised: 0, resolved: 2 });
    const stillOpen = await hub.api.get('/v1/alerts?status=open').set(tenant.auth);
    expect(stillOpen.body.data.map((a: { granularity: string }) => a.granularity)).toEqual(['today', 'today']);
    const resolved = await hub.api.get('/v1/alerts?status=resolved').set(tenant.auth);
    expect(resolved.body.data.map((a: { type: string; granularity: string; status: string }) => `${a.type}/${a.granularity}/${a.status}`).sort()).toEqual([
      'abandonment_spike/hour/resolved',
      'wait_spike/hour/resolved',
    ]);

    const log = await hub.api.get(`/v1/subscriptions/${sub.body.id as string}/deliveries`).set(tenant.auth);
    const events = log.body.data.map((d: { eventType: string; payload: { data: { granularity: string } } }) => `${d.eventType} ${d.payload.data.granularity}`).sort();
    expect(events).toEqual(['alert.raised hour', 'alert.raised hour', 'alert.raised today', 'alert.raised today', 'alert.resolved hour', 'alert.resolved hour']);
  }, 240_000);

  it('judges nothing without two weeks of history, and breaches a notified target', async () => {
    const { tenant, webhookUrl } = await tenantWithTwilio();
    await postCalls(webhookUrl, new Date(Date.UTC(2025, 3, 7, 10)), 12, 9);
    await hub.settle(tenant.apiKey);
    const now = new Date('2025-04-07T10:30:00Z');
    expect((await judge(tenant.id, now)).raised).toBe(0);

    const target = await hub.api.post('/v1/targets').set(tenant.auth).send({ kpi: 'abandonmentRate', comparison: '<=', value: 0.2, notify: true });
    expect(await judge(tenant.id, now)).toEqual({ raised: 1, resolved: 0 });
    const open = await hub.api.get('/v1/alerts?status=open').set(tenant.auth);
    expect(open.body.data).toHaveLength(1);
    expect(open.body.data[0]).toMatchObject({ type: 'target_breach', targetId: target.body.id, kpi: 'abandonmentRate', value: 0.75, period: '2025-04-07' });
  }, 120_000);
});

describe('monthly report', () => {
  it("gives the month's KPIs and ROI against the previous month and the targets, as JSON and CSV, and announces it once", async () => {
    const { tenant, webhookUrl } = await tenantWithTwilio();
    const sub = await hub.api.post('/v1/subscriptions').set(tenant.auth).send({ url: 'http://127.0.0.1:9/unused', events: ['report.ready'] });
    expect(sub.status).toBe(201);
    // February: 4 calls, 2 abandoned. March: 4 calls, 1 abandoned.
    await postCalls(webhookUrl, new Date(Date.UTC(2025, 1, 12, 9)), 4, 2);
    await postCalls(webhookUrl, new Date(Date.UTC(2025, 2, 12, 9)), 4, 1);
    const cost = await hub.api
      .post('/v1/costs')
      .set(tenant.auth)
      .send({ costs: [{ category: 'salaries', kind: 'direct', amount: '310.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31' }] });
    expect(cost.body.upserted).toBe(1);
    await hub.settle(tenant.apiKey);
    await hub.api.post('/v1/initiatives').set(tenant.auth).send({ name: 'Callback offer', startedAt: '2025-03-01', kpi: 'abandonmentRate', expectedChange: -0.1, adjustmentDays: 0 });

    const res = await hub.api.get('/v1/reports/monthly?month=2025-03').set(tenant.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ month: '2025-03', previousMonth: '2025-02', currency: 'USD' });
    const kpiTotal = res.body.kpis.total[0];
    expect(kpiTotal.values).toMatchObject({ offered: 4, abandoned: 1, abandonmentRate: 0.25, costPerCall: '103.33' });
    expect(kpiTotal.previous).toMatchObject({ offered: 4, abandoned: 2, abandonmentRate: 0.5, costPerCall: null });
    expect(kpiTotal.delta).toMatchObject({ offered: 0, abandoned: -1, abandonmentRate: -0.25, costPerCall: null });
    expect(kpiTotal.targets.find((t: { kpi: string }) => t.kpi === 'serviceLevel')).toMatchObject({ value: 0.8, met: false });
    const roiTotal = res.body.roi.total[0];
    expect(roiTotal.values).toMatchObject({ revenue: '0.00', cost: '310.00', net: '-310.00', roiPercent: -100 });
    expect(roiTotal.delta).toMatchObject({ cost: '310.00', net: '-310.00' });
    expect(Object.keys(res.body.kpis).sort()).toEqual(['agent', 'campaign', 'channel', 'total']);
    expect(res.body.initiatives).toHaveLength(1);
    // 2 of 4 abandoned before, 1 of 4 after: too few calls to tell (the interval spans zero).
    expect(res.body.initiatives[0]).toMatchObject({ verdict: 'inconclusive', before: { value: 0.5, n: 4 }, after: { value: 0.25, n: 4 } });

    const csv = await hub.api.get('/v1/reports/monthly?month=2025-03').set(tenant.auth).set('Accept', 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n').map((l) => l.split(','));
    expect(lines[0]).toEqual(['section', 'grouping', 'key', 'figure', 'value', 'previous', 'delta', 'target', 'met']);
    expect(lines).toContainEqual(['kpis', 'total', '', 'abandonmentRate', '0.25', '0.5', '-0.25', '', '']);
    expect(lines).toContainEqual(['roi', 'total', '', 'cost', '310.00', '0.00', '310.00', '', '']);
    expect(lines).toContainEqual(['kpis', 'total', '', 'serviceLevel', '0.75', '0.5', '0.25', '>= 0.8', 'false']);

    expect((await hub.api.get('/v1/reports/monthly?month=2999-01').set(tenant.auth)).status).toBe(400);
    const bad = await hub.api.get('/v1/reports/monthly?month=2025-13').set(tenant.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('query.month');

    const { sendMonthlyReports } = await import('../src/modules/reports/index.js');
    const april = new Date('2025-04-01T08:00:00Z');
    expect(await sendMonthlyReports(hub.deps.database.db, hub.deps.subscriptions, hub.deps.logger, april)).toBeGreaterThanOrEqual(1);
    await sendMonthlyReports(hub.deps.database.db, hub.deps.subscriptions, hub.deps.logger, april);
    const log = await hub.api.get(`/v1/subscriptions/${sub.body.id as string}/deliveries`).set(tenant.auth);
    const ready = log.body.data.filter((d: { eventType: string }) => d.eventType === 'report.ready');
    expect(ready).toHaveLength(1);
    expect(ready[0].payload.data).toMatchObject({ month: '2025-03', url: '/v1/reports/monthly?month=2025-03' });
  }, 180_000);
});
