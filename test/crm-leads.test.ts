/**
 * CRM leads (POST /v1/crm/leads) and the lead figures: which call a lead marks (the first call of
 * one of its phones, its contact's included, from createdAt − leadLookbackDays on), whatever the
 * order leads, contacts and calls arrive in; leads, leadCloseRate, costPerLead and
 * avgDaysToConversion on ROI and KPI rows, by hand, then against a plain reference over random data.
 * Calls come in as Aircall webhooks (the connection's webhook token).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { aircallConnection, postAircall, scenario } from './helpers/aircall.js';
import { DateTime } from 'luxon';
import { eq } from 'drizzle-orm';
import { crmDeals, tenants } from '../src/db/schema/index.js';
import { leadConversions } from '../src/modules/roi/index.js';
import { mulberry32 } from './helpers/prng.js';
import { whileWaiting } from './helpers/waiting-deals.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
}, 60_000);
afterAll(async () => hub?.close());

const DAY = 86_400;
const T = 1741640400; // 2025-03-10T21:00:00Z, 14:00 in Los Angeles (the test tenants' timezone)
const iso = (unix: number) => new Date(unix * 1000).toISOString();
const digits = (e164: string) => `+1 ${e164.slice(2, 5)}-${e164.slice(5, 8)}-${e164.slice(8)}`;
const A = '+14155550123'; // the fixture's number
const D = '+14155550101';
const E = '+14155550102';
const F = '+14155550103';
const G = '+14155550104';

type Flags = Record<string, { firstTimeCaller: boolean | null; crmLead: boolean; lead: boolean; status: string; direction: string }>;
async function flags(auth: Record<string, string>): Promise<Flags> {
  const res = await hub.api.get('/v1/calls').query({ limit: 500 }).set(auth);
  expect(res.status).toBe(200);
  return Object.fromEntries(
    (res.body.data as (Flags[string] & { providerCallId: string })[]).map((c) => [
      c.providerCallId,
      { firstTimeCaller: c.firstTimeCaller, crmLead: c.crmLead, lead: c.lead, status: c.status, direction: c.direction },
    ]),
  );
}

const inbound = (id: number, t: number, n: string) => scenario.answered(id, t, 120, { raw_digits: digits(n) });
const outbound = (id: number, t: number, n: string) => scenario.answered(id, t, 120, { raw_digits: digits(n), direction: 'outbound' });

async function post(auth: Record<string, string>, path: string, body: object) {
  const res = await hub.api.post(path).set(auth).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.rejected).toEqual([]);
}

describe('POST /v1/crm/leads', () => {
  it('validates rows one by one, upserts on externalId, lists and deletes', async () => {
    const t = await hub.tenant();
    const res = await hub.api
      .post('/v1/crm/leads')
      .set(t.auth)
      .send({
        leads: [
          { externalId: 'l1', phones: ['(415) 555-0101'], source: 'web form', createdAt: '2025-03-10T09:00:00Z' },
          { externalId: 'l2', phones: ['not a phone'], source: 'x', createdAt: '2025-03-10T09:00:00Z' },
          { externalId: 'l3', source: 'x', createdAt: '2025-03-10T09:00:00Z' },
          { externalId: 'l4', phones: [D], source: 'x', createdAt: 'yesterday' },
          { externalId: 'l5', phones: [D], source: 'x', createdAt: '2025-03-10T09:00:00Z', stage: 'new' },
          { externalId: 'l6', contactExternalId: 'c9', source: 'ads', createdAt: '2025-03-11T09:00:00+01:00' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.upserted).toBe(2);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 3, 4]);
    expect(res.body.rejected[0].error).toMatch(/phones\.0/);
    expect(res.body.rejected[1].error).toMatch(/phones or contactExternalId/);
    expect(res.body.rejected[2].error).toMatch(/createdAt/);
    expect(res.body.rejected[3].error).toMatch(/stage|unrecognized/i);
    const l1 = await hub.api.get('/v1/crm/leads/l1').set(t.auth);
    expect(l1.body).toMatchObject({ externalId: 'l1', phones: [D], matchPhones: [D], source: 'web form', createdAt: '2025-03-10T09:00:00.000Z' });
    // Re-sending changes nothing; a change updates in place.
    await post(t.auth, '/v1/crm/leads', { leads: [{ externalId: 'l1', phones: ['(415) 555-0101'], source: 'web form', createdAt: '2025-03-10T09:00:00Z' }] });
    expect((await hub.api.get('/v1/crm/leads/l1').set(t.auth)).body.updatedAt).toBe(l1.body.updatedAt);
    await post(t.auth, '/v1/crm/leads', { leads: [{ externalId: 'l1', phones: [E], source: 'phone', createdAt: '2025-03-10T09:00:00Z' }] });
    const list = await hub.api.get('/v1/crm/leads').set(t.auth);
    expect(list.body.data.map((l: { externalId: string }) => l.externalId).sort()).toEqual(['l1', 'l6']);
    expect(list.body.data.find((l: { externalId: string }) => l.externalId === 'l1').phones).toEqual([E]);
    expect((await hub.api.post('/v1/crm/leads').set(t.auth).send({ leads: 'x' })).status).toBe(400);
    expect((await hub.api.delete('/v1/crm/leads/l1').set(t.auth)).status).toBe(204);
    expect((await hub.api.get('/v1/crm/leads/l1').set(t.auth)).status).toBe(404);
    // Another tenant sees nothing of it.
    const other = await hub.tenant();
    expect((await hub.api.get('/v1/crm/leads/l6').set(other.auth)).status).toBe(404);
    await hub.settle(t.apiKey);
  }, 60_000);

  it('marks the first call of its phones (contact included) in any order, and gives the lead figures by hand', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    // Leads first: L1 on D (created T), L2 on E and, through contact c2 posted later, F.
    await post(t.auth, '/v1/crm/leads', {
      leads: [
        { externalId: 'L1', phones: [D], source: 'web form', createdAt: iso(T) },
        { externalId: 'L2', phones: [E], contactExternalId: 'c2', source: 'google ads', createdAt: iso(T + 4 * DAY) },
      ],
    });
    await postAircall(hub, conn, [
      ...inbound(7010, T - 100 * DAY, D),
      ...inbound(7011, T - 50 * DAY, D),
      ...inbound(7001, T, A),
      ...inbound(7002, T + 10 * DAY, A),
      ...inbound(7020, T + 5 * DAY, E),
      ...outbound(7030, T + DAY, G),
    ]);
    await hub.settle(t.apiKey);
    let got = await flags(t.auth);
    expect(got['7030']).toMatchObject({ direction: 'outbound', status: 'answered' });
    // D: 7010 is 100 days before L1, outside its 90-day window; 7011 is the first call inside it,
    // and no first-time caller (7010 is 50 days before it).
    expect(got['7010']).toMatchObject({ firstTimeCaller: true, crmLead: false, lead: true });
    expect(got['7011']).toMatchObject({ firstTimeCaller: false, crmLead: true, lead: true });
    expect(got['7020']).toMatchObject({ firstTimeCaller: true, crmLead: true });
    expect(got['7002']).toMatchObject({ firstTimeCaller: false, crmLead: false, lead: false });

    // The contact gives L2 the number F; F's call, earlier than E's, arrives late: it takes the mark.
    await post(t.auth, '/v1/crm/contacts', { contacts: [{ externalId: 'c2', phones: [F] }] });
    await postAircall(hub, conn, inbound(7021, T + 3 * DAY, F));
    await hub.settle(t.apiKey);
    got = await flags(t.auth);
    expect(got['7021']).toMatchObject({ firstTimeCaller: true, crmLead: true });
    expect(got['7020']).toMatchObject({ firstTimeCaller: true, crmLead: false });
    expect((await hub.api.get('/v1/crm/leads/L2').set(t.auth)).body.matchPhones).toEqual([E, F]);

    // The same data in another order (calls first, then the contact, then the leads) gives the same flags.
    const u = await hub.tenant();
    const conn2 = await aircallConnection(hub, u.auth);
    await postAircall(hub, conn2, [
      ...inbound(7021, T + 3 * DAY, F),
      ...inbound(7002, T + 10 * DAY, A),
      ...inbound(7020, T + 5 * DAY, E),
      ...inbound(7011, T - 50 * DAY, D),
      ...outbound(7030, T + DAY, G),
      ...inbound(7001, T, A),
      ...inbound(7010, T - 100 * DAY, D),
    ]);
    await post(u.auth, '/v1/crm/contacts', { contacts: [{ externalId: 'c2', phones: [F] }] });
    await hub.settle(u.apiKey);
    await post(u.auth, '/v1/crm/leads', {
      leads: [
        { externalId: 'L2', phones: [E], contactExternalId: 'c2', source: 'google ads', createdAt: iso(T + 4 * DAY) },
        { externalId: 'L1', phones: [D], source: 'web form', createdAt: iso(T) },
      ],
    });
    await hub.settle(u.apiKey);
    expect(await flags(u.auth)).toEqual(got);

    // Deals: X (contact c2: E and F) closed T+10d, first touch 7021 (a lead) 7 days before;
    // Y (A) closed T+12d, first touch 7001 (a lead), 12 days; Z (G) closed T+2d, first touch the
    // outbound 7030 (a lead), 1 day; W has no touch. A cost of 900.00 over March.
    await post(t.auth, '/v1/crm/deals', {
      deals: [
        { externalId: 'X', contactExternalId: 'c2', phones: [E], amount: '1000.00', currency: 'USD', stage: 'won', closedAt: iso(T + 10 * DAY + 3600) },
        { externalId: 'Y', phones: [A], amount: '400.00', currency: 'USD', stage: 'won', closedAt: iso(T + 12 * DAY) },
        { externalId: 'Z', phones: [G], amount: '100.00', currency: 'USD', stage: 'won', closedAt: iso(T + 2 * DAY) },
        { externalId: 'W', phones: ['+14155550199'], amount: '50.00', currency: 'USD', stage: 'won', closedAt: iso(T + 3 * DAY) },
      ],
    });
    await post(t.auth, '/v1/costs', { costs: [{ category: 'salaries', kind: 'direct', amount: '900.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31' }] });
    await hub.settle(t.apiKey);
    const march = { from: '2025-03-01', to: '2025-04-01' };

    const byMonth = (await hub.api.get('/v1/roi').query({ ...march, groupBy: 'month' }).set(t.auth)).body;
    // March's leads: 7001, 7030, 7021, 7020 (7002 is a repeat); X, Y, Z have a lead first touch.
    // Days to conversion: X 7 d 1 h (7.0417), Y 12, Z 1 → 20.0417 / 3 = 6.68.
    const marchFigures = { leads: 4, leadCloseRate: 0.75, costPerLead: '225.00', avgDaysToConversion: 6.68 };
    expect(byMonth.rows).toEqual([expect.objectContaining({ key: '2025-03', ...marchFigures })]);
    expect(byMonth.total).toMatchObject(marchFigures);

    // By direction: the day shares of 900.00 over 31 days are 29.03 from 8 March on (the 7
    // leftover cents go to 1–7 March); each of the handled calls' days holds one call, so inbound
    // gets 10, 13, 15 and 20 March (116.12), outbound 11 March (29.03); the days without a call
    // stay in the null row.
    const byDirection = (await hub.api.get('/v1/roi').query({ ...march, groupBy: 'direction' }).set(t.auth)).body;
    const row = (rows: { key: string | null }[], key: string | null) => rows.find((r) => r.key === key);
    expect(row(byDirection.rows, 'inbound')).toMatchObject({ cost: '116.12', leads: 3, leadCloseRate: 2 / 3, costPerLead: '38.71', avgDaysToConversion: 9.52 });
    expect(row(byDirection.rows, 'outbound')).toMatchObject({ cost: '29.03', leads: 1, leadCloseRate: 1, costPerLead: '29.03', avgDaysToConversion: 1 });
    expect(row(byDirection.rows, null)).toMatchObject({ leads: 0, leadCloseRate: null, costPerLead: null, avgDaysToConversion: null });
    expect(byDirection.total).toMatchObject(marchFigures);

    // Deals still waiting for the roi-refresh job are read live, the others from the stored first
    // touches: the same conversions either way.
    const db = hub.deps.database.db;
    const [tenantRow] = await db.select().from(tenants).where(eq(tenants.id, t.id));
    const dealIds = (await db.select({ id: crmDeals.id }).from(crmDeals).where(eq(crmDeals.tenantId, t.id))).map((d) => d.id);
    const marchRange = { from: new Date('2025-03-01T08:00:00Z'), to: new Date('2025-04-01T07:00:00Z') };
    const stored = await leadConversions(db, tenantRow!, marchRange, 'direction', 30, []);
    expect(stored.total).toEqual({ leadDeals: 3, conversionSumMs: Math.round(20.041666 * 86_400) * 1000, conversions: 3 });
    expect(await whileWaiting(db, t.id, dealIds, (tx) => leadConversions(tx, tenantRow!, marchRange, 'direction'))).toEqual(stored);
    expect(await whileWaiting(db, t.id, dealIds.slice(0, 2), (tx) => leadConversions(tx, tenantRow!, marchRange, 'direction'))).toEqual(stored);

    // The KPI rows carry the same figures.
    const kpis = (await hub.api.get('/v1/kpis').query({ ...march, groupBy: 'direction' }).set(t.auth)).body;
    expect(row(kpis.rows, 'inbound')).toMatchObject({ leads: 3, leadCloseRate: 2 / 3, costPerLead: '38.71', avgDaysToConversion: 9.52 });
    expect(row(kpis.rows, 'outbound')).toMatchObject({ leads: 1, leadCloseRate: 1, costPerLead: '29.03', avgDaysToConversion: 1 });
    expect(kpis.total).toMatchObject(marchFigures);
    // Under a filter the deals are not cut by it: null, said in the definitions.
    const filtered = (await hub.api.get('/v1/kpis').query({ ...march, groupBy: 'day', direction: 'inbound' }).set(t.auth)).body;
    expect(filtered.total).toMatchObject({ leads: 3, leadCloseRate: null, avgDaysToConversion: null });
    expect(filtered.definitions.leads).toMatch(/null under filters/);

    // January holds D's CRM lead 7011 (no first-time caller): one lead, no deal.
    const jan = (await hub.api.get('/v1/kpis').query({ from: '2025-01-01', to: '2025-02-01', groupBy: 'month' }).set(t.auth)).body;
    expect(jan.total).toMatchObject({ leads: 1, leadCloseRate: 0, costPerLead: null, avgDaysToConversion: null });

    // Deleting L1: 7011 is no longer a lead, in the calls and in the figures.
    expect((await hub.api.delete('/v1/crm/leads/L1').set(t.auth)).status).toBe(204);
    await hub.settle(t.apiKey);
    expect((await flags(t.auth))['7011']).toMatchObject({ crmLead: false, lead: false });
    expect((await hub.api.get('/v1/kpis').query({ from: '2025-01-01', to: '2025-02-01', groupBy: 'month' }).set(t.auth)).body.total.leads).toBe(0);
  }, 180_000);
});

/** The contract's rules written plainly over the random data, to compare the hub with. */
describe('lead figures against a plain reference', () => {
  interface RCall { id: number; t: number; number: string; direction: 'inbound' | 'outbound'; status: 'answered' | 'abandoned' }
  interface RLead { externalId: string; phones: string[]; created: number }
  interface RDeal { externalId: string; phones: string[]; closed: number }
  const LOOKBACK = 30;
  const WINDOW = 30;

  function reference(calls: RCall[], leads: RLead[], deals: RDeal[], range: { from: number; to: number }, window = WINDOW) {
    const before = (c: RCall, p: RCall) => p.t < c.t;
    const ftc = (c: RCall) => !calls.some((p) => p.number === c.number && before(c, p) && p.t >= c.t - LOOKBACK * DAY);
    const crm = (c: RCall) =>
      leads.some(
        (l) =>
          l.phones.includes(c.number) &&
          c.t >= l.created - LOOKBACK * DAY &&
          !calls.some((p) => l.phones.includes(p.number) && p.t >= l.created - LOOKBACK * DAY && before(c, p)),
      );
    const flags = Object.fromEntries(calls.map((c) => [String(c.id), { firstTimeCaller: ftc(c), crmLead: crm(c) }]));
    const isLead = (c: RCall) => ftc(c) || crm(c);
    const rows = new Map<string, { leads: number; leadDeals: number; sumMs: number; n: number }>();
    const rowOf = (k: string) => rows.get(k) ?? (rows.set(k, { leads: 0, leadDeals: 0, sumMs: 0, n: 0 }), rows.get(k)!);
    for (const c of calls) if (c.t >= range.from && c.t < range.to && isLead(c)) rowOf(c.direction).leads++;
    for (const d of deals) {
      if (d.closed < range.from || d.closed >= range.to) continue;
      const touches = calls
        .filter((c) => d.phones.includes(c.number) && c.t >= d.closed - window * DAY && c.t <= d.closed && (c.direction === 'inbound' || c.status === 'answered'))
        .sort((a, b) => a.t - b.t);
      const first = touches[0];
      if (!first) continue;
      const r = rowOf(first.direction);
      if (isLead(first)) r.leadDeals++;
      r.sumMs += (d.closed - first.t) * 1000;
      r.n++;
    }
    const figures = (r: { leads: number; leadDeals: number; sumMs: number; n: number }) => ({
      leads: r.leads,
      leadCloseRate: r.leads === 0 ? null : r.leadDeals / r.leads,
      avgDaysToConversion: r.n === 0 ? null : Math.round((r.sumMs / r.n / 86_400_000) * 100) / 100,
    });
    const total = [...rows.values()].reduce((a, r) => ({ leads: a.leads + r.leads, leadDeals: a.leadDeals + r.leadDeals, sumMs: a.sumMs + r.sumMs, n: a.n + r.n }), { leads: 0, leadDeals: 0, sumMs: 0, n: 0 });
    const months = new Map<string, number>();
    for (const c of calls) if (isLead(c)) {
      const m = DateTime.fromSeconds(c.t, { zone: 'America/Los_Angeles' }).toFormat('yyyy-MM');
      months.set(m, (months.get(m) ?? 0) + 1);
    }
    return { flags, byDirection: Object.fromEntries([...rows].map(([k, r]) => [k, figures(r)])), total: figures(total), months };
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: flags, ROI and KPI rows equal the reference, whatever the order`, async () => {
      const random = mulberry32(seed * 7919);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
      const pool = ['+14155550301', '+14155550302', '+14155550303', '+14155550304'];
      const used = new Set<number>();
      const calls: RCall[] = Array.from({ length: 22 }, (_, i) => {
        let t: number;
        do t = T + Math.floor((random() * 180 - 120) * 24 * 60) * 60;
        while (used.has(t));
        used.add(t);
        const direction = random() < 0.3 ? 'outbound' : 'inbound';
        return { id: 9000 + seed * 100 + i, t, number: pick(pool), direction, status: direction === 'outbound' || random() < 0.6 ? 'answered' : 'abandoned' };
      });
      const somePhones = () => [...new Set([pick(pool), ...(random() < 0.5 ? [pick([...pool, '+14155550399'])] : [])])];
      const leads: RLead[] = Array.from({ length: 3 }, (_, i) => ({ externalId: `L${i}`, phones: somePhones(), created: T + Math.floor((random() * 100 - 60) * DAY) }));
      const deals: RDeal[] = Array.from({ length: 5 }, (_, i) => ({ externalId: `D${i}`, phones: somePhones(), closed: T + Math.floor((random() * 120 - 60) * DAY) + 7 }));

      const t = await hub.tenant();
      expect((await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { leadLookbackDays: LOOKBACK } })).status).toBe(200);
      const conn = await aircallConnection(hub, t.auth);
      const bodies = (c: RCall) =>
        c.status === 'answered'
          ? scenario.answered(c.id, c.t, 60, { raw_digits: digits(c.number), direction: c.direction })
          : scenario.abandoned(c.id, c.t, 20, { raw_digits: digits(c.number) });
      const shuffled = calls.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k).map((x) => x.c);
      const half = Math.floor(shuffled.length / 2);
      // Half the calls, then the leads and deals, then the other half: marks move both ways.
      await postAircall(hub, conn, shuffled.slice(0, half).flatMap(bodies));
      await hub.settle(t.apiKey);
      await post(t.auth, '/v1/crm/leads', { leads: leads.map((l) => ({ externalId: l.externalId, phones: l.phones, source: 'test', createdAt: iso(l.created) })) });
      await post(t.auth, '/v1/crm/deals', { deals: deals.map((d) => ({ externalId: d.externalId, phones: d.phones, amount: '10.00', currency: 'USD', stage: 'won', closedAt: iso(d.closed) })) });
      await postAircall(hub, conn, shuffled.slice(half).flatMap(bodies));
      await post(t.auth, '/v1/costs', { costs: [{ category: 'salaries', kind: 'direct', amount: '123.45', currency: 'USD', periodStart: '2025-01-01', periodEnd: '2025-03-31' }] });
      await hub.settle(t.apiKey);

      const range = { from: '2024-10-01', to: '2025-07-01' };
      const ref = reference(calls, leads, deals, { from: Date.parse('2024-10-01T07:00:00Z') / 1000, to: Date.parse('2025-07-01T07:00:00Z') / 1000 });
      const got = await flags(t.auth);
      expect(Object.fromEntries(Object.entries(got).map(([id, f]) => [id, { firstTimeCaller: f.firstTimeCaller, crmLead: f.crmLead }]))).toEqual(ref.flags);

      const pickFigures = (r: Record<string, unknown> | undefined) =>
        r ? { leads: r.leads, leadCloseRate: r.leadCloseRate, avgDaysToConversion: r.avgDaysToConversion } : { leads: 0, leadCloseRate: null, avgDaysToConversion: null };
      // costPerLead: the row's cost (ROI's, which the KPI costPerCall shares) / its leads, in cents rounded half up.
      const roiRows = (await hub.api.get('/v1/roi').query({ ...range, groupBy: 'direction' }).set(t.auth)).body.rows as { key: string | null; cost: string }[];
      const perLead = (key: string | null, leads: number) => {
        const cents = BigInt(Math.round(Number(roiRows.find((r) => r.key === key)?.cost ?? '0') * 100));
        return leads === 0 ? null : (Number((cents * 2n + BigInt(leads)) / (2n * BigInt(leads))) / 100).toFixed(2);
      };
      for (const path of ['/v1/roi', '/v1/kpis']) {
        const body = (await hub.api.get(path).query({ ...range, groupBy: 'direction' }).set(t.auth)).body;
        for (const dir of ['inbound', 'outbound']) {
          const r = (body.rows as { key: string }[]).find((x) => x.key === dir) as Record<string, unknown> | undefined;
          expect(pickFigures(r), `${path} ${dir}`).toEqual(ref.byDirection[dir] ?? { leads: 0, leadCloseRate: null, avgDaysToConversion: null });
          if (r) expect(r.costPerLead, `${path} ${dir} costPerLead`).toBe(perLead(dir, r.leads as number));
        }
        expect(body.total.costPerLead).toBe(ref.total.leads === 0 ? null : (Math.round(12345 / ref.total.leads) / 100).toFixed(2));
        expect(pickFigures(body.total), `${path} total`).toEqual(ref.total);
        // Time rows: leads are additive, the months' sum to the total.
        const months = (await hub.api.get(path).query({ ...range, groupBy: 'month' }).set(t.auth)).body;
        const leadsByMonth = Object.fromEntries((months.rows as { key: string; leads: number }[]).filter((r) => r.leads > 0).map((r) => [r.key, r.leads]));
        expect(leadsByMonth, `${path} months`).toEqual(Object.fromEntries([...ref.months].sort()));
        expect(months.total.leads).toBe(ref.total.leads);
      }
      // Another window: the first touches are read live, with the same rule.
      const rangeUnix = { from: Date.parse('2024-10-01T07:00:00Z') / 1000, to: Date.parse('2025-07-01T07:00:00Z') / 1000 };
      const ref7 = reference(calls, leads, deals, rangeUnix, 7);
      const roi7 = (await hub.api.get('/v1/roi').query({ ...range, groupBy: 'direction', windowDays: 7 }).set(t.auth)).body;
      for (const dir of ['inbound', 'outbound']) {
        const r = (roi7.rows as { key: string }[]).find((x) => x.key === dir) as Record<string, unknown> | undefined;
        expect(pickFigures(r), `windowDays=7 ${dir}`).toEqual(ref7.byDirection[dir] ?? { leads: 0, leadCloseRate: null, avgDaysToConversion: null });
      }
      expect(pickFigures(roi7.total)).toEqual(ref7.total);
    }, 240_000);
  }
});
