/**
 * Starting the hub as an operator does: processes started together on a fresh database all come
 * up (migrations run once, under a lock), and every start that cannot succeed exits non-zero with
 * one line naming the variable to fix and the cause.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { adminUrl, databaseUrl, redisUrl, runTag } from './helpers/env.js';
import { dropDatabase } from './helpers/hub.js';
import { deleteRedisPrefix } from './helpers/redis.js';
import { closedPort, runHub, startHub, stopHub, waitForOutput } from './helpers/spawn.js';
import { DataDirLockedError, lockDataDir } from '../src/db/data-dir-lock.js';

const dirs: string[] = [];
const databases: string[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const db of databases) await dropDatabase(db);
  for (const p of prefixes) await deleteRedisPrefix(p);
});

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'callroi-startup-'));
  dirs.push(dir);
  const prefix = `callroi-startup-${runTag()}-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return {
    DATA_DIR: dir,
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    QUEUE_PREFIX: prefix,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

async function emptyDatabase(): Promise<string> {
  const name = `callroi_fresh_${runTag()}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  databases.push(name);
  return name;
}

function expectOneLine(stderr: string, ...parts: string[]) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^callroi cannot start: /);
  for (const p of parts) expect(lines[0]).toContain(p);
}

describe('processes started together on a fresh database', () => {
  it('all come up: one migrates under the lock, the others wait and find nothing to do', async () => {
    const name = await emptyDatabase();
    const env = baseEnv({ DATABASE_URL: databaseUrl(name), REDIS_URL: redisUrl() });
    const hubs = [startHub('api', env), startHub('worker', env), startHub('worker', env), startHub('api', env)];
    try {
      await Promise.all(
        hubs.map((h, i) => waitForOutput(h, i === 0 || i === 3 ? 'callroi listening' : 'callroi worker started')),
      );
      const journal = JSON.parse(readFileSync(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] };
      const client = new pg.Client({ connectionString: databaseUrl(name) });
      await client.connect();
      const { rows } = await client.query<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations');
      await client.end();
      expect(Number(rows[0]!.n)).toBe(journal.entries.length);
    } finally {
      const codes = await Promise.all(hubs.map((h) => stopHub(h)));
      for (const h of hubs) expect(h.stderr()).not.toContain('cannot start');
      expect(codes).toEqual([0, 0, 0, 0]);
    }
  });
});

describe('a start that cannot succeed exits at once, naming the variable and the cause', () => {
  it('DATABASE_URL: nothing listens there', async () => {
    const port = await closedPort();
    const r = await runHub('all', baseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` }));
    expect(r.code).not.toBe(0);
    expectOneLine(r.stderr, 'DATABASE_URL', 'ECONNREFUSED');
  });

  it('DATABASE_URL: the database does not exist', async () => {
    const r = await runHub('all', baseEnv({ DATABASE_URL: databaseUrl(`callroi_missing_${randomBytes(4).toString('hex')}`) }));
    expect(r.code).not.toBe(0);
    expectOneLine(r.stderr, 'DATABASE_URL', 'does not exist');
  });

  it('DATABASE_URL: not a PostgreSQL URL', async () => {
    const r = await runHub('all', baseEnv({ DATABASE_URL: 'mysql://localhost/callroi' }));
    expect(r.code).not.toBe(0);
    expectOneLine(r.stderr, 'DATABASE_URL', 'postgres://');
  });

  for (const role of ['all', 'api', 'worker'] as const) {
    it(`REDIS_URL unreachable (${role})`, async () => {
      const name = await emptyDatabase();
      const port = await closedPort();
      const r = await runHub(role, baseEnv({ DATABASE_URL: databaseUrl(name), REDIS_URL: `redis://127.0.0.1:${port}` }));
      expect(r.code).not.toBe(0);
      expectOneLine(r.stderr, 'REDIS_URL', 'ECONNREFUSED');
    });
  }

  it('PORT already taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await runHub('all', baseEnv({ PORT: String(port) }));
      expect(r.code).not.toBe(0);
      expectOneLine(r.stderr, 'PORT', 'EADDRINUSE');
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('DATA_DIR already used by a running hub (embedded database)', async () => {
    const env = baseEnv();
    const first = startHub('all', env);
    try {
      await waitForOutput(first, 'callroi listening');
      const second = await runHub('all', env);
      expect(second.code).not.toBe(0);
      expectOneLine(second.stderr, 'DATA_DIR', 'in use by another callroi process', `pid ${first.child.pid}`);
    } finally {
      expect(await stopHub(first)).toBe(0);
    }
    // The lock goes with the process: the folder can be used again.
    const again = startHub('all', env);
    try {
      await waitForOutput(again, 'callroi listening');
    } finally {
      expect(await stopHub(again)).toBe(0);
    }
  });
});

describe('the data folder lock', () => {
  it('is taken over from a process that died without releasing it, and refused while its owner lives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callroi-lock-'));
    dirs.push(dir);
    // A pid that existed and is gone: a process that ran and ended.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'callroi.lock'), `${dead.stdout}\n`);
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, 'callroi.lock'), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'callroi.lock'))).toBe(false);
    // A live owner (the parent of this test process, as far as the lock can tell) keeps it.
    writeFileSync(join(dir, 'callroi.lock'), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
  });
});
