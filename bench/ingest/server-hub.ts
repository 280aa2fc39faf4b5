/**
 * The real hub as `npm start` builds it (createDeps + createApp), on the benchmark's own PostgreSQL
 * database and its own BullMQ prefix on the local Redis, listening on 127.0.0.1:0. Workers run only
 * when BENCH_WORKERS=1 (the acceptance-only variant leaves the jobs queued in Redis).
 * It creates one tenant and one connection per provider through its own HTTP API.
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/env.js';
import { createApp } from '../../src/app.js';
import { createDeps, startWorkers } from '../../src/deps.js';
import { BENCH_PUBLIC_BASE_URL } from './deliveries.js';
import { benchConnections, listenLoopback, required, serveUntilStopped } from './server-child.js';

const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-bench-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: BENCH_PUBLIC_BASE_URL,
    ADMIN_TOKEN,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    DATABASE_URL: required('BENCH_DATABASE_URL'),
    REDIS_URL: required('BENCH_REDIS_URL'),
    // No periodic REST reconciliation against providers during a benchmark (and no network).
    RECONCILE_EVERY_MINUTES: '0',
  });
  const deps = await createDeps(config, { queuePrefix: required('BENCH_QUEUE_PREFIX') });
  const stopWorkers = process.env.BENCH_WORKERS === '1' ? await startWorkers(deps) : () => undefined;
  const server = createServer(createApp(deps));
  const port = await listenLoopback(server);

  const connections = await benchConnections(port, ADMIN_TOKEN);

  serveUntilStopped({ type: 'ready', port, connections }, async () => {
    stopWorkers();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await deps.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
