/**
 * A real hub for integration tests: its own PostgreSQL database cloned from the migrated template,
 * its own BullMQ key prefix on the real Redis (or PGlite + in-process jobs for the embedded path),
 * the real createApp() and real workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createApp } from '../../src/app.js';
import { createDeps, startWorkers, type Deps, type DepsOptions } from '../../src/deps.js';
import { createLogger } from '../../src/lib/logger.js';
import { adminUrl, databaseUrl, redisUrl, runTag, templateDb } from './env.js';
import { deleteRedisPrefix } from './redis.js';

export interface TestHub {
  deps: Deps;
  config: Config;
  api: supertest.Agent;
  adminToken: string;
  databaseName: string | null;
  /** Create a tenant and return its API key and id. */
  tenant(body?: Record<string, unknown>): Promise<{ id: string; apiKey: string; auth: { Authorization: string } }>;
  /** Wait until the tenant has no pending events or jobs. */
  settle(apiKey: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createDatabase(): Promise<string> {
  const name = `callroi_t_${runTag()}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name} template ${templateDb()}`);
  await admin.end();
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

export async function createTestHub(
  opts: { embedded?: boolean; workers?: boolean; env?: Record<string, string>; deps?: DepsOptions } = {},
): Promise<TestHub> {
  // A data folder of its own unless the test gives one (and then the test removes it).
  const ownDataDir = opts.env?.DATA_DIR ? null : mkdtempSync(join(tmpdir(), 'callroi-test-'));
  const dataDir = opts.env?.DATA_DIR ?? ownDataDir!;
  const queuePrefix = opts.deps?.queuePrefix ?? `callroi-test-${runTag()}-${randomBytes(4).toString('hex')}`;
  const databaseName = opts.embedded ? null : await createDatabase();
  const config = loadConfig({
    PORT: '0',
    PUBLIC_BASE_URL: 'https://hub.test.example',
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWEEP_AFTER_SECONDS: '1',
    // The ROI days of a test's few calls rebuild in milliseconds: every second, as before the
    // production default became 5 s, so that settle() does not wait for the slot.
    ROI_REFRESH_EVERY_MS: '1000',
    RECONCILE_EVERY_MINUTES: '0',
    ...(databaseName ? { DATABASE_URL: databaseUrl(databaseName), REDIS_URL: redisUrl() } : {}),
    ...opts.env,
  });
  const deps = await createDeps(config, {
    logger: createLogger(config.LOG_LEVEL),
    workerOptions: { lockDurationMs: 2000, stalledIntervalMs: 1000 },
    contextOverrides: { sleep: async () => undefined },
    ...opts.deps,
    queuePrefix,
  });
  // Ready means the queue answers: a hub closed while its Redis connections are still connecting
  // leaves their ready checks failing after the test (unhandled rejections).
  for (let i = 0; ; i++) {
    try {
      await deps.queue.ping();
      break;
    } catch (err) {
      if (i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const stopWorkers = opts.workers === false ? () => undefined : await startWorkers(deps);
  const app = createApp(deps);
  const api = supertest.agent(app);
  const hub: TestHub = {
    deps,
    config,
    api,
    adminToken: deps.adminToken,
    databaseName,
    async tenant(body = {}) {
      const res = await api
        .post('/v1/tenants')
        .set('Authorization', `Bearer ${deps.adminToken}`)
        .send({ name: 'Acme', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US', ...body });
      if (res.status !== 201) throw new Error(`tenant creation failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, apiKey: res.body.apiKey as string, auth: { Authorization: `Bearer ${res.body.apiKey as string}` } };
    },
    async settle(apiKey, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await api.get('/v1/status').set('Authorization', `Bearer ${apiKey}`);
        if (res.status === 200 && res.body.pending.events === 0 && res.body.pending.jobs === 0) return;
        if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      stopWorkers();
      await deps.close();
      if (databaseName) await dropDatabase(databaseName);
      // BullMQ keys under this hub's prefix, on the real Redis (the hub may have reached it through a proxy).
      if (deps.queue.kind === 'bullmq') await deleteRedisPrefix(queuePrefix);
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
  return hub;
}
