/**
 * The inbox writer's batches are INSERTs in flight at the same time. A provider's retry racing the
 * original lands the same delivery in two of them; whatever order the two batches hold their rows
 * in, both commit (no deadlock between them: rows are inserted in key order), every delivery is
 * stored once, and each request learns whether it was the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxWriter, type InboxRow } from '../src/modules/webhooks/inbox-writer.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './helpers/twilio.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ workers: false });
});
afterAll(async () => hub?.close());

describe('inbox writer', () => {
  it('stores each of two racing batches of the same deliveries, in opposite orders, once and without deadlock', async () => {
    const tenant = await hub.tenant();
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const row = (k: number): InboxRow => ({
      tenantId: tenant.id,
      connectionId: conn.body.id as string,
      provider: 'twilio',
      dedupeKey: `race-${k}`,
      headers: {},
      query: {},
      body: `CallSid=CA${k}`,
    });
    const stored: string[][] = [];
    // Two writers over the same pool, as two API requests' batches are: each flushes all at once.
    const a = new InboxWriter(hub.deps.database, (ids) => stored.push(ids), 200, 1);
    const b = new InboxWriter(hub.deps.database, (ids) => stored.push(ids), 200, 1);
    for (let round = 0; round < 8; round++) {
      const keys = Array.from({ length: 200 }, (_, i) => round * 1000 + i);
      const results = await Promise.all([...keys.map((k) => a.write(row(k))), ...[...keys].reverse().map((k) => b.write(row(k)))]);
      // Each delivery: one request inserted it, the other was told it is a duplicate of the same id.
      const byKey = new Map<number, { id: string; inserted: boolean }[]>();
      results.forEach((r, i) => {
        const k = i < 200 ? keys[i]! : keys[399 - i]!;
        byKey.set(k, [...(byKey.get(k) ?? []), r]);
      });
      for (const [, pair] of byKey) {
        expect(pair.map((p) => p.inserted).sort()).toEqual([false, true]);
        expect(pair[0]!.id).toBe(pair[1]!.id);
      }
    }
    const [count] = await hub.deps.database.query<{ n: string }>('select count(*) as n from webhook_events where connection_id = $1', [conn.body.id]);
    expect(Number(count!.n)).toBe(8 * 200);
    expect(stored.flat()).toHaveLength(8 * 200);
  });

  it('stores every column of each row, whatever the batch size (padded to a prepared size)', async () => {
    const tenant = await hub.tenant();
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
    const row = (k: string): InboxRow => ({
      tenantId: tenant.id,
      connectionId: conn.body.id as string,
      provider: 'twilio',
      dedupeKey: `size-${k}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-n': k },
      query: { q: `é${k}` },
      body: `CallSid=CA${k}&Quote="'\\`,
    });
    const writer = new InboxWriter(hub.deps.database, () => undefined, 200, 1);
    // Batches padded to a prepared size (3 → 4, 5 → 8, 49 → 64, 81 → 100, 101 → 200) and sizes
    // seen again reuse their statement: no padding row is stored, every real one is.
    const sizes = [3, 1, 3, 2, 1, 5, 49, 81, 100, 101];
    const written: { k: string; id: string }[] = [];
    for (const [b, size] of sizes.entries()) {
      const keys = Array.from({ length: size }, (_, i) => `${b}-${i}`);
      const results = await Promise.all(keys.map((k) => writer.write(row(k))));
      results.forEach((r, i) => {
        expect(r.inserted).toBe(true);
        written.push({ k: keys[i]!, id: r.id });
      });
    }
    const rows = await hub.deps.database.query<{ id: string; tenant_id: string; connection_id: string; provider: string; dedupe_key: string; headers: unknown; query: unknown; body: string }>(
      'select id, tenant_id, connection_id, provider, dedupe_key, headers, query, body from webhook_events where connection_id = $1',
      [conn.body.id],
    );
    expect(rows).toHaveLength(written.length);
    for (const { k, id } of written) {
      const expected = row(k);
      expect(rows.find((r) => r.id === id)).toEqual({
        id,
        tenant_id: expected.tenantId,
        connection_id: expected.connectionId,
        provider: expected.provider,
        dedupe_key: expected.dedupeKey,
        headers: expected.headers,
        query: expected.query,
        body: expected.body,
      });
    }
  });
});
