/**
 * A worker's batch recomputes its calls together (src/modules/calls/recompute.ts recomputeCalls):
 * their locks, events and rows read in one statement each, the listeners enrich the whole batch in
 * one statement each (campaign by tracking number and start, automation endpoint, annotations,
 * lead flags), and the calls that changed are written in one statement. The calls written must be
 * exactly those the per-call path writes: each of these calls is recomputed once through the batch
 * and once per call (each in a transaction rolled back), and the rows compared field by field. The
 * lead flags of a batch are those of the calls table once the batch is written: the job's rules
 * (src/modules/leads/first-time.ts) find nothing to fix after it, whatever the batch holds (new
 * calls of one number, calls moved in time, CRM leads).
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFor, type CallEvent } from '../connectors/index.js';
import { restRecordToEvent } from '../connectors/twilio/client.js';
import { queryRows, type Database, type Executor } from '../src/db/client.js';
import { calls, tenants, type TenantRow } from '../src/db/schema/index.js';
import { recomputeCall, recomputeCalls, storeCallEvents, type CallChange, type CallChangeListener } from '../src/modules/calls/index.js';
import { refreshFirstTimeCallers } from '../src/modules/leads/index.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { twilioInboundCall, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

let hub: TestHub;
let db: Database;
beforeAll(async () => {
  hub = await createTestHub({ workers: false });
  db = hub.deps.database.db;
}, 60_000);
afterAll(async () => hub?.close());

class Rollback extends Error {}

/** What `run` wrote to the calls table, read back, then undone. */
async function writtenBy(run: (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) => Promise<void>, tenantId: string): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = [];
  try {
    await db.transaction(async (tx) => {
      await run(tx);
      rows = await queryRows<Record<string, unknown>>(tx, sql`select * from calls where tenant_id = ${tenantId} order by call_key`);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return rows.map(({ id: _i, created_at: _c, updated_at: _u, ...rest }) => rest);
}

describe('recomputing a batch of calls', () => {
  it('writes the calls the per-call path writes: campaigns, automation endpoints and annotations included', async () => {
    const t = await hub.tenant({ timezone: 'UTC' });
    const [tenant] = await db.select().from(tenants).where(sql`${tenants.id} = ${t.id}`);
    const conn = await hub.api.post('/v1/connections').set(t.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    expect(conn.status).toBe(201);
    // Two tracking numbers in campaigns, one answered by automation, one in nothing.
    for (const [name, number] of [['Search', '+16505550100'], ['Radio', '+16505550111']] as const) {
      expect((await hub.api.post('/v1/campaigns').set(t.auth).send({ name, channel: 'google_ads', trackingNumbers: [number] })).status).toBe(201);
    }
    expect((await hub.api.post('/v1/automation-endpoints').set(t.auth).send({ number: '+16505550122' })).status).toBe(201);
    const lines = ['+16505550100', '+16505550111', '+16505550122', '+16505550133'];

    const connection = { id: conn.body.id as string, provider: 'twilio' as const };
    const start = Date.UTC(2025, 4, 6, 9);
    const keys: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Two calls of one caller, so the first-time-caller check matters too.
      const from = i === 7 ? '+14155551003' : undefined;
      const deliveries = twilioInboundCall(70_000 + i, new Date(start + i * 600_000), i % 4 !== 3, from);
      for (const d of deliveries) d.params.To = lines[i % lines.length]!;
      const parsed = deliveries.map((d) =>
        connectorFor('twilio').parse({ rawBody: new URLSearchParams(d.params).toString(), headers: {}, query: {}, receivedAt: new Date(start + i * 600_000 + 200_000) }),
      );
      const events = parsed.flatMap((p) => p.calls);
      keys.push(events[0]!.callKey);
      await storeCallEvents(db, t.id, connection.id, events);
    }
    // Annotations of two calls (kept apart from the call, applied by every recompute).
    for (const [k, label] of [[keys[1]!, 'negative'], [keys[6]!, 'positive']] as const) {
      await db.execute(sql`insert into call_annotations (tenant_id, connection_id, call_key, call_id, sentiment, summary, handled_by)
        values (${t.id}, ${connection.id}, ${k}, ${randomUUID()}, ${JSON.stringify({ label, score: null, source: 'annotation' })}::jsonb, ${`summary ${label}`}, 'agent')`);
    }

    const enrichers: CallChangeListener[] = hub.deps.listeners.filter((l) => l.enrich).map((l) => ({ enrich: l.enrich!.bind(l), enrichMany: l.enrichMany?.bind(l) }));
    expect(enrichers.filter((l) => l.enrichMany)).toHaveLength(4);
    const batched = await writtenBy(async (tx) => {
      await recomputeCalls(tx, tenant!, connection, keys, enrichers);
    }, t.id);
    const perCall = await writtenBy(async (tx) => {
      for (const k of [...keys].sort()) await recomputeCall(tx, tenant!, connection, k, enrichers.map((l) => ({ enrich: l.enrich })));
    }, t.id);

    expect(batched).toHaveLength(12);
    expect(batched).toEqual(perCall);
    // Not vacuous: the batch found campaigns, an automation endpoint and the annotations.
    const campaignsFound = new Set(batched.map((r) => r.campaign_id).filter(Boolean));
    expect(campaignsFound.size).toBe(2);
    expect(batched.some((r) => r.automation !== null)).toBe(true);
    expect(batched.filter((r) => r.summary !== null)).toHaveLength(2);
  });
});

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** What `run` returns, its writes undone. */
async function rolledBack<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
  let out: T | undefined;
  try {
    await db.transaction(async (tx) => {
      out = await run(tx);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return out!;
}

type Row = Record<string, unknown>;
const callsOf = (tx: Executor, tenantId: string) => queryRows<Row>(tx, sql`select * from calls where tenant_id = ${tenantId} order by call_key`);
const withoutIds = (rows: Row[]) => rows.map(({ id: _i, created_at: _c, updated_at: _u, ...rest }) => rest);

const sidOf = (n: number) => `CA${String(n).padStart(32, '0')}`;
const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2025, 4, 6, 9);

/** A Twilio call as one REST read of its parent leg: a later read of it replaces this one (same event key). */
function restCall(n: number, from: string, start: number, price: string | null = '-0.0085'): CallEvent {
  return restRecordToEvent({
    sid: sidOf(n),
    parentCallSid: null,
    status: 'completed',
    direction: 'inbound',
    from,
    to: '+16505550100',
    startTime: new Date(start),
    endTime: new Date(start + 120_000),
    duration: '100',
    queueTime: null,
    price,
    priceUnit: 'usd',
  });
}

interface Scene {
  tenantId: string;
  auth: { Authorization: string };
  tenant: TenantRow;
  connection: { id: string; provider: 'twilio' };
}

async function scene(): Promise<Scene> {
  const t = await hub.tenant({ timezone: 'UTC' });
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, t.id));
  const conn = await hub.api.post('/v1/connections').set(t.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  expect(conn.status).toBe(201);
  return { tenantId: t.id, auth: t.auth, tenant: tenant!, connection: { id: conn.body.id as string, provider: 'twilio' } };
}

const enrichers = (): CallChangeListener[] => hub.deps.listeners.filter((l) => l.enrich).map((l) => ({ enrich: l.enrich!.bind(l), enrichMany: l.enrichMany?.bind(l) }));

/** Store these calls' events and recompute them, committed: the calls the batch finds. */
async function committed(s: Scene, events: CallEvent[]): Promise<void> {
  await db.transaction(async (tx) => {
    await storeCallEvents(tx, s.tenantId, s.connection.id, events);
    await recomputeCalls(tx, s.tenant, s.connection, events.map((e) => e.callKey), enrichers());
  });
}

/**
 * After `events` are stored: the calls of `keys` recomputed as one batch, and as one batch per call
 * (in key order) followed by the job's refresh of every flag of the tenant (the flags once every
 * mark is drained). `fixed`: what the job finds to fix after the batch (nothing, when the batch
 * holds every call of its numbers).
 */
async function batchAndAlone(s: Scene, events: CallEvent[], keys: string[]) {
  const batch = await rolledBack(async (tx) => {
    await storeCallEvents(tx, s.tenantId, s.connection.id, events);
    const changes = await recomputeCalls(tx, s.tenant, s.connection, keys, enrichers());
    const rows = await callsOf(tx, s.tenantId);
    const table = await tx.select().from(calls).where(eq(calls.tenantId, s.tenantId));
    const fixed = await refreshFirstTimeCallers(tx, s.tenantId, null, () => []);
    return { changes, rows, table, fixed };
  });
  const alone = await rolledBack(async (tx) => {
    await storeCallEvents(tx, s.tenantId, s.connection.id, events);
    for (const k of [...keys].sort()) await recomputeCalls(tx, s.tenant, s.connection, [k], enrichers());
    await refreshFirstTimeCallers(tx, s.tenantId, null, () => []);
    return callsOf(tx, s.tenantId);
  });
  return { ...batch, alone };
}

/** The flags of the calls, by the number the call was made from (sidOf). */
function flagsOf(rows: Row[]): Record<number, [boolean | null, boolean]> {
  return Object.fromEntries(rows.map((r) => [Number((r.call_key as string).slice(2)), [r.first_time_caller as boolean | null, r.crm_lead as boolean]]));
}

describe("a batch's lead flags and its one write", () => {
  it('new calls of one number in one batch: exactly the earliest is first, as one batch per call gives', async () => {
    const s = await scene();
    const N = '+14155550001';
    // Key order is not time order; 2 and 5 start at the same instant (2's key is first).
    const events = [restCall(1, N, T0 + 2 * H), restCall(2, N, T0 + H), restCall(3, N, T0 + 3 * H), restCall(4, '+14155550002', T0), restCall(5, N, T0 + H)];
    const got = await batchAndAlone(s, events, events.map((e) => e.callKey));
    expect(flagsOf(got.rows)).toEqual({ 1: [false, false], 2: [true, false], 3: [false, false], 4: [true, false], 5: [false, false] });
    expect(got.fixed).toBe(0);
    expect(withoutIds(got.rows)).toEqual(withoutIds(got.alone));
  });

  it('a batch moving an existing call past another call of its number in the batch: the flags of the moved order', async () => {
    const s = await scene();
    const N = '+14155550011';
    await committed(s, [restCall(11, N, T0 + H), restCall(12, N, T0 + 2 * H), restCall(13, N, T0 + 4 * H)]);
    expect(flagsOf(await callsOf(db, s.tenantId))).toEqual({ 11: [true, false], 12: [false, false], 13: [false, false] });

    // 11 moves later than 12 (a new REST read of it), and a new call lands between them: 12 is first.
    const later = [restCall(11, N, T0 + 3 * H), restCall(14, N, T0 + 2.5 * H)];
    const moved = await batchAndAlone(s, later, [sidOf(11), sidOf(12), sidOf(14)]);
    expect(flagsOf(moved.rows)).toEqual({ 11: [false, false], 12: [true, false], 13: [false, false], 14: [false, false] });
    expect(moved.fixed).toBe(0);
    expect(withoutIds(moved.rows)).toEqual(withoutIds(moved.alone));
    // 12's events did not change, its flag did: it is written; 11 moved; 14 is new.
    expect(moved.changes.map((c) => [c.after.callKey, c.before?.firstTimeCaller ?? null, c.after.firstTimeCaller])).toEqual([
      [sidOf(11), true, false],
      [sidOf(12), false, true],
      [sidOf(14), null, false],
    ]);

    // 13 moves earlier than 11: 13 is first, 11 no longer.
    const earlier = await batchAndAlone(s, [restCall(13, N, T0)], [sidOf(11), sidOf(13)]);
    expect(flagsOf(earlier.rows)).toEqual({ 11: [false, false], 12: [false, false], 13: [true, false] });
    expect(earlier.fixed).toBe(0);
    expect(withoutIds(earlier.rows)).toEqual(withoutIds(earlier.alone));
  });

  it("CRM leads in one batch: the first call of the lead's phones in its window", async () => {
    const s = await scene();
    const [P, Q, R] = ['+14155550021', '+14155550022', '+14155550023'];
    const created = new Date(T0 + 10 * D).toISOString();
    await db.execute(sql`insert into crm_leads (id, tenant_id, external_id, phones, match_phones, source, lead_created_at) values
      (${randomUUID()}, ${s.tenantId}, 'L1', ${JSON.stringify([P])}::jsonb, ${JSON.stringify([P])}::jsonb, 'web', ${created}::timestamptz),
      (${randomUUID()}, ${s.tenantId}, 'L2', ${JSON.stringify([Q, R])}::jsonb, ${JSON.stringify([Q, R])}::jsonb, 'ads', ${created}::timestamptz)`);
    // 20 is before L1's 90-day window (and more than 90 days before 22); 22 is P's first call in
    // it, 21 a later one; R's call (24) comes before Q's (23): L2 marks 24 only. (Key order is not
    // time order: the batch's calls see each other whatever their keys.)
    const events = [restCall(20, P, T0 - 100 * D), restCall(21, P, T0 + 11 * D), restCall(22, P, T0 + 5 * D), restCall(23, Q, T0 + 13 * D), restCall(24, R, T0 + 12 * D)];
    const got = await batchAndAlone(s, events, events.map((e) => e.callKey));
    expect(flagsOf(got.rows)).toEqual({ 20: [true, false], 21: [false, false], 22: [true, true], 23: [true, false], 24: [true, true] });
    expect(got.fixed).toBe(0);
    expect(withoutIds(got.rows)).toEqual(withoutIds(got.alone));
  });

  it('a mixed batch of new, changed and unchanged calls: every column as each call alone, ids and times kept', async () => {
    const s = await scene();
    expect((await hub.api.post('/v1/campaigns').set(s.auth).send({ name: 'Search', channel: 'google_ads', trackingNumbers: ['+16505550100'] })).status).toBe(201);
    const [N1, N2, N3] = ['+14155550031', '+14155550032', '+14155550033'];
    await committed(s, [restCall(31, N1, T0), restCall(32, N2, T0 + H), restCall(33, N3, T0 + 2 * H, '-0.01')]);
    // A column recompute does not own (attribution's): kept by the write.
    await db.execute(sql`update calls set attributed_revenue = 125.5 where connection_id = ${s.connection.id} and call_key = ${sidOf(31)}`);
    const before = new Map((await db.select().from(calls).where(eq(calls.tenantId, s.tenantId))).map((r) => [r.callKey, r]));
    expect(before.get(sidOf(33))!.costAmount).toBe('0.010000');
    await db.execute(sql`insert into call_annotations (tenant_id, connection_id, call_key, call_id, sentiment, summary, handled_by)
      values (${s.tenantId}, ${s.connection.id}, ${sidOf(35)}, ${randomUUID()}, ${JSON.stringify({ label: 'negative', score: null, source: 'annotation' })}::jsonb, 'angry', 'agent')`);

    // 31: a new price (same value written differently for 32: unchanged); 33 moves; 34 is N1's
    // call before 31 (31 is first no more); 35 is annotated; 36 has no number.
    const events = [
      restCall(31, N1, T0, '-0.0125'),
      restCall(32, N2, T0 + H, '-0.00850'),
      restCall(33, N3, T0 + 5 * H, '-0.01'),
      restCall(34, N1, T0 - H),
      restCall(35, '+14155550035', T0 + 3 * H),
      restCall(36, '', T0 + 4 * H),
    ];
    const keys = [31, 32, 33, 34, 35, 36].map(sidOf);
    const got = await batchAndAlone(s, events, keys);
    expect(got.fixed).toBe(0);

    // The changes, in key order: the row read before, the row written (as the table holds it).
    const now = new Map(got.table.map((r) => [r.callKey, r]));
    expect(got.changes.map((c) => c.after.callKey)).toEqual([31, 33, 34, 35, 36].map(sidOf));
    for (const c of got.changes as CallChange[]) {
      expect(c.tenantId).toBe(s.tenantId);
      expect(c.before).toEqual(before.get(c.after.callKey) ?? null);
      expect(c.after).toEqual(now.get(c.after.callKey));
    }
    // Existing rows keep their id and createdAt; updatedAt moves only for those written.
    for (const [key, b] of before) {
      const a = now.get(key)!;
      expect([a.id, a.createdAt]).toEqual([b.id, b.createdAt]);
      if (key === sidOf(32)) expect(a.updatedAt).toEqual(b.updatedAt);
      else expect(a.updatedAt.getTime()).toBeGreaterThan(b.updatedAt.getTime());
    }
    for (const key of [34, 35, 36].map(sidOf)) expect(now.get(key)!.createdAt).toEqual(now.get(key)!.updatedAt);
    expect(now.get(sidOf(31))!).toMatchObject({ costAmount: '0.012500', attributedRevenue: '125.50' });
    expect(now.get(sidOf(35))!).toMatchObject({ summary: 'angry', handledBy: 'agent', sentiment: { label: 'negative' } });
    expect(now.get(sidOf(36))!).toMatchObject({ externalNumber: null, firstTimeCaller: null, crmLead: false });
    expect(new Set(got.table.map((r) => r.campaignId)).size).toBe(1);
    expect(got.table[0]!.campaignId).not.toBeNull();
    expect(flagsOf(got.rows)).toEqual({ 31: [false, false], 32: [true, false], 33: [true, false], 34: [true, false], 35: [true, false], 36: [null, false] });

    // Every column as each call recomputed alone (then the job): ids of existing rows included.
    const existing = new Set([...before.values()].map((r) => r.id));
    const comparable = (rows: Row[]) => rows.map(({ updated_at: _u, ...r }) => (existing.has(r.id as string) ? r : { ...r, id: 'new', created_at: 'new' }));
    expect(comparable(got.rows)).toEqual(comparable(got.alone));
  });
});
