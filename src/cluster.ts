/**
 * The `api` role on every core: a node:cluster primary that serves nothing itself and keeps
 * API_PROCESSES children running, each an ordinary API process (src/main.ts) listening on the same
 * PORT (the primary holds the socket and hands connections out in turn).
 *
 * - Migrations run once, here, before any child starts (children open the database without
 *   migrating); secrets generated on a first start are written here too, so children read one copy.
 * - A child that dies is replaced after a backoff that doubles with each death in the last minute;
 *   children that keep dying (CRASH_LOOP_DEATHS in a minute) end the primary with status 1, so the
 *   orchestrator sees a failing service instead of a primary forking forever. A child that fails
 *   before any child has served (a taken PORT) ends the primary with that child's status.
 * - SIGTERM/SIGINT are passed to every child, which stops accepting, drains and closes as a single
 *   process does; the primary exits once they all have (0 when every child drained cleanly).
 * - GET /metrics, answered by whichever child takes the request, sums every child's counters: the
 *   child asks the primary, the primary asks all children (prom-client's AggregatorRegistry).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config/env.js';
import { loadSecrets } from './config/secrets.js';
import { describeError, StartupError } from './config/startup.js';
import { openDatabase } from './db/client.js';
import type { Logger } from './lib/logger.js';
import { metrics, useAggregatedMetrics } from './lib/metrics.js';

/** Deaths within this window count towards the backoff and the crash loop. */
const DEATH_WINDOW_MS = 60_000;
/** This many deaths within the window: the children cannot stay up, stop trying. */
const CRASH_LOOP_DEATHS = 5;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** How long a child waits for the primary's aggregated metrics (prom-client's own limit is 5 s). */
const METRICS_TIMEOUT_MS = 6_000;

const METRICS_REQUEST = 'callroi:cluster-metrics-request';
const METRICS_RESPONSE = 'callroi:cluster-metrics-response';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

const isMessage = <T extends { type: string }>(m: unknown, type: T['type']): m is T =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

/** The delay before replacing a child, given how many died in the last minute (this one included). */
export function restartDelayMs(recentDeaths: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, recentDeaths - 1));
}

/** Runs the primary until its children are gone; resolves with the status the process exits with. */
export async function runApiPrimary(config: Config, processes: number, logger: Logger): Promise<number> {
  loadSecrets({ dataDir: config.DATA_DIR, adminToken: config.ADMIN_TOKEN, encryptionKey: config.ENCRYPTION_KEY }, logger);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, migrate: true }).catch((err: unknown) => {
    throw new StartupError('DATABASE_URL', describeError(err));
  });
  await database.close();

  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, METRICS_REQUEST)) return;
    const reply = (r: Omit<MetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: METRICS_RESPONSE, id: message.id, ...r } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (err: Error) => reply({ error: err.message }),
    );
  });

  let stopping = false;
  let served = false;
  const deaths: number[] = [];
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let exitCode = 0;

  /** Children that have served: one stopped before it listened had nothing to drain. */
  const listened = new WeakSet<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => {
      served = true;
      listened.add(worker);
    });
  };
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());

  const stopAll = (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ signal, processes: live().length }, 'API cluster: stopping every API process (each drains)');
    for (const w of live()) w.process.kill('SIGTERM');
    // The children bound their own drain by SHUTDOWN_TIMEOUT_SECONDS; this only catches one stuck
    // before its own timer could run.
    setTimeout(() => {
      for (const w of live()) w.process.kill('SIGKILL');
      resolveDone(1);
    }, (config.SHUTDOWN_TIMEOUT_SECONDS + 5) * 1000).unref();
    if (live().length === 0) resolveDone(exitCode);
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      // A child still starting when the signal came ends by it (its handler is not installed
      // yet): it held no request, so that is a clean stop too.
      if (code !== 0 && listened.has(worker)) exitCode = 1;
      if (live().length === 0) resolveDone(exitCode);
      return;
    }
    if (!served) {
      // Nothing has served yet: the child's own one-line reason is already on stderr.
      logger.error({ child: worker.process.pid, code, signal }, 'API cluster: an API process failed to start');
      stopAll('startup-failure', code || 1);
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - DEATH_WINDOW_MS) deaths.shift();
    if (deaths.length >= CRASH_LOOP_DEATHS) {
      logger.error({ deaths: deaths.length, seconds: DEATH_WINDOW_MS / 1000 }, 'API cluster: API processes keep dying; giving up');
      stopAll('crash-loop', 1);
      return;
    }
    const delay = restartDelayMs(deaths.length);
    logger.warn({ child: worker.process.pid, code, signal, restartInMs: delay }, 'API cluster: an API process died; replacing it');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  process.on('SIGTERM', () => stopAll('SIGTERM', 0));
  process.on('SIGINT', () => stopAll('SIGINT', 0));
  logger.info({ processes, port: config.PORT }, `callroi API cluster: ${processes} processes`);
  for (let i = 0; i < processes; i++) fork();
  return done;
}

/**
 * In a cluster child: answer the primary's requests for this process's metrics, and answer GET
 * /metrics with the sum over every child (asked of the primary).
 */
export function joinApiCluster(): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // Constructing one installs prom-client's listener that answers the primary's requests.
  new AggregatorRegistry();
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMessage<MetricsResponse>(message, METRICS_RESPONSE)) return;
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (message.text !== undefined) w.resolve(message.text);
    else w.reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
  });
  useAggregatedMetrics(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('cluster metrics: the primary did not answer'));
        }, METRICS_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
      }),
  );
}
