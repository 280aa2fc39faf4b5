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

export default async function setup(): Promise<() => Promise<void>> {
  const template = `callroi_tpl_${process.pid}_${randomBytes(4).toString('hex')}`;
  // Inherited by the test workers, which are forked after the global setup.
  process.env.CALLROI_TEST_TEMPLATE = template;
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
    await client.query(`drop database if exists ${template} with (force)`);
    await client.end();
  };
}
