#!/usr/bin/env node
/**
 * What `docker compose up` does, without a Docker engine: the compiled image's commands
 * (`node dist/src/main.js api` and `… worker`), started together, with the compose file's
 * environment, on a fresh database; then the happy path: a tenant, an Aircall connection, the
 * fixture call's webhooks, the unified call. Needs `npm run build` first, and the PostgreSQL and
 * Redis of CHECK_DATABASE_URL (an admin URL) and CHECK_REDIS_URL.
 *
 *   npm run build && node scripts/compose-check.mjs
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

const adminUrl = process.env.CHECK_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.CHECK_REDIS_URL ?? 'redis://127.0.0.1:6379';
const port = Number(process.env.CHECK_PORT ?? 3111);
const database = `callroi_compose_${randomBytes(4).toString('hex')}`;
const prefix = `callroi-compose-${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'callroi-compose-'));
const base = `http://127.0.0.1:${port}`;

async function admin(sql) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(sql);
  await c.end();
}

const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${database}`;
// The compose file's environment (docker-compose.yml, `x-env`), pointed at this machine's servers.
const env = {
  PATH: process.env.PATH,
  DATABASE_URL: dbUrl.toString(),
  REDIS_URL: redisUrl,
  PUBLIC_BASE_URL: `http://localhost:${port}`,
  ADMIN_TOKEN: `adm_${randomBytes(18).toString('base64url')}`,
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  PORT: String(port),
  DATA_DIR: dataDir,
  QUEUE_PREFIX: prefix,
  NODE_ENV: 'production',
};

const children = [];
function start(role) {
  const child = spawn(process.execPath, ['dist/src/main.js', role], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`compose-check: ${role} exited with ${code}`);
      process.exitCode = 1;
    }
  });
  children.push(child);
}
let stopping = false;

async function api(method, path, body, token = env.ADMIN_TOKEN) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function until(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`compose-check: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

try {
  await admin(`create database ${database}`);
  // compose: `api` and `worker` start together once postgres and redis are healthy.
  start('api');
  start('worker');
  await until('GET /readyz', async () => (await fetch(`${base}/readyz`)).status === 200);
  const tenant = await api('POST', '/v1/tenants', { name: 'Compose check', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
  if (tenant.status !== 201) throw new Error(`tenant: ${JSON.stringify(tenant)}`);
  const key = tenant.body.apiKey;
  const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/aircall/inbound_answered.json', import.meta.url), 'utf8'));
  const connection = await api('POST', '/v1/connections', { provider: 'aircall', credentials: { apiId: 'compose-check', apiToken: 'compose-check', webhookToken: fixture.signing.token } }, key);
  if (connection.status !== 201) throw new Error(`connection: ${JSON.stringify(connection)}`);
  const path = new URL(connection.body.webhookUrl).pathname;
  for (const d of fixture.deliveries) {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d.body) });
    if (res.status !== 200) throw new Error(`webhook: ${res.status} ${await res.text()}`);
  }
  const call = await until('the unified call', async () => {
    const res = await api('GET', '/v1/calls', undefined, key);
    return res.body.data.length === 1 && res.body.data[0].endedAt ? res.body.data[0] : null;
  });
  console.log(`compose-check: ok — ${call.direction} ${call.status} call, talk ${call.talkSeconds} s, agent ${call.agent?.name ?? 'none'}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  stopping = true;
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : (c.once('exit', r), c.kill('SIGTERM'))))));
  await admin(`drop database if exists ${database} with (force)`).catch(() => undefined);
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}
