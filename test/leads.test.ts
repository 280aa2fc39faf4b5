/**
 * Leads found through calls: firstTimeCaller from signed Aircall webhooks, the same whatever the
 * order the calls arrive in (a call arriving late recomputes the later calls of its number), the
 * tenant's leadLookbackDays, and the `leads` KPI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { aircallConnection, postAircall, scenario } from './helpers/aircall.js';
import { mulberry32 } from './helpers/prng.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
}, 60_000);
afterAll(async () => hub?.close());

const DAY = 86_400;
const T = 1741640400; // 2025-03-10T21:00:00Z

async function flags(auth: Record<string, string>): Promise<Record<string, boolean | null>> {
  const res = await hub.api.get('/v1/calls').query({ limit: 100 }).set(auth);
  return Object.fromEntries((res.body.data as { providerCallId: string; firstTimeCaller: boolean | null }[]).map((c) => [c.providerCallId, c.firstTimeCaller]));
}

async function leadsOn(auth: Record<string, string>, day: string, next: string): Promise<number> {
  return (await hub.api.get('/v1/kpis').query({ from: day, to: next, groupBy: 'day' }).set(auth)).body.total.leads as number;
}

describe('leads (firstTimeCaller)', () => {
  it('is order-independent, follows leadLookbackDays, and counts in the KPIs', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    const other = { raw_digits: '+1 415-555-0177' };
    await postAircall(hub, conn, [
      ...scenario.answered(6002, T),
      ...scenario.answered(6003, T + 10 * DAY),
      ...scenario.answered(6004, T + 200 * DAY),
      ...scenario.abandoned(6005, T + 600, 30, other),
    ]);
    await hub.settle(t.apiKey);
    expect(await flags(t.auth)).toEqual({ '6002': true, '6003': false, '6004': true, '6005': true });
    expect(await leadsOn(t.auth, '2025-03-10', '2025-03-11')).toBe(2);

    // An earlier call of the number arrives late: it is the lead, and the call after it no longer is.
    await postAircall(hub, conn, scenario.abandoned(6001, T - 5 * DAY, 40));
    await hub.settle(t.apiKey);
    expect(await flags(t.auth)).toEqual({ '6001': true, '6002': false, '6003': false, '6004': true, '6005': true });
    expect(await leadsOn(t.auth, '2025-03-10', '2025-03-11')).toBe(1);
    expect(await leadsOn(t.auth, '2025-03-05', '2025-03-06')).toBe(1);

    // A shorter lookback: calls more than 3 days after the previous one are leads again.
    expect((await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { leadLookbackDays: 3 } })).status).toBe(200);
    await hub.settle(t.apiKey);
    expect(await flags(t.auth)).toEqual({ '6001': true, '6002': true, '6003': true, '6004': true, '6005': true });
    expect(await leadsOn(t.auth, '2025-03-10', '2025-03-11')).toBe(2);
    expect((await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { leadLookbackDays: 0 } })).status).toBe(400);
  }, 90_000);

  it('a number that calls often: every order gives one lead, and no event waits on the others', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    // 40 calls of one number an hour apart, their deliveries shuffled and sent 8 at a time: the
    // workers process them in concurrent batches, each of which used to lock the number's later calls.
    const bodies = Array.from({ length: 40 }, (_, i) => scenario.answered(8100 + i, T + i * 3600)).flat();
    const random = mulberry32(14);
    const order = bodies.map((b) => ({ b, k: random() })).sort((x, y) => x.k - y.k).map((x) => x.b);
    for (let i = 0; i < order.length; i += 8) await Promise.all(order.slice(i, i + 8).map((b) => postAircall(hub, conn, [b])));
    await hub.settle(t.apiKey);
    const got = await flags(t.auth);
    expect(Object.keys(got)).toHaveLength(40);
    expect(Object.entries(got).filter(([, lead]) => lead).map(([id]) => id)).toEqual(['8100']);
    expect(await leadsOn(t.auth, '2025-03-10', '2025-03-13')).toBe(1);
  }, 120_000);
});
