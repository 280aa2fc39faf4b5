/**
 * A PostgreSQL restart sends every backend `57P01 terminating connection due to administrator
 * command`. A client that receives it while checked out (inside a transaction, between two queries)
 * emits 'error'; without a listener that ends the process. `pg_terminate_backend` sends the same
 * message to one backend, so the test restarts nothing shared.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type DatabaseHandle } from '../../src/db/client.js';
import { isUnavailable } from '../../src/lib/errors.js';
import { adminUrl, databaseUrl } from '../helpers/env.js';
import { createDatabase, dropDatabase } from '../helpers/hub.js';

let name: string;
let handle: DatabaseHandle;
const seen: Error[] = [];
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  name = await createDatabase();
  handle = await openDatabase({ databaseUrl: databaseUrl(name), dataDir: '/nonexistent', onConnectionError: (e) => seen.push(e) });
  process.on('uncaughtException', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await handle?.close();
  if (name) await dropDatabase(name);
});

async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query('select pg_terminate_backend($1)', [pid]);
  await admin.end();
}

describe('a backend terminated under a checked-out client', () => {
  it('rejects the open transaction, keeps the process, and the next query reconnects', async () => {
    const before = seen.length;
    const tx = handle.db.transaction(async (t) => {
      const [row] = await queryRows<{ pid: number }>(t, sql`select pg_backend_pid() as pid`);
      await terminate(row!.pid);
      // The client is idle inside the transaction when the server goes: exactly the case pg-pool
      // leaves without a listener. Wait until the error has arrived, then use the transaction.
      for (let i = 0; i < 100 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 20));
      await queryRows(t, sql`select 1`);
    });
    const err = await tx.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(isUnavailable(err)).toBe(true);
    expect(seen.length).toBeGreaterThan(before);
    expect(seen.some((e) => (e as { code?: string }).code === '57P01')).toBe(true);
    const [again] = await queryRows<{ one: number }>(handle.db, sql`select 1 as one`);
    expect(again!.one).toBe(1);
    expect(uncaught).toEqual([]);
  });

  it('survives the same on an idle pooled client', async () => {
    const [row] = await queryRows<{ pid: number }>(handle.db, sql`select pg_backend_pid() as pid`);
    const before = seen.length;
    await terminate(row!.pid);
    for (let i = 0; i < 100 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    const [again] = await queryRows<{ one: number }>(handle.db, sql`select 1 as one`);
    expect(again!.one).toBe(1);
    expect(uncaught).toEqual([]);
  });
});
