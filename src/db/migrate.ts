/**
 * Schema migrations at start-up. Any number of processes may start at once on one database (compose
 * starts the API and every worker together): each takes a PostgreSQL advisory lock on a dedicated
 * connection before migrating, so one migrates and the others wait, then find nothing left to do.
 * Without the lock two processes both run `CREATE TABLE` and one of them crashes.
 */
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';

/** Any constant shared by every callroi process; "callroi" in ASCII, to be recognisable in pg_locks. */
export const MIGRATION_LOCK_KEY = 0x63616c6c726f69n;

/** Run the pending migrations of `migrationsFolder` on the pool's database, one process at a time. */
export async function migratePostgres(pool: pg.Pool, migrationsFolder: string): Promise<void> {
  const client = await pool.connect();
  try {
    // Session-level lock: held across drizzle's own transaction, released below or when the
    // connection ends (a process killed mid-migration never blocks the others for good).
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await migrate(drizzle(client), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
    client.release();
  } catch (err) {
    // A connection whose state is unknown is not given back to the pool.
    client.release(err as Error);
    throw err;
  }
}
