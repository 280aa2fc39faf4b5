/**
 * Entry point: `all` (API + workers in one process, the embedded default), `api`, or `worker`.
 * With REDIS_URL, `api` and `worker` run as separate processes and scale horizontally; on
 * PostgreSQL `api` runs API_PROCESSES of them as a node:cluster on one port (src/cluster.ts).
 *
 * A start that cannot succeed exits non-zero within seconds with one line on stderr naming the
 * variable to fix and the cause (src/config/startup.ts): the database and Redis are probed first,
 * migrations run under a lock (src/db/migrate.ts), the embedded database folder is locked
 * (src/db/data-dir-lock.ts), and a `listen` error ends the process instead of being ignored.
 * A stop is bounded: with PostgreSQL or Redis gone, draining could wait forever on them.
 */
import 'dotenv/config';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { apiProcesses, ConfigError, loadConfig } from './config/env.js';
import { describeError, listenError, probePostgres, probeRedis, StartupError } from './config/startup.js';

const role = (process.argv[2] ?? 'all') as 'all' | 'api' | 'worker';

async function main(): Promise<void> {
  if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError(`unknown role "${role}": use all, api or worker`);
  const config = loadConfig(process.env);
  if (role !== 'all' && !config.REDIS_URL) {
    throw new ConfigError(`REDIS_URL: "${role}" alone needs REDIS_URL (jobs must reach the other processes); use "npm start" for one process`);
  }
  // A cluster child's primary has probed both and migrated before forking it.
  const clusterChild = cluster.isWorker;
  if (!clusterChild) {
    if (config.DATABASE_URL) await probePostgres(config.DATABASE_URL);
    if (config.REDIS_URL) await probeRedis(config.REDIS_URL);
  }
  const processes = apiProcesses(config, role);
  if (processes > 1 && !clusterChild) {
    // Loaded only here and below: the primary stays small (it never loads the app).
    const [{ runApiPrimary }, { createLogger }] = await Promise.all([import('./cluster.js'), import('./lib/logger.js')]);
    process.exit(await runApiPrimary(config, processes, createLogger(config.LOG_LEVEL)));
  }
  if (clusterChild) (await import('./cluster.js')).joinApiCluster();
  const [{ createApp }, { createDeps, startWorkers }, { createHttpServer, serverLimits }, { serveMetrics }] = await Promise.all([
    import('./app.js'),
    import('./deps.js'),
    import('./http/server.js'),
    import('./lib/metrics-server.js'),
  ]);
  const deps = await createDeps(config, { migrate: !clusterChild });
  const { logger } = deps;
  let server: Server | null = null;
  let stopMaintenance: (() => void) | null = null;

  if (role !== 'api') stopMaintenance = await startWorkers(deps);
  if (role !== 'worker') {
    const app = createApp(deps);
    server = await new Promise<Server>((resolve, reject) => {
      const s = createHttpServer(app, serverLimits(config)).listen(config.PORT, config.HOST);
      s.once('listening', () => resolve(s));
      s.once('error', (err) => reject(listenError(err, config.PORT, config.HOST)));
    });
    logger.info(
      { port: config.PORT, publicBaseUrl: config.PUBLIC_BASE_URL, database: deps.database.kind, jobs: deps.queue.kind, role },
      `callroi listening on ${config.PUBLIC_BASE_URL}`,
    );
  } else {
    if (config.METRICS_PORT !== undefined) {
      const port = config.METRICS_PORT;
      await serveMetrics(port, config.HOST).catch((err: unknown) => {
        throw new StartupError('METRICS_PORT', listenError(err, port, config.HOST).reason);
      });
    }
    logger.info({ jobs: deps.queue.kind, metricsPort: config.METRICS_PORT ?? null }, 'callroi worker started');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: stop accepting, drain, close');
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
  // One line: what to fix, and why. The stack only helps a developer (LOG_LEVEL=debug).
  const line =
    err instanceof ConfigError || err instanceof StartupError ? err.message : `unexpected error: ${describeError(err)}`;
  process.stderr.write(`callroi cannot start: ${line}\n`);
  if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
