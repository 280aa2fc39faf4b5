/**
 * Once per test run: a PostgreSQL template database with every migration applied. Each test file
 * clones it (CREATE DATABASE … TEMPLATE), which takes milliseconds, so files never share state.
 */
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { adminUrl, databaseUrl, TEMPLATE_DB } from './helpers/env.js';

export default async function setup(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: databaseUrl(TEMPLATE_DB), max: 1 });
  await migrate(drizzle(pool), { migrationsFolder: new URL('../migrations', import.meta.url).pathname });
  await pool.end();
}
