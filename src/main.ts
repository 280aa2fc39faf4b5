/**
 * Entry point: `all` (API + workers in one process, the embedded default), `api`, or `worker`.
 * With REDIS_URL, `api` and `worker` run as separate processes and scale horizontally.
 */
import 'dotenv/config';
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config/env.js';
import { createApp } from './app.js';
import { createDeps, startWorkers } from './deps.js';
import { createHttpServer, serverLimits } from './http/server.js';

const role = (process.argv[2] ?? 'all') as 'all' | 'api' | 'worker';

async function main(): Promise<void> {
  if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError(`unknown role "${role}": use all, api or worker`);
  const config = loadConfig(process.env);
  if (role !== 'all' && !config.REDIS_URL) {
    throw new ConfigError(`"${role}" alone needs REDIS_URL (jobs must reach the other processes); use "npm start" for one process`);
  }
  const deps = await createDeps(config);
  const { logger } = deps;
  let server: Server | null = null;
  let stopMaintenance: (() => void) | null = null;

  if (role !== 'api') stopMaintenance = await startWorkers(deps);
  if (role !== 'worker') {
    const app = createApp(deps);
    server = createHttpServer(app, serverLimits(config)).listen(config.PORT, config.HOST, () => {
      logger.info(
        { port: config.PORT, publicBaseUrl: config.PUBLIC_BASE_URL, database: deps.database.kind, jobs: deps.queue.kind, role },
        `callroi listening on ${config.PUBLIC_BASE_URL}`,
      );
    });
  } else logger.info({ jobs: deps.queue.kind }, 'callroi worker started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: stop accepting, drain, close');
    // Bounded: with PostgreSQL or Redis gone, draining can wait forever on them.
    setTimeout(() => {
      logger.warn({ seconds: config.SHUTDOWN_TIMEOUT_SECONDS }, 'shutdown timed out; exiting without a full drain (the sweeper recovers unfinished work)');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref();
    try {
      stopMaintenance?.();
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
      }
      await deps.close();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'shutdown step failed');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`callroi failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
