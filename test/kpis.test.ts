/**
 * The KPI engine end to end on real PostgreSQL + BullMQ: hand-computed figures through GET /v1/kpis,
 * from signed Twilio webhooks and from calls written through the real call-change listeners.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, type CallRow } from '../src/db/schema/index.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

let hub: TestHub;
type Tenant = Awaited<ReturnType<TestHub['tenant']>>;

beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => hub?.close());

interface CallInput {
  id?: string;
  direction: 'inbound' | 'outbound';
  status: string;
  startedAt: string;
  waitSeconds: number;
  talkSeconds?: number;
  externalNumber?: string | null;
  agent?: { id: string; name: string } | null;
  queue?: string | null;
  provider?: string;
  /** The provider's price of the call (telephonyCost), in the tenant's currency. */
  price?: string;
}

/**
 * Write a call the way recomputeCall does: the row, then every CallChangeListener of the hub with
 * { before, after } inside the same transaction.
 */
async function putCall(tenantId: string, input: CallInput): Promise<CallRow> {
  const db = hub.deps.database.db;
  return db.transaction(async (tx) => {
    const id = input.id ?? randomUUID();
    const [before] = await tx.select().from(calls).where(and(eq(calls.id, id), eq(calls.tenantId, tenantId)));
    const talk = input.talkSeconds ?? 0;
    const values = {
      tenantId,
      connectionId: before?.connectionId ?? randomUUID(),
      provider: input.provider ?? 'twilio',
      callKey: before?.callKey ?? id,
      providerCallId: before?.providerCallId ?? `CA${id.replace(/-/g, '')}`,
      direction: input.direction,
      status: input.status,
      externalNumber: input.externalNumber ?? null,
      trackingNumber: '+16505550100',
      startedAt: new Date(input.startedAt),
      waitSeconds: input.waitSeconds,
      talkSeconds: talk,
      holdSeconds: null,
      afterCallWorkSeconds: 0,
      handleSeconds: talk,
      agentId: input.agent?.id ?? null,
      agentName: input.agent?.name ?? null,
      agents: input.agent ? [input.agent] : [],
      queueId: null,
      queueName: input.queue ?? null,
      costAmount: input.price ?? null,
      costCurrency: input.price === undefined ? null : 'USD',
    };
    const [after] = before
      ? await tx.update(calls).set({ ...values, updatedAt: new Date() }).where(eq(calls.id, id)).returning()
      : await tx.insert(calls).values({ id, ...values }).returning();
    for (const l of hub.deps.listeners) await l.onCallsChanged?.(tx, [{ tenantId, before: before ?? null, after: after! }]);
    return after!;
  });
}

async function kpis(t: Tenant, query: Record<string, string>) {
  await hub.settle(t.apiKey);
  const res = await hub.api.get('/v1/kpis').query(query).set(t.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    rows: ({ key: string | null } & Record<string, unknown>)[];
    total: Record<string, unknown>;
    definitions: Record<string, unknown>;
  };
}

/** A row's figures (the targets that apply to it are asserted in test/improvement.test.ts). */
const row = (body: Awaited<ReturnType<typeof kpis>>, key: string | null) => {
  const found = body.rows.find((r) => r.key === key) as (Record<string, unknown> & { targets?: unknown }) | undefined;
  if (!found) return found;
  const { targets: _targets, ...figures } = found;
  return figures;
};

describe('KPIs from signed Twilio webhooks', () => {
  it('computes the fixture day by hand', async () => {
    const t = await hub.tenant({ timezone: 'America/Los_Angeles' });
    const conn = await hub.api
      .post('/v1/connections')
      .set(t.auth)
      .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    expect(conn.status).toBe(201);
    for (const name of ['inbound_answered', 'inbound_abandoned', 'outbound']) {
      for (const d of twilioFixture(name).deliveries) expect((await postTwilio(hub.api, conn.body.webhookUrl, d)).status).toBe(200);
    }
    const body = await kpis(t, { from: '2025-03-10', to: '2025-03-11', groupBy: 'day' });
    expect(body.rows.map((r) => r.key)).toEqual(['2025-03-10']);
    // Inbound answered (wait 14, talk 255, 14:00Z = 07:00 PDT), inbound abandoned by the same
    // caller (wait 47 ≥ 5: not short), outbound answered (talk 370, 16:20Z = 09:00 PDT).
    expect(body.rows[0]).toMatchObject({
      offered: 2,
      answered: 1,
      abandoned: 1,
      shortAbandoned: 0,
      missed: 0,
      voicemail: 0,
      abandonmentRate: 0.5,
      serviceLevel: 0.5, // 14 s ≤ 20 s, over 2 offered
      asaSeconds: 14,
      ahtSeconds: 312.5, // (255 + 370) / 2, outbound included
      fcrRate: 0, // the same number called again 70 minutes later
      occupancy: null,
      csat: null,
      nps: null,
      costPerCall: null,
      callsPerHour: 1, // 2 handled calls in 2 distinct local hours (07 and 09)
    });
    expect(body.total).toMatchObject({ key: null, offered: 2, answered: 1 });
    const byAgent = await kpis(t, { from: '2025-03-10', to: '2025-03-11', groupBy: 'agent' });
    expect(byAgent.rows.map((r) => r.key)).toEqual(['agent_alice', 'agent_bob', null]);
    expect(row(byAgent, 'agent_bob')).toMatchObject({ offered: 0, ahtSeconds: 370, asaSeconds: null, serviceLevel: null });
    const agents = await hub.api.get('/v1/agents').set(t.auth);
    expect(agents.body.data.map((a: { id: string }) => a.id).sort()).toEqual(['agent_alice', 'agent_bob']);
  });
});

describe('KPIs from calls (Europe/Paris)', () => {
  let t: Tenant;
  const A = { id: 'agent-a', name: 'Alice' };
  const B = { id: 'agent-b', name: 'Bob' };
  const ids: Record<string, string> = {};
  const range = { from: '2025-03-10', to: '2025-03-12' };

  beforeAll(async () => {
    t = await hub.tenant({ timezone: 'Europe/Paris', currency: 'EUR', country: 'FR' });
    const put = async (name: string, input: CallInput) => {
      ids[name] = (await putCall(t.id, input)).id;
    };
    // 2025-03-10, Paris = UTC+1.
    await put('c1', { direction: 'inbound', status: 'answered', startedAt: '2025-03-10T09:00:00Z', waitSeconds: 10, talkSeconds: 300, agent: A, queue: 'Sales', externalNumber: '+33100000001' });
    await put('c2', { direction: 'inbound', status: 'answered', startedAt: '2025-03-10T09:20:00Z', waitSeconds: 30, talkSeconds: 200, agent: B, queue: 'Sales', externalNumber: '+33100000002' });
    await put('c3', { direction: 'outbound', status: 'answered', startedAt: '2025-03-10T10:05:00Z', waitSeconds: 9, talkSeconds: 370, agent: A, externalNumber: '+33100000009' });
    await put('c4', { direction: 'inbound', status: 'abandoned', startedAt: '2025-03-10T11:00:00Z', waitSeconds: 3, queue: 'Support' });
    await put('c5', { direction: 'inbound', status: 'abandoned', startedAt: '2025-03-10T11:10:00Z', waitSeconds: 47, queue: 'Support' });
    await put('c6', { direction: 'inbound', status: 'missed', startedAt: '2025-03-10T11:20:00Z', waitSeconds: 25 });
    await put('c7', { direction: 'inbound', status: 'voicemail', startedAt: '2025-03-10T11:30:00Z', waitSeconds: 40 });
    await put('c8', { direction: 'outbound', status: 'missed', startedAt: '2025-03-10T11:40:00Z', waitSeconds: 30 });
    await put('c9', { direction: 'inbound', status: 'busy', startedAt: '2025-03-10T11:50:00Z', waitSeconds: 0 });
    // 23:50 Paris on the 10th, ending after midnight: counted on the day it started.
    await put('c11', { direction: 'inbound', status: 'answered', startedAt: '2025-03-10T22:50:00Z', waitSeconds: 5, talkSeconds: 1800, agent: B, externalNumber: '+33100000003' });
    // 00:10 Paris on the 11th (still the 10th in UTC).
    await put('c12', { direction: 'inbound', status: 'answered', startedAt: '2025-03-10T23:10:00Z', waitSeconds: 15, talkSeconds: 100, agent: A, externalNumber: '+33100000004' });
    // The 2nd caller again the next day: c2 was not resolved at first contact.
    await put('c10', { direction: 'inbound', status: 'abandoned', startedAt: '2025-03-11T08:00:00Z', waitSeconds: 60, externalNumber: '+33100000002' });
  });

  it('computes days in the tenant timezone, by hand', async () => {
    const body = await kpis(t, { ...range, groupBy: 'day' });
    expect(body.rows.map((r) => r.key)).toEqual(['2025-03-10', '2025-03-11']);
    expect(row(body, '2025-03-10')).toEqual({
      key: '2025-03-10',
      offered: 6, // answered c1 c2 c11 + abandoned c5 + missed c6 + voicemail c7 (short c4, busy c9 out)
      answered: 3,
      abandoned: 1,
      shortAbandoned: 1,
      missed: 1,
      voicemail: 1,
      abandonmentRate: 1 / 6,
      serviceLevel: 2 / 6, // c1 (10 s) and c11 (5 s)
      asaSeconds: 15, // (10 + 30 + 5) / 3
      ahtSeconds: 667.5, // (300 + 200 + 370 + 1800) / 4
      fcrRate: 2 / 3, // c2 repeated by c10
      occupancy: null,
      csat: null,
      nps: null,
      costPerCall: null,
      callsPerHour: 1.33, // 4 handled calls in local hours 10, 11 and 23
      automatedRate: 0, // no self-served call among 6 offered
      csatAutomated: null,
      escalatedRate: null,
      repeatCalls: 1, // c2, repeated by c10
      repeatCallsCost: null, // no cost
      waitCost: null, // waitCostPerHour unset
      transferRate: 0, // no call with two agents
      leads: 4, // the first calls of +…01, +…02, +…09 and c11's number; the calls without a number are no leads
      leadCloseRate: 0, // no won deal
      costPerLead: null, // no cost
      avgDaysToConversion: null, // no won deal with a touch
      positiveSentimentRate: null,
      sentimentScore: null,
    });
    expect(row(body, '2025-03-11')).toMatchObject({
      offered: 2,
      answered: 1,
      abandoned: 1,
      abandonmentRate: 0.5,
      serviceLevel: 0.5,
      asaSeconds: 15,
      ahtSeconds: 100,
      fcrRate: 1,
      callsPerHour: 1,
    });
    expect(body.total).toMatchObject({ key: null, offered: 8, answered: 4, abandoned: 2, shortAbandoned: 1, fcrRate: 3 / 4, callsPerHour: 1.25 });
    expect(body.definitions).toMatchObject({
      timezone: 'Europe/Paris',
      shortAbandonSeconds: 5,
      serviceLevelSeconds: 20,
      serviceLevelFormula: 'answered_over_offered',
      fcrWindowDays: 7,
      rollupsCurrent: true,
      range: { from: '2025-03-09T23:00:00.000Z', to: '2025-03-11T23:00:00.000Z' },
    });
  });

  it('groups by week, month, agent, queue, direction, provider, campaign and channel', async () => {
    expect((await kpis(t, { ...range, groupBy: 'week' })).rows.map((r) => [r.key, r.offered])).toEqual([['2025-W11', 8]]);
    expect((await kpis(t, { ...range, groupBy: 'month' })).rows.map((r) => [r.key, r.answered])).toEqual([['2025-03', 4]]);
    const byAgent = await kpis(t, { ...range, groupBy: 'agent' });
    expect(byAgent.rows.map((r) => r.key)).toEqual(['agent-a', 'agent-b', null]);
    // Alice: c1 (inbound, 10 s), c3 (outbound), c12 (inbound, 15 s).
    expect(row(byAgent, 'agent-a')).toMatchObject({ offered: 2, answered: 2, asaSeconds: 12.5, ahtSeconds: 256.67, callsPerHour: 1 });
    const byQueue = await kpis(t, { ...range, groupBy: 'queue' });
    expect(byQueue.rows.map((r) => [r.key, r.offered, r.shortAbandoned])).toEqual([
      ['Sales', 2, 0],
      ['Support', 1, 1],
      [null, 5, 0],
    ]);
    const byDirection = await kpis(t, { ...range, groupBy: 'direction' });
    // Outbound: nothing offered, so every inbound ratio has a zero denominator → null.
    expect(row(byDirection, 'outbound')).toMatchObject({
      offered: 0,
      abandonmentRate: null,
      serviceLevel: null,
      asaSeconds: null,
      fcrRate: null,
      ahtSeconds: 370,
      callsPerHour: 1,
    });
    expect((await kpis(t, { ...range, groupBy: 'provider' })).rows.map((r) => r.key)).toEqual(['twilio']);
    expect((await kpis(t, { ...range, groupBy: 'campaign' })).rows.map((r) => r.key)).toEqual([null]);
    expect((await kpis(t, { ...range, groupBy: 'channel' })).rows.map((r) => r.key)).toEqual([null]);
  });

  it('applies filters', async () => {
    const inbound = await kpis(t, { ...range, groupBy: 'day', direction: 'inbound', agentId: 'agent-a' });
    expect(inbound.rows.map((r) => [r.key, r.answered, r.ahtSeconds])).toEqual([
      ['2025-03-10', 1, 300],
      ['2025-03-11', 1, 100],
    ]);
    const sales = await kpis(t, { ...range, groupBy: 'agent', queue: 'Sales' });
    expect(sales.rows.map((r) => r.key)).toEqual(['agent-a', 'agent-b']);
    expect(sales.definitions.filters).toEqual({ queue: 'Sales' });
    expect((await kpis(t, { ...range, provider: 'vonage' })).total).toMatchObject({ offered: 0, serviceLevel: null, ahtSeconds: null, callsPerHour: null });
  });

  it('rejects bad queries with field paths, and isolates tenants', async () => {
    const bad = await hub.api.get('/v1/kpis').query({ groupBy: 'year', from: 'yesterday' }).set(t.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['query.from', 'query.groupBy']);
    const reversed = await hub.api.get('/v1/kpis').query({ from: '2025-03-12', to: '2025-03-10' }).set(t.auth);
    expect(reversed.status).toBe(400);
    const other = await hub.tenant({ timezone: 'Europe/Paris' });
    const body = await kpis(other, { ...range, groupBy: 'day' });
    expect(body.rows).toEqual([]);
    expect(body.total).toMatchObject({ offered: 0, abandonmentRate: null });
  });

  it('takes CSAT and NPS from survey responses linked to calls, row by row', async () => {
    const [c2] = await hub.deps.database.db.select().from(calls).where(eq(calls.id, ids.c2!));
    const res = await hub.api
      .post('/v1/surveys')
      .set(t.auth)
      .send({
        responses: [
          { callId: ids.c1, csat: 5, nps: 10, respondedAt: '2025-03-10T12:00:00Z' },
          { provider: 'twilio', providerCallId: c2!.providerCallId, csat: 2, nps: 3, respondedAt: '2025-03-10T12:00:00Z' },
          { callId: ids.c3, csat: 6, respondedAt: '2025-03-10T12:00:00Z' },
          { callId: randomUUID(), csat: 4, respondedAt: '2025-03-10T12:00:00Z' },
          { callId: ids.c12, nps: 9, respondedAt: '2025-03-11T12:00:00Z' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.upserted).toBe(3);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([2, 3]);
    expect(res.body.rejected[1].error).toMatch(/not found/);
    const body = await kpis(t, { ...range, groupBy: 'day' });
    expect(row(body, '2025-03-10')).toMatchObject({ csat: 0.5, nps: 0 }); // (1 promoter − 1 detractor) / 2
    expect(row(body, '2025-03-11')).toMatchObject({ csat: null, nps: 100 });
    // Re-sending a response replaces it.
    await hub.api.post('/v1/surveys').set(t.auth).send({ responses: [{ provider: 'twilio', providerCallId: c2!.providerCallId, csat: 4, nps: 9, respondedAt: '2025-03-10T12:00:00Z' }] });
    expect(row(await kpis(t, { ...range, groupBy: 'day' }), '2025-03-10')).toMatchObject({ csat: 1, nps: 100 });
    // Another tenant cannot name this tenant's call.
    const other = await hub.tenant();
    const foreign = await hub.api.post('/v1/surveys').set(other.auth).send({ responses: [{ callId: ids.c1, csat: 1, respondedAt: '2025-03-10T12:00:00Z' }] });
    expect(foreign.body).toMatchObject({ upserted: 0, rejected: [{ index: 0 }] });
  });

  it('computes occupancy from schedules and provider presence, and null without staffed time', async () => {
    const sched = await hub.api
      .post('/v1/agents/agent-a/schedules')
      .set(t.auth)
      .send({ schedules: [{ start: '2025-03-10T09:00:00Z', end: '2025-03-10T11:00:00Z' }, { start: '2025-03-10T12:00:00Z', end: '2025-03-10T11:00:00Z' }] });
    expect(sched.status).toBe(200);
    expect(sched.body).toMatchObject({ upserted: 1, rejected: [{ index: 1 }] });
    expect((await hub.api.post('/v1/agents/nobody/schedules').set(t.auth).send({ schedules: [{ start: '2025-03-10T09:00:00Z', end: '2025-03-10T10:00:00Z' }] })).status).toBe(404);
    // Bob available 22:00Z → 00:00Z (Aircall-style presence through the real sink).
    await hub.deps.database.db.transaction((tx) =>
      hub.deps.presence.record(tx, t.id, randomUUID(), 'aircall', [
        { agentId: 'agent-b', agentName: 'Bob', state: 'unavailable', at: '2025-03-11T00:00:00.000Z' },
        { agentId: 'agent-b', agentName: 'Bob', state: 'available', at: '2025-03-10T22:00:00.000Z' },
      ]),
    );
    const byDay = await kpis(t, { ...range, groupBy: 'day' });
    // 10th: Alice staffed 7200 s with c1 (300) + c3 (370) in those hours; Bob 3600 s (23:00 local) with c11 (1800).
    expect(row(byDay, '2025-03-10')!.occupancy).toBe((300 + 370 + 1800) / (7200 + 3600));
    // 11th: Bob staffed 00:00–01:00 local, no handled call of his then.
    expect(row(byDay, '2025-03-11')!.occupancy).toBe(0);
    const byAgent = await kpis(t, { ...range, groupBy: 'agent' });
    expect(row(byAgent, 'agent-a')!.occupancy).toBe(670 / 7200);
    expect(row(byAgent, 'agent-b')!.occupancy).toBe(1800 / 7200);
    expect(row(byAgent, null)!.occupancy).toBeNull();
    // By local hour: Alice staffed 10:00–12:00 local with c1 (300 s) at 10 and c3 (370 s) at 11.
    const byHour = await kpis(t, { ...range, groupBy: 'hour' });
    expect(row(byHour, '2025-03-10T10')!.occupancy).toBe(300 / 3600);
    expect(row(byHour, '2025-03-10T11')!.occupancy).toBe(370 / 3600);
    expect(row(byHour, '2025-03-10T12')!.occupancy).toBeNull(); // nobody staffed
    expect((await kpis(t, { ...range, groupBy: 'quarter' })).rows[0]!.occupancy).toBe((300 + 370 + 1800) / (7200 + 7200));
    expect((await kpis(t, { ...range, groupBy: 'queue' })).total.occupancy).toBeNull();
    const list = await hub.api.get('/v1/agents').set(t.auth);
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: 'agent-a', name: 'Alice' }),
      expect.objectContaining({ id: 'agent-b', name: 'Bob' }),
    ]);
    const queues = await hub.api.get('/v1/queues').set(t.auth);
    expect(queues.body.data.map((q: { name: string }) => q.name).sort()).toEqual(['Sales', 'Support']);
  });

  it('recomputes when settings change', async () => {
    const patch = await hub.api
      .patch('/v1/tenants/current')
      .set(t.auth)
      .send({ settings: { shortAbandonSeconds: 50, serviceLevelSeconds: 30 } });
    expect(patch.status).toBe(200);
    let day = row(await kpis(t, { ...range, groupBy: 'day' }), '2025-03-10')!;
    // c5 (47 s) is now a short abandon; c2 (30 s) is within the service level.
    expect(day).toMatchObject({ offered: 5, abandoned: 0, shortAbandoned: 2, serviceLevel: 3 / 5 });
    await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { serviceLevelFormula: 'answered_over_answered', creditShortAbandons: true } });
    const body = await kpis(t, { ...range, groupBy: 'day' });
    day = row(body, '2025-03-10')!;
    // (3 within + 1 short abandon within 30 s: c4 3 s; c5 47 s is not) / (3 answered + 2 short abandons)
    expect(day.serviceLevel).toBe(4 / 5);
    expect(body.definitions).toMatchObject({ shortAbandonSeconds: 50, serviceLevelSeconds: 30, serviceLevelFormula: 'answered_over_answered', creditShortAbandons: true });
    // Default after-call work applies to calls whose provider reports none.
    await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { defaultAfterCallWorkSeconds: 30 } });
    day = row(await kpis(t, { ...range, groupBy: 'day' }), '2025-03-10')!;
    expect(day.ahtSeconds).toBe(667.5 + 30);
    // Business hours: weekdays 09–18 local keeps the 10th's hours 10 and 12 (c1 c2 c3 c4–c9), drops 23.
    await hub.api
      .patch('/v1/tenants/current')
      .set(t.auth)
      .send({ settings: { shortAbandonSeconds: 5, serviceLevelSeconds: 20, serviceLevelFormula: 'answered_over_offered', creditShortAbandons: false, defaultAfterCallWorkSeconds: 0, businessHours: { days: [1, 2, 3, 4, 5], startHour: 9, endHour: 18 } } });
    const open = await kpis(t, { ...range, groupBy: 'day', businessHoursOnly: 'true' });
    expect(row(open, '2025-03-10')).toMatchObject({ offered: 5, answered: 2, ahtSeconds: 290 });
    expect(row(open, '2025-03-11')).toMatchObject({ offered: 1, answered: 0 }); // c10 at 09:00; c12 at 00:10 is out
    expect(open.definitions).toMatchObject({ businessHoursOnly: true, businessHours: { days: [1, 2, 3, 4, 5], startHour: 9, endHour: 18 } });
    const bad = await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { businessHours: { days: [1], startHour: 18, endHour: 9 }, serviceLevelFormula: 'x' } });
    expect(bad.status).toBe(400);
  });

  it('moves a call whose status changes after it was counted', async () => {
    const before = row(await kpis(t, { ...range, groupBy: 'day' }), '2025-03-10')!;
    expect(before).toMatchObject({ answered: 3, abandoned: 1 });
    await putCall(t.id, { id: ids.c5, direction: 'inbound', status: 'answered', startedAt: '2025-03-10T11:10:00Z', waitSeconds: 47, talkSeconds: 60, queue: 'Support', agent: B });
    const after = await kpis(t, { ...range, groupBy: 'day' });
    expect(row(after, '2025-03-10')).toMatchObject({ offered: 6, answered: 4, abandoned: 0, abandonmentRate: 0, asaSeconds: 23 });
    // And a call moved to another day leaves its old day.
    await putCall(t.id, { id: ids.c5, direction: 'inbound', status: 'answered', startedAt: '2025-03-11T10:00:00Z', waitSeconds: 47, talkSeconds: 60, queue: 'Support', agent: B });
    const moved = await kpis(t, { ...range, groupBy: 'day' });
    expect(row(moved, '2025-03-10')).toMatchObject({ offered: 5, answered: 3 });
    expect(row(moved, '2025-03-11')).toMatchObject({ offered: 3, answered: 2 });
  });

  it('makes an earlier call of the same number repeated when a new inbound call arrives', async () => {
    const before = row(await kpis(t, { ...range, groupBy: 'day' }), '2025-03-10')!;
    await putCall(t.id, { direction: 'inbound', status: 'missed', startedAt: '2025-03-11T20:00:00Z', waitSeconds: 30, externalNumber: '+33100000001' });
    const after = row(await kpis(t, { ...range, groupBy: 'day' }), '2025-03-10')!;
    expect(before.fcrRate).toBe(2 / 3);
    expect(after.fcrRate).toBe(1 / 3); // c1 is now repeated too
  });
});

describe('hours and quarters in tenant time', () => {
  it('groups by local clock hour across both DST changes (Europe/Paris)', async () => {
    const t = await hub.tenant({ timezone: 'Europe/Paris', currency: 'EUR', country: 'FR' });
    // Fall back, 2025-10-26: 00:30Z is 02:30 CEST and 01:30Z is 02:30 CET, one local hour key.
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-10-26T00:30:00Z', waitSeconds: 10, talkSeconds: 100, agent: { id: 'a', name: 'A' } });
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-10-26T01:30:00Z', waitSeconds: 30, talkSeconds: 200, agent: { id: 'b', name: 'B' } });
    // 02:00Z is 03:00 CET.
    await putCall(t.id, { direction: 'inbound', status: 'missed', startedAt: '2025-10-26T02:00:00Z', waitSeconds: 25 });
    // Spring forward, 2025-03-30: 01:30Z is 03:30 CEST (there is no 02 that night).
    await putCall(t.id, { direction: 'outbound', status: 'answered', startedAt: '2025-03-30T01:30:00Z', waitSeconds: 5, talkSeconds: 60, agent: { id: 'a', name: 'A' } });

    const fall = await kpis(t, { from: '2025-10-26', to: '2025-10-27', groupBy: 'hour' });
    expect(fall.rows.map((r) => [r.key, r.offered, r.answered, r.missed, r.callsPerHour])).toEqual([
      ['2025-10-26T02', 2, 2, 0, 2],
      ['2025-10-26T03', 1, 0, 1, null],
    ]);
    expect(row(fall, '2025-10-26T02')).toMatchObject({ asaSeconds: 20, ahtSeconds: 150, serviceLevel: 0.5 });
    expect(fall.total).toMatchObject({ offered: 3, answered: 2, callsPerHour: 2 });
    // The same with a filter (the hour rows of one agent) and in business hours (kpi_hourly).
    const alone = await kpis(t, { from: '2025-10-26', to: '2025-10-27', groupBy: 'hour', agentId: 'b' });
    expect(alone.rows.map((r) => [r.key, r.answered, r.ahtSeconds])).toEqual([['2025-10-26T02', 1, 200]]);
    const spring = await kpis(t, { from: '2025-03-30', to: '2025-03-31', groupBy: 'hour' });
    expect(spring.rows.map((r) => [r.key, r.offered, r.ahtSeconds, r.callsPerHour])).toEqual([['2025-03-30T03', 0, 60, 1]]);
    // A range from an instant: the local hours from that one (03:00 CET is 02:00Z).
    const partial = await kpis(t, { from: '2025-10-26T03:00:00+01:00', to: '2025-10-26T05:00:00+01:00', groupBy: 'hour' });
    expect(partial.rows.map((r) => r.key)).toEqual(['2025-10-26T03']);
  });

  it('puts a call in its tenant-local quarter, half-hour offset included (Asia/Kolkata)', async () => {
    const t = await hub.tenant({ timezone: 'Asia/Kolkata', currency: 'INR', country: 'IN' });
    // 2025-03-31T18:29Z is 23:59 on March 31st in Kolkata (UTC+05:30); 18:31Z is 00:01 on April 1st.
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-31T18:29:00Z', waitSeconds: 8, talkSeconds: 120 });
    await putCall(t.id, { direction: 'inbound', status: 'abandoned', startedAt: '2025-03-31T18:31:00Z', waitSeconds: 40 });
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-05-10T06:00:00Z', waitSeconds: 50, talkSeconds: 300 });
    const body = await kpis(t, { from: '2025-01-01', to: '2025-07-01', groupBy: 'quarter' });
    expect(body.rows.map((r) => [r.key, r.offered, r.answered, r.abandoned])).toEqual([
      ['2025-Q1', 1, 1, 0],
      ['2025-Q2', 2, 1, 1],
    ]);
    expect(row(body, '2025-Q2')).toMatchObject({ abandonmentRate: 0.5, serviceLevel: 0, asaSeconds: 50 });
    // Hours of a half-hour zone: 18:29Z is local 23 on the 31st, 18:31Z local 00 on the 1st.
    const hours = await kpis(t, { from: '2025-03-31', to: '2025-04-02', groupBy: 'hour' });
    expect(hours.rows.map((r) => r.key)).toEqual(['2025-03-31T23', '2025-04-01T00']);
  });
});

describe('costPerCall', () => {
  it("holds a period's whole cost in time rows, and spreads a day's cost over its calls' hours", async () => {
    const t = await hub.tenant({ timezone: 'UTC', currency: 'USD' });
    const campaign = await hub.api.post('/v1/campaigns').set(t.auth).send({ name: 'Radio', channel: 'radio', trackingNumbers: [] });
    expect(campaign.status).toBe(201);
    const posted = await hub.api
      .post('/v1/costs')
      .set(t.auth)
      .send({
        costs: [
          // 100.00 a day on 1, 2 and 3 March.
          { category: 'salaries', kind: 'direct', amount: '300.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-03' },
          // The campaign's cost on a day when it had no answered call.
          { category: 'other', kind: 'indirect', amount: '20.00', currency: 'USD', periodStart: '2025-03-02', periodEnd: '2025-03-02', campaignId: campaign.body.id },
        ],
      });
    expect(posted.body).toMatchObject({ upserted: 2, rejected: [] });
    // 2025-03-01 (a Saturday): two handled calls, handle 100 s at 09 and 300 s at 10.
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-01T09:00:00Z', waitSeconds: 5, talkSeconds: 100 });
    await putCall(t.id, { direction: 'outbound', status: 'answered', startedAt: '2025-03-01T10:30:00Z', waitSeconds: 5, talkSeconds: 300 });
    // 2025-03-02 (Sunday): one handled call, and a missed one; 2025-03-03 (Monday, ISO week 10): none.
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-02T09:15:00Z', waitSeconds: 5, talkSeconds: 60 });
    await putCall(t.id, { direction: 'inbound', status: 'missed', startedAt: '2025-03-02T11:00:00Z', waitSeconds: 30 });
    const range = { from: '2025-03-01', to: '2025-03-04' };

    const byDay = await kpis(t, { ...range, groupBy: 'day' });
    expect(byDay.rows.map((r) => [r.key, r.costPerCall])).toEqual([
      ['2025-03-01', '50.00'], // 100.00 / 2
      ['2025-03-02', '120.00'], // (100.00 + the campaign's 20.00) / 1
    ]);
    expect(byDay.total.costPerCall).toBe('106.67'); // 320.00 / 3
    const byWeek = await kpis(t, { ...range, groupBy: 'week' });
    expect(byWeek.rows.map((r) => [r.key, r.costPerCall])).toEqual([['2025-W09', '73.33']]); // 220.00 / 3
    expect((await kpis(t, { ...range, groupBy: 'month' })).rows.map((r) => [r.key, r.costPerCall])).toEqual([['2025-03', '106.67']]);
    expect((await kpis(t, { ...range, groupBy: 'quarter' })).rows.map((r) => [r.key, r.costPerCall])).toEqual([['2025-Q1', '106.67']]);

    // Hours: the 1st's 100.00 split 1:3 by handle time; the 2nd's 100.00 to its one handled call;
    // the campaign's 20.00 and the 3rd's 100.00 had no call to go to (the null row, not shown).
    const byHour = await kpis(t, { ...range, groupBy: 'hour' });
    expect(byHour.rows.map((r) => [r.key, r.costPerCall])).toEqual([
      ['2025-03-01T09', '25.00'],
      ['2025-03-01T10', '75.00'],
      ['2025-03-02T09', '100.00'],
      ['2025-03-02T11', null], // no handled call
    ]);
    expect(byHour.total.costPerCall).toBe('106.67');
    expect(byHour.definitions.costPerCall).toMatch(/^allocated/);
    expect(byDay.definitions.costPerCall).toMatch(/whole cost/);
    // With countProviderPrices, a call's price is a direct cost in its own period (and hour).
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-03T08:00:00Z', waitSeconds: 5, talkSeconds: 10, price: '0.0150' });
    const patched = await hub.api.patch('/v1/tenants/current').set(t.auth).send({ settings: { countProviderPrices: true } });
    expect(patched.status).toBe(200);
    const priced = await kpis(t, { ...range, groupBy: 'week' });
    // W10: 3 March's 100.00 + the price 0.02 (0.015 rounded half away from zero), one handled call.
    expect(priced.rows.map((r) => [r.key, r.costPerCall])).toEqual([['2025-W09', '73.33'], ['2025-W10', '100.02']]);
    expect(priced.total.costPerCall).toBe('80.01'); // 320.02 / 4 = 80.005
    expect(row(await kpis(t, { ...range, groupBy: 'hour' }), '2025-03-03T08')!.costPerCall).toBe('100.02');
    // Filtered views still have no allocation of their own.
    expect((await kpis(t, { ...range, groupBy: 'day', direction: 'inbound' })).total.costPerCall).toBeNull();
  });
});

describe('CSAT and NPS by direction', () => {
  it("counts an outbound call's survey only with direction=outbound", async () => {
    const t = await hub.tenant({ timezone: 'Europe/Paris', currency: 'EUR', country: 'FR' });
    const inbound = await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-10T09:00:00Z', waitSeconds: 5, talkSeconds: 60, agent: { id: 'a', name: 'A' } });
    const outbound = await putCall(t.id, { direction: 'outbound', status: 'answered', startedAt: '2025-03-10T09:30:00Z', waitSeconds: 5, talkSeconds: 60, agent: { id: 'a', name: 'A' } });
    const res = await hub.api
      .post('/v1/surveys')
      .set(t.auth)
      .send({
        responses: [
          { callId: inbound.id, csat: 5, nps: 10, respondedAt: '2025-03-10T10:00:00Z' },
          { callId: outbound.id, csat: 1, nps: 0, respondedAt: '2025-03-10T10:00:00Z' },
        ],
      });
    expect(res.body).toMatchObject({ upserted: 2, rejected: [] });
    const range = { from: '2025-03-10', to: '2025-03-11' };
    // Before: 2 responses, csat 1/2 and nps 0 in the total. Now the inbound call's only.
    for (const groupBy of ['day', 'hour', 'agent', 'month']) {
      const body = await kpis(t, { ...range, groupBy });
      expect({ groupBy, total: body.total }).toMatchObject({ groupBy, total: { csat: 1, nps: 100 } });
      expect({ groupBy, row: body.rows[0] }).toMatchObject({ groupBy, row: { csat: 1, nps: 100 } });
    }
    const byDirection = await kpis(t, { ...range, groupBy: 'direction' });
    expect(byDirection.rows.map((r) => [r.key, r.csat, r.nps])).toEqual([
      ['inbound', 1, 100],
      ['outbound', null, null],
    ]);
    // direction=outbound shows the outbound ones, on every read path (day rows, hour rows, kpi_hourly).
    for (const query of [{ groupBy: 'day' }, { groupBy: 'hour' }, { groupBy: 'direction' }, { groupBy: 'day', agentId: 'a' }] as Record<string, string>[]) {
      const body = await kpis(t, { ...range, ...query, direction: 'outbound' });
      expect({ query, total: body.total }).toMatchObject({ query, total: { csat: 0, nps: -100 } });
    }
    const inboundOnly = await kpis(t, { ...range, groupBy: 'day', direction: 'inbound', agentId: 'a' });
    expect(inboundOnly.total).toMatchObject({ csat: 1, nps: 100 });
  });
});

describe('self_served calls', () => {
  it('are neither offered, abandoned, in the service level nor handled', async () => {
    const t = await hub.tenant({ timezone: 'Europe/Paris', currency: 'EUR', country: 'FR' });
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-10T09:00:00Z', waitSeconds: 10, talkSeconds: 100, agent: { id: 'a', name: 'A' } });
    await putCall(t.id, { direction: 'inbound', status: 'abandoned', startedAt: '2025-03-10T09:10:00Z', waitSeconds: 30 });
    // An IVR took the call for 4 minutes and ended it: waited long, talked, no agent.
    const bot = await putCall(t.id, { direction: 'inbound', status: 'self_served', startedAt: '2025-03-10T10:20:00Z', waitSeconds: 0, talkSeconds: 240 });
    const body = await kpis(t, { from: '2025-03-10', to: '2025-03-11', groupBy: 'hour' });
    expect(body.total).toMatchObject({
      offered: 2,
      answered: 1,
      abandoned: 1,
      missed: 0,
      voicemail: 0,
      abandonmentRate: 0.5,
      serviceLevel: 0.5,
      ahtSeconds: 100, // the self-served call's 240 s is not handle time of a handled call
      callsPerHour: 1, // one handled call, in local hour 10
    });
    expect(body.rows.map((r) => [r.key, r.offered, r.answered])).toEqual([
      ['2025-03-10T10', 2, 1],
      ['2025-03-10T11', 0, 0],
    ]);
    // The unified call carries the status, and the API filters by it.
    const list = await hub.api.get('/v1/calls').query({ status: 'self_served', from: '2025-03-10T00:00:00Z', to: '2025-03-11T00:00:00Z' }).set(t.auth);
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([[bot.id, 'self_served']]);
    const spec = await hub.api.get('/openapi.json');
    expect(JSON.stringify(spec.body)).toContain('"self_served"');
  });
});

describe('compare', () => {
  it('adds the previous period and the previous year to each row and the total', async () => {
    const t = await hub.tenant({ timezone: 'UTC', currency: 'USD' });
    const a = { id: 'a', name: 'A' };
    const b = { id: 'b', name: 'B' };
    // February: 3rd: one answered by a (wait 10, talk 100) and one abandoned; 10th: one answered by b.
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-02-03T09:00:00Z', waitSeconds: 10, talkSeconds: 100, agent: a });
    await putCall(t.id, { direction: 'inbound', status: 'abandoned', startedAt: '2025-02-03T09:30:00Z', waitSeconds: 30 });
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-02-10T09:00:00Z', waitSeconds: 10, talkSeconds: 200, agent: b });
    // March: 3rd: two answered by a (talk 300 and 100); 31st: one answered by b (talk 200).
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-03T09:00:00Z', waitSeconds: 20, talkSeconds: 300, agent: a });
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-03T10:00:00Z', waitSeconds: 40, talkSeconds: 100, agent: a });
    await putCall(t.id, { direction: 'inbound', status: 'answered', startedAt: '2025-03-31T09:00:00Z', waitSeconds: 10, talkSeconds: 200, agent: b });
    const march = { from: '2025-03-01', to: '2025-04-01' };

    const byDay = await kpis(t, { ...march, groupBy: 'day', compare: 'previous_period' });
    expect(byDay.definitions.compare).toEqual({ mode: 'previous_period', from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' });
    const third = row(byDay, '2025-03-03')!.compare as { key: string; from: string; to: string; values: Record<string, unknown>; delta: Record<string, unknown> };
    expect(third).toMatchObject({ key: '2025-02-03', from: '2025-02-03T00:00:00.000Z', to: '2025-02-04T00:00:00.000Z' });
    expect(third.values).toMatchObject({ offered: 2, answered: 1, abandoned: 1, abandonmentRate: 0.5, asaSeconds: 10, ahtSeconds: 100 });
    expect(third.delta).toMatchObject({ offered: 0, answered: 1, abandoned: -1, abandonmentRate: -0.5, asaSeconds: 20, ahtSeconds: 100, serviceLevel: 0, costPerCall: null });
    // February has no 31st position.
    expect(row(byDay, '2025-03-31')!.compare).toBeNull();
    expect(byDay.total.compare).toMatchObject({
      key: null,
      from: '2025-02-01T00:00:00.000Z',
      to: '2025-03-01T00:00:00.000Z',
      values: { offered: 3, answered: 2, ahtSeconds: 150 },
      delta: { offered: 0, answered: 1, abandoned: -1, ahtSeconds: 50 }, // 600 / 3 − 300 / 2
    });

    const byAgent = await kpis(t, { ...march, groupBy: 'agent', compare: 'previous_period' });
    expect(byAgent.rows.map((r) => [r.key, (r.compare as { key: string; values: { answered: number }; delta: { answered: number } }).key, (r.compare as { values: { answered: number } }).values.answered, (r.compare as { delta: { answered: number } }).delta.answered])).toEqual([
      ['a', 'a', 1, 1],
      ['b', 'b', 1, 0],
    ]);

    // A year earlier there was nothing: the values are those of no calls.
    const lastYear = await kpis(t, { ...march, groupBy: 'month', compare: 'previous_year' });
    expect(lastYear.rows[0]!.compare).toMatchObject({
      key: '2024-03',
      from: '2024-03-01T00:00:00.000Z',
      to: '2024-04-01T00:00:00.000Z',
      values: { offered: 0, answered: 0, abandonmentRate: null },
      delta: { offered: 3, answered: 3, abandonmentRate: null },
    });
    const bad = await hub.api.get('/v1/kpis').query({ ...march, compare: 'last_week' }).set(t.auth);
    expect(bad.status).toBe(400);
  });
});

describe('hour costs and the ROI allocation', () => {
  it("spread each day's cost over its handled calls into their hours; what finds no call is in the null row", async () => {
    // The ROI module's allocation, through its index.
    const { allocatedCostCents } = await import('../src/modules/roi/index.js');
    const { rowCosts } = await import('../src/modules/kpis/cost-shares.js');
    const { tenants } = await import('../src/db/schema/index.js');
    const t = await hub.tenant({ timezone: 'America/Los_Angeles', currency: 'USD' });
    const campaign = await hub.api.post('/v1/campaigns').set(t.auth).send({ name: 'Search', channel: 'google_ads', trackingNumbers: [] });
    await hub.api
      .post('/v1/costs')
      .set(t.auth)
      .send({
        costs: [
          { category: 'salaries', kind: 'direct', amount: '1000.01', currency: 'USD', periodStart: '2025-03-08', periodEnd: '2025-03-12' },
          { category: 'licences', kind: 'indirect', amount: '77.77', currency: 'USD', periodStart: '2025-03-09', periodEnd: '2025-03-10' },
          { category: 'training', kind: 'direct', amount: '33.33', currency: 'USD', periodStart: '2025-03-09', periodEnd: '2025-03-11', agentId: 'a' },
          { category: 'other', kind: 'indirect', amount: '10.00', currency: 'USD', periodStart: '2025-03-10', periodEnd: '2025-03-10', campaignId: campaign.body.id },
        ],
      });
    // Calls over the spring-forward day (9 March in Los Angeles) and after; uneven handle times.
    const starts = ['2025-03-09T09:10:00Z', '2025-03-09T10:45:00Z', '2025-03-09T23:59:00Z', '2025-03-10T15:00:00Z', '2025-03-10T16:30:00Z', '2025-03-11T18:00:00Z'];
    for (const [i, startedAt] of starts.entries()) {
      await putCall(t.id, { direction: i % 2 ? 'outbound' : 'inbound', status: 'answered', startedAt, waitSeconds: 3, talkSeconds: 7 + i * 113, agent: i % 3 ? { id: 'a', name: 'A' } : null });
    }
    const [tenant] = await hub.deps.database.db.select().from(tenants).where(eq(tenants.id, t.id));
    const range = { from: new Date('2025-03-08T08:00:00Z'), to: new Date('2025-03-13T07:00:00Z') };
    const hours = (await rowCosts(hub.deps.database.db, tenant!, range, 'hour'))!;
    const days = await allocatedCostCents(hub.deps.database.db, tenant!, range, 'day');
    const summed = new Map<string | null, bigint>();
    for (const [key, cents] of hours.byKey) {
      const day = key === null ? null : key.slice(0, 10);
      summed.set(day, (summed.get(day) ?? 0n) + cents);
    }
    // A time grouping of the ROI allocation holds each day's whole cost (contract section 7). Hours
    // spread a day over its handled calls (of each cost's scope): 8 and 12 March have no call (their
    // salaries go to the null row), and the campaign's 10.00 of 10 March finds no call of the campaign.
    expect(Object.fromEntries(days.byKey)).toEqual({ '2025-03-08': 20001n, '2025-03-09': 25000n, '2025-03-10': 25999n, '2025-03-11': 21111n, '2025-03-12': 20000n });
    expect(Object.fromEntries(summed)).toEqual({ '2025-03-09': 25000n, '2025-03-10': 25999n - 1000n, '2025-03-11': 21111n, null: 20001n + 20000n + 1000n });
    expect(hours.totalCents).toBe(days.totalCents);
    expect(hours.totalCents).toBe(100001n + 7777n + 3333n + 1000n);
  });
});
