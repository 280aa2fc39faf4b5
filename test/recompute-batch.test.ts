/**
 * A worker's batch recomputes its calls together (src/modules/calls/recompute.ts recomputeCalls):
 * their locks, events and rows read in one statement each, and the listeners that can enrich a
 * batch at once (campaign by tracking number and start, automation endpoint, annotations) do it in
 * one statement. The calls written must be exactly those the per-call path writes: each of these
 * calls is recomputed once through the batch and once per call (each in a transaction rolled back),
 * and the rows compared field by field.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFor } from '../connectors/index.js';
import { queryRows, type Database } from '../src/db/client.js';
import { tenants } from '../src/db/schema/index.js';
import { recomputeCall, recomputeCalls, storeCallEvents, type CallChangeListener } from '../src/modules/calls/index.js';
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
      // Two calls of one caller, so the first-time-caller check (per call, between writes) matters too.
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
    expect(enrichers.filter((l) => l.enrichMany)).toHaveLength(3);
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
