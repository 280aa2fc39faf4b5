/**
 * A worker asked to stop (SIGTERM) while PostgreSQL and Redis are both gone still ends: draining
 * waits on them, so the shutdown is bounded (SHUTDOWN_TIMEOUT_SECONDS). Waited for with a generous
 * timeout; how long it takes is not asserted.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl, runTag } from '../helpers/env.js';
import { createDatabase, dropDatabase } from '../helpers/hub.js';
import { startHubProcess, type HubProcess } from '../helpers/process.js';
import { TcpProxy } from '../helpers/proxy.js';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('stopping a worker with its dependencies gone', () => {
  it('ends the process', async () => {
    const name = await createDatabase();
    cleanup.push(() => dropDatabase(name));
    const pgProxy = new TcpProxy('127.0.0.1', 5432);
    const redisProxy = new TcpProxy('127.0.0.1', 6379);
    cleanup.push(() => pgProxy.stop(), () => redisProxy.stop());
    const db = new URL(databaseUrl(name));
    db.port = String(await pgProxy.start());
    const worker: HubProcess = startHubProcess('worker', {
      DATABASE_URL: db.toString(),
      REDIS_URL: `redis://127.0.0.1:${await redisProxy.start()}`,
      // The run's tag in it: the global teardown deletes the run's queue keys (test/global-setup.ts).
      QUEUE_PREFIX: `callroi-stop-${runTag()}-${randomBytes(4).toString('hex')}`,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      DATA_DIR: `/tmp/callroi-stop-${randomBytes(4).toString('hex')}`,
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    });
    cleanup.push(() => worker.kill());
    await worker.waitForLog(/callroi worker started/);
    await pgProxy.stop();
    await redisProxy.stop();
    // Let it notice: its connections are cut and reconnections refused.
    await new Promise((r) => setTimeout(r, 1000));
    expect(worker.alive()).toBe(true);
    worker.child.kill('SIGTERM');
    const ended = await Promise.race([worker.exited, new Promise<null>((r) => setTimeout(() => r(null), 90_000))]);
    expect(ended, 'the worker did not end after SIGTERM').not.toBeNull();
  }, 150_000);
});
