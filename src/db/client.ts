/**
 * The database: PostgreSQL through `pg` when DATABASE_URL is set, else embedded PGlite in
 * $DATA_DIR. Both are driven through the same drizzle `PgDatabase` API, so nothing above this file
 * knows which one it has.
 */
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgTransaction, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { migratePostgres } from './migrate.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction has the same query API as the database. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Tx;

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /**
   * Plain parameterised SQL for the hot path (the webhook inbox), skipping query building. `name`
   * makes it a prepared statement on PostgreSQL (parsed and planned once per connection; the same
   * name must always come with the same text); PGlite ignores it. A pooler in transaction mode
   * between the hub and PostgreSQL must keep prepared statements (PgBouncer ≥ 1.21 does, with
   * max_prepared_statements), as session mode does.
   */
  query<T = Record<string, unknown>>(text: string, params: unknown[], name?: string): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Pool connections kept open through quiet spells (see `min` below). */
const KEPT_CONNECTIONS = 4;

export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** Applied on open (start-up and tests): migrations are append-only and idempotent. */
  migrate?: boolean;
  /** Told about connections the server dropped (restart, failover, `pg_terminate_backend`). */
  onConnectionError?: (err: Error) => void;
}): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 20,
      // Fail fast when PostgreSQL is down, so a webhook gets its 503 while the provider still waits.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      // A few connections outlive the idle timeout: a request after a quiet spell (one GET /v1/roi
      // reads on several connections side by side: readTogether below) would otherwise
      // open them again first, a TCP and authentication round each (bench/roi.ts measured 2
      // connections opened doubling the GET after a new won deal). Kept alive at the TCP level so
      // that a firewall between the hub and PostgreSQL does not drop them silently.
      min: Math.min(KEPT_CONNECTIONS, opts.poolSize ?? 20),
      keepAlive: true,
      // No JIT: the hub's statements are reports of milliseconds to seconds, and jsonb set-returning
      // functions (a deal's phones) inflate row estimates ×100 per level, so the planner's cost
      // passes jit_inline/optimize_above_cost and compiling takes longer than running: measured on
      // GET /v1/roi's SQL attribution (bench/roi.ts), 3.4 s with JIT against 0.46 s without. A
      // session SET, done before the pool hands the new client out, rather than a startup option,
      // which connection poolers may refuse; a failure (no such setting) is ignored.
      onConnect: async (client) => {
        await client.query('set jit = off').catch(() => undefined);
      },
    });
    // A client losing its server (a restart sends 57P01 to every backend) emits 'error'; an 'error'
    // event without a listener ends the process. pg-pool listens on idle clients only and removes
    // that listener while a client is checked out — by a query or by a whole `db.transaction` — so
    // every client gets its own listener for its whole life. The query or transaction in flight
    // still rejects (a 503 or a job retry), the broken client is discarded on release, and the
    // next checkout opens a fresh connection: that is the reconnection.
    const onError = (err: Error) => opts.onConnectionError?.(err);
    pool.on('connect', (client) => {
      client.on('error', onError);
    });
    pool.on('error', onError);
    const db = drizzle(pool, { schema }) as unknown as Database;
    if (opts.migrate) await migratePostgres(pool, migrationsFolder);
    return {
      db,
      kind: 'postgres',
      query: async <T,>(text: string, params: unknown[], name?: string) =>
        (await (name === undefined ? pool.query(text, params) : pool.query({ name, text, values: params }))).rows as T[],
      ping: async () => {
        await pool.query('select 1');
      },
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dir = join(opts.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const unlock = lockDataDir(dir);
  const client = new PGlite(dir);
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Database;
  if (opts.migrate !== false) {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(db as never, { migrationsFolder });
  }
  return {
    db,
    kind: 'pglite',
    query: async <T,>(text: string, params: unknown[]) => (await client.query<T>(text, params)).rows,
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      await client.close();
      unlock();
    },
  };
}

/** Rows of a raw SQL query (node-postgres and PGlite both answer `{ rows }`). */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/**
 * Reads that do not depend on each other: side by side on the pool (each on a connection of its
 * own), one after another in a transaction. A transaction is ONE connection: reads started together
 * there are queued by pg anyway, and pg deprecates sending a query while another runs (pg 9 will
 * refuse it). Each read is a function, so that in a transaction the next starts once the last ended.
 */
export async function readTogether<R extends readonly (() => unknown)[]>(
  db: Executor,
  ...reads: R
): Promise<{ -readonly [K in keyof R]: Awaited<ReturnType<R[K]>> }> {
  type Out = { -readonly [K in keyof R]: Awaited<ReturnType<R[K]>> };
  if (db instanceof PgTransaction) {
    const out: unknown[] = [];
    for (const read of reads) out.push(await read());
    return out as Out;
  }
  return (await Promise.all(reads.map((read) => read()))) as Out;
}
