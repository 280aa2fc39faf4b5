/**
 * Agents people can read: a display name and an email, and the same person on two providers linked
 * so that the KPIs count them once, under the first agent's id (filters and agent-scoped costs naming
 * either id apply to the pair), until the link is removed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls } from '../src/db/schema/index.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => hub?.close());

type Tenant = Awaited<ReturnType<TestHub['tenant']>>;

/** A call written as recomputeCall writes it: the row, then every call-change listener. */
async function putCall(t: Tenant, provider: string, agentId: string, startedAt: string, talkSeconds: number) {
  await hub.deps.database.db.transaction(async (tx) => {
    const id = randomUUID();
    const [after] = await tx
      .insert(calls)
      .values({
        id,
        tenantId: t.id,
        connectionId: randomUUID(),
        provider,
        callKey: id,
        providerCallId: id,
        direction: 'inbound',
        status: 'answered',
        externalNumber: null,
        trackingNumber: null,
        startedAt: new Date(startedAt),
        waitSeconds: 10,
        talkSeconds,
        holdSeconds: null,
        afterCallWorkSeconds: 0,
        handleSeconds: talkSeconds,
        agentId,
        agentName: `Name of ${agentId}`,
        agents: [{ id: agentId, name: `Name of ${agentId}` }],
        queueId: null,
        queueName: null,
      })
      .returning();
    for (const l of hub.deps.listeners) await l.onCallsChanged?.(tx, [{ tenantId: t.id, before: null, after: after! }]);
  });
}

async function kpis(t: Tenant, query: Record<string, string>) {
  await hub.settle(t.apiKey);
  const res = await hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', ...query }).set(t.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { rows: { key: string | null; answered: number; ahtSeconds: number | null; costPerCall: string | null }[]; total: { answered: number; ahtSeconds: number | null } };
}

describe('agents', () => {
  it('takes a display name and an email', async () => {
    const t = await hub.tenant({ timezone: 'UTC' });
    await putCall(t, 'ringcentral', 'rc-1', '2025-03-10T09:00:00Z', 100);
    const patched = await hub.api.patch('/v1/agents/rc-1').set(t.auth).send({ displayName: 'Alice Martin', email: 'alice@example.com' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'rc-1', name: 'Name of rc-1', displayName: 'Alice Martin', email: 'alice@example.com', provider: 'ringcentral', linkedTo: null, linked: [] });
    expect((await hub.api.get('/v1/agents/rc-1').set(t.auth)).body).toMatchObject({ displayName: 'Alice Martin' });
    const cleared = await hub.api.patch('/v1/agents/rc-1').set(t.auth).send({ email: null });
    expect(cleared.body).toMatchObject({ displayName: 'Alice Martin', email: null });
    expect((await hub.api.patch('/v1/agents/rc-1').set(t.auth).send({ email: 'not an email' })).status).toBe(400);
    expect((await hub.api.patch('/v1/agents/rc-1').set(t.auth).send({})).status).toBe(400);
    expect((await hub.api.patch('/v1/agents/rc-1').set(t.auth).send({ displayName: 'x', role: 'admin' })).status).toBe(400);
    expect((await hub.api.patch('/v1/agents/nobody').set(t.auth).send({ displayName: 'x' })).status).toBe(404);
    const other = await hub.tenant();
    expect((await hub.api.patch('/v1/agents/rc-1').set(other.auth).send({ displayName: 'x' })).status).toBe(404);
  });

  it('counts two linked agents once, under the first id, until unlinked', async () => {
    const t = await hub.tenant({ timezone: 'UTC', currency: 'USD' });
    // The same person on RingCentral (rc-1) and Aircall (ac-9); x is someone else.
    await putCall(t, 'ringcentral', 'rc-1', '2025-03-10T09:00:00Z', 100);
    await putCall(t, 'aircall', 'ac-9', '2025-03-10T10:00:00Z', 300);
    await putCall(t, 'aircall', 'x', '2025-03-10T11:00:00Z', 50);
    // 30.00 scoped to the Aircall id.
    const cost = await hub.api
      .post('/v1/costs')
      .set(t.auth)
      .send({ costs: [{ category: 'salaries', kind: 'direct', amount: '30.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10', agentId: 'ac-9' }] });
    expect(cost.body).toMatchObject({ upserted: 1 });
    const before = await kpis(t, { groupBy: 'agent' });
    expect(before.rows.map((r) => [r.key, r.answered])).toEqual([['ac-9', 1], ['rc-1', 1], ['x', 1]]);
    const beforeHours = await kpis(t, { groupBy: 'hour' });
    expect(beforeHours.rows.map((r) => [r.key, r.costPerCall])).toEqual([
      ['2025-03-10T09', '0.00'],
      ['2025-03-10T10', '30.00'],
      ['2025-03-10T11', '0.00'],
    ]);

    const linked = await hub.api.post('/v1/agents/rc-1/link').set(t.auth).send({ agentId: 'ac-9' });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    expect(linked.body).toMatchObject({ id: 'rc-1', linkedTo: null, linked: ['ac-9'] });
    expect((await hub.api.get('/v1/agents/ac-9').set(t.auth)).body).toMatchObject({ linkedTo: 'rc-1' });

    const byAgent = await kpis(t, { groupBy: 'agent' });
    expect(byAgent.rows.map((r) => [r.key, r.answered, r.ahtSeconds])).toEqual([
      ['rc-1', 2, 200], // (100 + 300) / 2
      ['x', 1, 50],
    ]);
    // A filter naming either id applies to the pair, on the day rows and on kpi_hourly.
    for (const agentId of ['rc-1', 'ac-9']) {
      expect((await kpis(t, { groupBy: 'day', agentId })).total).toMatchObject({ answered: 2, ahtSeconds: 200 });
      expect((await kpis(t, { groupBy: 'hour', agentId, provider: 'aircall' })).total).toMatchObject({ answered: 1, ahtSeconds: 300 });
    }
    // The cost scoped to ac-9 is spread over the pair's calls by handle time: 100:300.
    const hours = await kpis(t, { groupBy: 'hour' });
    expect(hours.rows.map((r) => [r.key, r.costPerCall])).toEqual([
      ['2025-03-10T09', '7.50'],
      ['2025-03-10T10', '22.50'],
      ['2025-03-10T11', '0.00'],
    ]);

    // By agent: the cost scoped to ac-9 is the pair's, in rc-1's row: 30.00 / 2.
    expect(byAgent.rows.map((r) => [r.key, r.costPerCall])).toEqual([
      ['rc-1', '15.00'],
      ['x', '0.00'],
    ]);

    // Staffed time of either id is the person's (overlaps merged): rc-1 09:00–10:00, ac-9 09:30–10:30,
    // so 5 400 s staffed, with 100 s (hour 09) + 300 s (hour 10) handled in it.
    for (const [agentId, start, end] of [['rc-1', '2025-03-10T09:00:00Z', '2025-03-10T10:00:00Z'], ['ac-9', '2025-03-10T09:30:00Z', '2025-03-10T10:30:00Z']] as const) {
      expect((await hub.api.post(`/v1/agents/${agentId}/schedules`).set(t.auth).send({ schedules: [{ start, end }] })).body).toMatchObject({ upserted: 1 });
    }
    const staffed = await kpis(t, { groupBy: 'agent' });
    expect(staffed.rows.map((r) => [r.key, (r as { occupancy?: number | null }).occupancy])).toEqual([
      ['rc-1', 400 / 5400],
      ['x', null],
    ]);
    expect((await kpis(t, { groupBy: 'day', agentId: 'ac-9' })).rows.map((r) => (r as { occupancy?: number | null }).occupancy)).toEqual([400 / 5400]);

    // One level of links only, and never to itself.
    expect((await hub.api.post('/v1/agents/ac-9/link').set(t.auth).send({ agentId: 'x' })).status).toBe(409);
    expect((await hub.api.post('/v1/agents/x/link').set(t.auth).send({ agentId: 'rc-1' })).status).toBe(409);
    expect((await hub.api.post('/v1/agents/x/link').set(t.auth).send({ agentId: 'x' })).status).toBe(400);
    expect((await hub.api.post('/v1/agents/x/link').set(t.auth).send({ agentId: 'nobody' })).status).toBe(404);
    expect((await hub.api.post('/v1/agents/x/link').set(t.auth).send({})).status).toBe(400);

    const unlinked = await hub.api.delete('/v1/agents/ac-9/link').set(t.auth);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toMatchObject({ id: 'ac-9', linkedTo: null });
    expect((await hub.api.get('/v1/agents/rc-1').set(t.auth)).body).toMatchObject({ linked: [] });
    const after = await kpis(t, { groupBy: 'agent' });
    expect(after.rows.map((r) => [r.key, r.answered])).toEqual([['ac-9', 1], ['rc-1', 1], ['x', 1]]);
    expect((await kpis(t, { groupBy: 'hour' })).rows.map((r) => r.costPerCall)).toEqual(['0.00', '30.00', '0.00']);
  });
});
