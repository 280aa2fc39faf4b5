/**
 * The cost of inefficiency on /v1/kpis and /v1/roi rows, from signed Aircall webhooks: repeat calls and their
 * cost at the row's cost per handled second, waits priced by the tenant's waitCostPerHour, and
 * transfers; the `peaks` cost category.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { aircallConnection, alice, callEvent, postAircall, scenario } from './helpers/aircall.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
}, 60_000);
afterAll(async () => hub?.close());

const T = 1741640400; // 2025-03-10T21:00:00Z, 14:00 in Los Angeles
const bob = { id: 987002, name: 'Bob Agent' };

describe('the cost of inefficiency', () => {
  it('repeat calls, their cost, the wait cost and transfers per row', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    const other = { raw_digits: '+1 415-555-0199' };
    const transferredAt = T + 2000;
    await postAircall(hub, conn, [
      ...scenario.answered(5001, T, 120),
      ...scenario.answered(5002, T + 3600, 240), // the same number an hour later: 5001 is unresolved
      ...scenario.abandoned(5003, T + 1000, 30, other),
      callEvent(5004, transferredAt, 'call.created', transferredAt, other),
      callEvent(5004, transferredAt, 'call.answered', transferredAt + 5, { ...other, status: 'answered', answered_at: transferredAt + 5, user: alice }),
      callEvent(5004, transferredAt, 'call.transferred', transferredAt + 60, { ...other, status: 'answered', answered_at: transferredAt + 5, user: alice, transferred_by: alice, transferred_to: bob }),
      callEvent(5004, transferredAt, 'call.hungup', transferredAt + 200, { ...other, status: 'done', answered_at: transferredAt + 5, ended_at: transferredAt + 200, user: bob }),
    ]);
    const costs = await hub.api
      .post('/v1/costs')
      .set(t.auth)
      .send({ costs: [{ category: 'peaks', kind: 'indirect', amount: '100.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10' }] });
    expect(costs.body).toEqual({ upserted: 1, rejected: [] });
    await hub.settle(t.apiKey);

    const list = await hub.api.get('/v1/calls').query({ limit: 10 }).set(t.auth);
    const byId = new Map((list.body.data as { providerCallId: string; handleSeconds: number; waitSeconds: number; agents: unknown[]; status: string }[]).map((c) => [c.providerCallId, c]));
    expect(byId.get('5004')!.agents).toHaveLength(2);
    const handled = ['5001', '5002', '5004'].map((id) => byId.get(id)!);
    const handleSum = handled.reduce((s, c) => s + c.handleSeconds, 0);
    const waitSum = ['5001', '5002', '5003', '5004'].reduce((s, id) => s + byId.get(id)!.waitSeconds, 0);

    const query = { from: '2025-03-10', to: '2025-03-11', groupBy: 'day' };
    let day = (await hub.api.get('/v1/kpis').query(query).set(t.auth)).body.total;
    // The repeat (5002) priced at the day's cost per handled second: 10 000 cents over the handled seconds.
    const repeatCents = Math.round((byId.get('5002')!.handleSeconds * 10_000) / handleSum);
    expect(day).toMatchObject({ repeatCalls: 1, repeatCallsCost: (repeatCents / 100).toFixed(2), waitCost: null, transferRate: 1 / 3 });

    // 36.00 an hour is one cent a second of waiting.
    expect((await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { waitCostPerHour: '36.00' } })).status).toBe(200);
    day = (await hub.api.get('/v1/kpis').query(query).set(t.auth)).body.total;
    expect(day.waitCost).toBe((waitSum / 100).toFixed(2));
    const byAgent = (await hub.api.get('/v1/kpis').query({ ...query, groupBy: 'agent' }).set(t.auth)).body;
    // Alice answered the three handled calls (5004 she then transferred to Bob).
    expect(byAgent.rows.find((r: { key: string }) => r.key === String(alice.id))).toMatchObject({ repeatCalls: 1, transferRate: 1 / 3 });

    // /v1/roi rows carry the same figures as the KPI row of the same key, and so does the total.
    const figures = (r: Record<string, unknown>) => ({ repeatCalls: r.repeatCalls, repeatCallsCost: r.repeatCallsCost, waitCost: r.waitCost, transferRate: r.transferRate });
    for (const groupBy of ['day', 'agent', 'campaign', 'direction']) {
      const kpis = (await hub.api.get('/v1/kpis').query({ ...query, groupBy }).set(t.auth)).body;
      const roi = (await hub.api.get('/v1/roi').query({ ...query, groupBy }).set(t.auth)).body;
      expect(roi.rows.length).toBeGreaterThan(0);
      for (const row of roi.rows as { key: string | null }[]) {
        const kpiRow = (kpis.rows as { key: string | null }[]).find((r) => r.key === row.key)!;
        expect({ groupBy, key: row.key, ...figures(row) }).toEqual({ groupBy, key: row.key, ...figures(kpiRow) });
      }
      expect(figures(roi.total)).toEqual(figures(kpis.total));
    }
    expect(figures((await hub.api.get('/v1/roi').query(query).set(t.auth)).body.total)).toEqual({
      repeatCalls: 1,
      repeatCallsCost: (repeatCents / 100).toFixed(2),
      waitCost: (waitSum / 100).toFixed(2),
      transferRate: 1 / 3,
    });
    // A won deal closed on a day without calls: that day's ROI row has no call to be inefficient with.
    const deal = await hub.api
      .post('/v1/crm/deals')
      .set(t.auth)
      .send({ deals: [{ externalId: 'd-ineff', amount: '500.00', currency: 'USD', stage: 'won', closedAt: '2025-03-12T18:00:00Z', phones: ['+14155550123'] }] });
    expect(deal.body).toMatchObject({ rejected: [] });
    await hub.settle(t.apiKey);
    const days = (await hub.api.get('/v1/roi').query({ from: '2025-03-10', to: '2025-03-13', groupBy: 'day' }).set(t.auth)).body;
    expect(figures(days.rows.find((r: { key: string }) => r.key === '2025-03-12'))).toEqual({ repeatCalls: 0, repeatCallsCost: null, waitCost: '0.00', transferRate: null });

    for (const bad of ['36.001', '-1', 'thirty', 36]) {
      expect((await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { waitCostPerHour: bad } })).status).toBe(400);
    }
  }, 60_000);
});
