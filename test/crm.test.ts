/**
 * CRM and cost bulk uploads (contract section 5): per-row rejection with reasons while good rows
 * land, E.164 phones with the tenant country as default region, exact decimals, one currency per
 * tenant, idempotency on externalId, tenant isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
let tenant: Awaited<ReturnType<TestHub['tenant']>>;
let other: Awaited<ReturnType<TestHub['tenant']>>;

beforeAll(async () => {
  hub = await createTestHub();
  tenant = await hub.tenant({ name: 'Acme', currency: 'EUR', timezone: 'Europe/Paris', country: 'FR' });
  other = await hub.tenant({ name: 'Globex', currency: 'EUR', timezone: 'Europe/Paris', country: 'FR' });
});
afterAll(async () => hub?.close());

const goodDeal = { externalId: 'deal-1', phones: ['01 23 45 67 89'], amount: '1250.50', currency: 'EUR', stage: 'won', type: 'new', closedAt: '2025-03-10T12:00:00+01:00' };

describe('POST /v1/crm/deals', () => {
  it('rejects bad rows one by one, with reasons, and stores the good ones', async () => {
    const res = await hub.api
      .post('/v1/crm/deals')
      .set(tenant.auth)
      .send({
        deals: [
          goodDeal,
          { ...goodDeal, externalId: 'usd', currency: 'USD' },
          { ...goodDeal, externalId: 'three-places', amount: '10.005' },
          { ...goodDeal, externalId: 'bad-phone', phones: ['+33 1 23 45 67 89', 'call me maybe'] },
          { ...goodDeal, externalId: 'no-close', closedAt: undefined },
          { ...goodDeal, externalId: undefined },
          { ...goodDeal, externalId: 'stage', stage: 'pending' },
          { ...goodDeal, externalId: 'float', amount: 0.1, stage: 'open', closedAt: null },
          'not an object',
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.upserted).toBe(2);
    const rejected = res.body.rejected as { index: number; error: string }[];
    expect(rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 8]);
    const reason = (i: number) => rejected.find((r) => r.index === i)!.error;
    expect(reason(1)).toMatch(/currency.*USD.*EUR/);
    expect(reason(2)).toMatch(/amount.*2 decimal places/);
    expect(reason(3)).toMatch(/phones\.1.*call me maybe/);
    expect(reason(4)).toMatch(/closedAt/);
    expect(reason(5)).toMatch(/externalId/);
    expect(reason(6)).toMatch(/stage/);

    const stored = await hub.api.get('/v1/crm/deals/deal-1').set(tenant.auth);
    expect(stored.body).toMatchObject({ phones: ['+33123456789'], amount: '1250.50', currency: 'EUR', stage: 'won', type: 'new', closedAt: '2025-03-10T11:00:00.000Z' });
    // 0.1 as a JSON number is read through its shortest decimal form: exactly 0.10.
    expect((await hub.api.get('/v1/crm/deals/float').set(tenant.auth)).body.amount).toBe('0.10');
    const exact = await hub.deps.database.db.execute(`select amount::text as a, pg_typeof(amount)::text as t from crm_deals where external_id = 'deal-1'` as never);
    expect((exact as unknown as { rows: { a: string; t: string }[] }).rows[0]).toEqual({ a: '1250.50', t: 'numeric' });
  });

  it('is idempotent on externalId: re-sending changes nothing, a change updates in place', async () => {
    const first = (await hub.api.get('/v1/crm/deals/deal-1').set(tenant.auth)).body;
    const again = await hub.api.post('/v1/crm/deals').set(tenant.auth).send({ deals: [goodDeal] });
    expect(again.body).toEqual({ upserted: 1, rejected: [] });
    const second = (await hub.api.get('/v1/crm/deals/deal-1').set(tenant.auth)).body;
    expect(second).toEqual(first);

    await hub.api.post('/v1/crm/deals').set(tenant.auth).send({ deals: [{ ...goodDeal, amount: 99 }, { ...goodDeal, amount: '1300' }] });
    const changed = (await hub.api.get('/v1/crm/deals/deal-1').set(tenant.auth)).body;
    // The same externalId twice in one upload: the last row wins.
    expect(changed).toMatchObject({ id: first.id, amount: '1300.00' });
    const list = await hub.api.get('/v1/crm/deals').set(tenant.auth);
    expect((list.body.data as { externalId: string }[]).filter((d) => d.externalId === 'deal-1')).toHaveLength(1);
  });

  it('takes thousands of rows in one request', async () => {
    const contacts = Array.from({ length: 3000 }, (_, i) => ({ externalId: `c-${i}`, phones: [`06 ${String(10_000_000 + i).replace(/(\d\d)(?=\d)/g, '$1 ')}`], name: `Contact ${i}` }));
    const res = await hub.api.post('/v1/crm/contacts').set(tenant.auth).send({ contacts });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ upserted: 3000, rejected: [] });
    const one = await hub.api.get('/v1/crm/contacts/c-2999').set(tenant.auth);
    expect(one.body.phones).toEqual(['+33610002999']);
    const tooMany = await hub.api.post('/v1/crm/contacts').set(tenant.auth).send({ contacts: Array.from({ length: 10_001 }, () => ({})) });
    expect(tooMany.status).toBe(400);
    const notArray = await hub.api.post('/v1/crm/contacts').set(tenant.auth).send({ contacts: 'x' });
    expect(notArray.status).toBe(400);
    expect(notArray.body.error.details[0].path).toBe('body.contacts');
  });

  it('rejects a contact with a bad phone and keeps the others', async () => {
    const res = await hub.api
      .post('/v1/crm/contacts')
      .set(tenant.auth)
      .send({ contacts: [{ externalId: 'k-ok', phones: ['+44 20 7946 0958'] }, { externalId: 'k-bad', phones: ['12'] }] });
    expect(res.body.upserted).toBe(1);
    expect(res.body.rejected).toEqual([{ index: 1, error: expect.stringMatching(/phones\.0/) }]);
    expect((await hub.api.get('/v1/crm/contacts/k-ok').set(tenant.auth)).body.phones).toEqual(['+442079460958']);
    expect((await hub.api.get('/v1/crm/contacts/k-bad').set(tenant.auth)).status).toBe(404);
  });

  it('keeps tenants apart: same externalIds, separate rows', async () => {
    expect((await hub.api.get('/v1/crm/deals/deal-1').set(other.auth)).status).toBe(404);
    const res = await hub.api.post('/v1/crm/deals').set(other.auth).send({ deals: [{ ...goodDeal, amount: '1' }] });
    expect(res.body.upserted).toBe(1);
    expect((await hub.api.get('/v1/crm/deals/deal-1').set(other.auth)).body.amount).toBe('1.00');
    expect((await hub.api.get('/v1/crm/deals/deal-1').set(tenant.auth)).body.amount).toBe('1300.00');
    expect((await hub.api.delete('/v1/crm/deals/deal-1').set(other.auth)).status).toBe(204);
    expect((await hub.api.get('/v1/crm/deals/deal-1').set(tenant.auth)).status).toBe(200);
  });
});

describe('POST /v1/costs', () => {
  it('rejects bad rows one by one and stores the good ones', async () => {
    const mine = await hub.api.post('/v1/campaigns').set(tenant.auth).send({ name: 'Search', channel: 'google_ads', trackingNumbers: [] });
    const theirs = await hub.api.post('/v1/campaigns').set(other.auth).send({ name: 'Theirs', channel: 'tv', trackingNumbers: [] });
    const base = { category: 'salaries', kind: 'indirect', amount: '3100.00', currency: 'EUR', periodStart: '2025-03-01', periodEnd: '2025-03-31' };
    const res = await hub.api
      .post('/v1/costs')
      .set(tenant.auth)
      .send({
        costs: [
          base,
          { ...base, currency: 'GBP' },
          { ...base, amount: '1.999' },
          { ...base, periodEnd: '2025-02-28' },
          { ...base, campaignId: theirs.body.id },
          { ...base, campaignId: mine.body.id, agentId: 'agent_alice' },
          { ...base, category: 'coffee' },
          { ...base, kind: 'direct', campaignId: mine.body.id, amount: 120.5 },
        ],
      });
    expect(res.body.upserted).toBe(2);
    const rejected = res.body.rejected as { index: number; error: string }[];
    expect(rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rejected[0]!.error).toMatch(/GBP/);
    expect(rejected[3]!.error).toMatch(/not found/);
    const list = await hub.api.get('/v1/costs').set(tenant.auth);
    expect((list.body.data as { amount: string }[]).map((c) => c.amount).sort()).toEqual(['120.50', '3100.00']);
    expect((await hub.api.get('/v1/costs').set(other.auth)).body.data).toEqual([]);
  });

  it('replaces a cost re-posted with the same externalId', async () => {
    const cost = { externalId: 'invoice-42', category: 'telephony', kind: 'direct', amount: '10.00', currency: 'EUR', periodStart: '2025-04-01', periodEnd: '2025-04-01' };
    await hub.api.post('/v1/costs').set(tenant.auth).send({ costs: [cost] });
    await hub.api.post('/v1/costs').set(tenant.auth).send({ costs: [{ ...cost, amount: '12.00' }] });
    const list = (await hub.api.get('/v1/costs?from=2025-04-01&to=2025-04-30').set(tenant.auth)).body.data as { id: string; amount: string }[];
    expect(list.map((c) => c.amount)).toEqual(['12.00']);
    expect((await hub.api.delete(`/v1/costs/${list[0]!.id}`).set(other.auth)).status).toBe(404);
    expect((await hub.api.delete(`/v1/costs/${list[0]!.id}`).set(tenant.auth)).status).toBe(204);
  });
});
