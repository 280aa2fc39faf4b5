/**
 * Once per test run: a PostgreSQL template database with every migration applied. Each test file
 * clones it (CREATE DATABASE … TEMPLATE), which takes milliseconds, so files never share state.
 * The template's name is unique to the run and it is dropped at the end, so two runs can share a
 * server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { adminUrl, databaseUrl } from './helpers/env.js';
import { deleteRedisPrefix } from './helpers/redis.js';

export default async function setup(): Promise<() => Promise<void>> {
  const run = randomBytes(4).toString('hex');
  const template = `callroi_tpl_${process.pid}_${run}`;
  // Inherited by the test workers, which are forked after the global setup.
  process.env.CALLROI_TEST_TEMPLATE = template;
  process.env.CALLROI_TEST_RUN = run;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: databaseUrl(template), max: 1 });
  await migrate(drizzle(pool), { migrationsFolder: new URL('../migrations', import.meta.url).pathname });
  await pool.end();
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    // This run's databases that a failed test left behind, then the template.
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where datname like 'callroi%' and position($1 in datname) > 0 and datname <> $2`,
      [`_${run}_`, template],
    );
    for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`);
    await client.query(`drop database if exists ${template} with (force)`);
    await client.end();
    // Queue keys of this run: every test prefix is callroi-<kind>-<run>-….
    for (const kind of ['test', 'startup', 'metrics', 'kill', 'stop']) await deleteRedisPrefix(`callroi-${kind}-${run}-*`);
  };
}
