/**
 * Linked agents on the ROI side (POST/DELETE /v1/agents/{id}/link), computed by hand.
 *
 * Tenant UTC, USD; the day 2025-03-10. The same person on RingCentral (rc-1) and Aircall (ac-9);
 * x is someone else. Calls (inbound answered): rc-1 09:00Z 100 s from C1, ac-9 10:00Z 300 s from
 * C2, x 11:00Z 50 s from C3. Deals closed 20:00Z: D1 1000.00 [C1] (new), D2 500.00 [C2] (upsell).
 * Costs that day: 30.00 direct scoped to ac-9; 40.00 unscoped, spread over the day's handled calls
 * by handle time (450 s): rc-1 4000×100/450 = 888.9, ac-9 2666.7, x 444.4 → 888 + 2666 + 444 =
 * 3998, the 2 leftover cents to the largest remainders (rc-1 .89, ac-9 .67): 8.89, 26.67, 4.44.
 *
 * Unlinked, by agent: rc-1 1000.00 / 8.89 (ROI 991.11/8.89 = 11148.59 %), ac-9 500.00 / 56.67
 * (30.00 + 26.67; ROI 782.30 %), x 0.00 / 4.44.
 * Linked (rc-1 ← ac-9): one row rc-1, 1500.00 / 65.56 (30.00 + 8.89 + 26.67; ROI 1434.44/65.56 =
 * 2187.98 %), 2 calls, 2 deals, 1 acquisition; x unchanged.
 * By provider, the ac-9 cost is spread over the pair's calls once linked (100:300 → 7.50 and
 * 22.50): ringcentral 8.89 → 16.39, aircall 61.11 → 53.61.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { putAnsweredCall } from './helpers/put-call.js';

let hub: TestHub;
let t: Awaited<ReturnType<TestHub['tenant']>>;

type Row = { key: string | null; revenue: string; cost: string; roiPercent: number | null; calls: number; deals: number; costPerAcquisition: string | null };

async function roi(query: string) {
  const res = await hub.api.get(`/v1/roi?from=2025-03-10&to=2025-03-11&${query}`).set(t.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { total: Row; rows: Row[] };
}
const table = (body: { rows: Row[] }) => Object.fromEntries(body.rows.map((r) => [String(r.key), [r.revenue, r.cost, r.roiPercent, r.calls, r.deals]]));

const UNLINKED = {
  'ac-9': ['500.00', '56.67', 782.3, 1, 1],
  'rc-1': ['1000.00', '8.89', 11148.59, 1, 1],
  x: ['0.00', '4.44', -100, 1, 0],
};
const LINKED = {
  'rc-1': ['1500.00', '65.56', 2187.98, 2, 2],
  x: ['0.00', '4.44', -100, 1, 0],
};

beforeAll(async () => {
  hub = await createTestHub();
  t = await hub.tenant({ timezone: 'UTC', currency: 'USD' });
  await putAnsweredCall(hub, t.id, { provider: 'ringcentral', agentId: 'rc-1', startedAt: '2025-03-10T09:00:00Z', talkSeconds: 100, externalNumber: '+14155550123' });
  await putAnsweredCall(hub, t.id, { provider: 'aircall', agentId: 'ac-9', startedAt: '2025-03-10T10:00:00Z', talkSeconds: 300, externalNumber: '+14155550188' });
  await putAnsweredCall(hub, t.id, { provider: 'aircall', agentId: 'x', startedAt: '2025-03-10T11:00:00Z', talkSeconds: 50, externalNumber: '+14155550199' });
  const closedAt = '2025-03-10T20:00:00Z';
  const deals = await hub.api
    .post('/v1/crm/deals')
    .set(t.auth)
    .send({
      deals: [
        { externalId: 'D1', phones: ['+14155550123'], amount: '1000.00', currency: 'USD', stage: 'won', type: 'new', closedAt },
        { externalId: 'D2', phones: ['+14155550188'], amount: '500.00', currency: 'USD', stage: 'won', type: 'upsell', closedAt },
      ],
    });
  expect(deals.body).toEqual({ upserted: 2, rejected: [] });
  const costs = await hub.api
    .post('/v1/costs')
    .set(t.auth)
    .send({
      costs: [
        { category: 'training', kind: 'direct', amount: '30.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10', agentId: 'ac-9' },
        { category: 'other', kind: 'indirect', amount: '40.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10' },
      ],
    });
  expect(costs.body).toEqual({ upserted: 2, rejected: [] });
  await hub.settle(t.apiKey);
}, 60_000);
afterAll(async () => hub?.close());

describe('linked agents in GET /v1/roi', () => {
  it('count once under the first id while linked, and twice again once unlinked', async () => {
    for (const model of ['last_touch', 'linear']) expect(table(await roi(`groupBy=agent&model=${model}`)), model).toEqual(UNLINKED);
    expect(table(await roi('groupBy=provider'))).toMatchObject({ ringcentral: ['1000.00', '8.89', 11148.59, 1, 1], aircall: ['500.00', '61.11', 718.2, 2, 1] });

    expect((await hub.api.post('/v1/agents/rc-1/link').set(t.auth).send({ agentId: 'ac-9' })).status).toBe(200);
    // At once (the marked days computed on the fly), then from the rebuilt days.
    for (const when of ['marked', 'rebuilt']) {
      if (when === 'rebuilt') await hub.settle(t.apiKey);
      for (const model of ['last_touch', 'linear']) expect(table(await roi(`groupBy=agent&model=${model}`)), `${when} ${model}`).toEqual(LINKED);
      const rc1 = (await roi('groupBy=agent')).rows.find((r) => r.key === 'rc-1')!;
      // One acquisition (D1; D2 is an upsell): 65.56.
      expect(rc1.costPerAcquisition, when).toBe('65.56');
      // The cost naming ac-9 is the pair's: spread over both calls (100:300) under another grouping.
      expect(table(await roi('groupBy=provider')), when).toMatchObject({ ringcentral: ['1000.00', '16.39', 6001.28, 1, 1], aircall: ['500.00', '53.61', 832.66, 2, 1] });
      expect((await roi('groupBy=agent')).total, when).toMatchObject({ revenue: '1500.00', cost: '70.00', calls: 3, deals: 2 });
    }

    expect((await hub.api.delete('/v1/agents/ac-9/link').set(t.auth)).status).toBe(200);
    await hub.settle(t.apiKey);
    for (const model of ['last_touch', 'linear']) expect(table(await roi(`groupBy=agent&model=${model}`)), `unlinked ${model}`).toEqual(UNLINKED);
    expect(table(await roi('groupBy=provider'))).toMatchObject({ ringcentral: ['1000.00', '8.89', 11148.59, 1, 1], aircall: ['500.00', '61.11', 718.2, 2, 1] });
  });
});
