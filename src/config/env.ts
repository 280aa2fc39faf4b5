/**
 * The only reader of process.env. One zod schema over the environment, read once at start-up; a bad
 * value stops the process with a message naming the variable.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const urlString = z.url({ message: 'must be a URL' });

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().max(255).default('0.0.0.0'),
  PUBLIC_BASE_URL: urlString.optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  DATA_DIR: z.string().max(4096).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/=_-]{43,88}$/, 'must be 32 bytes, base64 or hex encoded')
    .optional(),
  /** BullMQ key prefix: several hubs (or test runs) can share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('callroi'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest webhook or API body accepted. */
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i).default('1mb'),
  /** Alerts within the hour: how often the current hour and day so far are judged (0 = off). */
  ALERT_CHECK_MINUTES: z.coerce.number().int().min(0).max(60).default(5),
  /** Webhook events a worker takes at once; those that arrive together share one transaction. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  /** Seconds a running job holds its lock: a worker that dies loses its jobs to others after this. */
  JOB_LOCK_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /**
   * How often, at most, a tenant's ROI days are rebuilt while calls keep changing them (ms). A day's
   * rebuild reads all its calls, so under a steady flow it runs once per period, not once per
   * second; readers compute the days still marked on the fly, so figures never wait for it.
   */
  ROI_REFRESH_EVERY_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Seconds a pending event may wait before the sweeper re-enqueues it. */
  SWEEP_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /** How often the worker re-reads the last hours of calls from each provider (0 = off). */
  RECONCILE_EVERY_MINUTES: z.coerce.number().int().min(0).max(1440).default(60),
  /** How often the worker asks providers about each connection's webhooks (renewals, disabled hooks). */
  CONNECTION_CHECK_MINUTES: z.coerce.number().int().min(0).max(1440).default(60),
  RECONCILE_LOOKBACK_HOURS: z.coerce.number().int().min(1).max(168).default(6),
  /** Outbound requests (subscriptions, provider APIs) may use plain http: local development only. */
  ALLOW_HTTP_TARGETS: z.enum(['true', 'false']).default('false'),
  /** host[:port] list the outbound guard lets through whatever they resolve to (loopback included):
   *  a self-hosted CRM, a provider proxy, a local receiver. */
  OUTBOUND_ALLOWED_HOSTS: z
    .string()
    .max(4000)
    .regex(/^\s*[A-Za-z0-9.\-_:[\]]+\s*(,\s*[A-Za-z0-9.\-_:[\]]+\s*)*$/, 'a comma-separated host[:port] list')
    .optional(),
  /** A client must send its request headers within this, and its whole request within the next. */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Open client sockets at most, per API process; more are closed on accept. */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  /** A stopping process that has not finished closing after this exits anyway (PostgreSQL or Redis
   *  gone must not hold it past the orchestrator's grace period). */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
  /** Seconds any single provider API request may take before it is abandoned (and retried later). */
  PROVIDER_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /** Processed raw webhook deliveries are deleted after this many days (0 = keep them forever). */
  INBOX_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** `api` role on PostgreSQL: HTTP processes (node:cluster children sharing PORT); unset = one per
   *  core. Always 1 for `all` and on PGlite (one process may open its folder). See apiProcesses(). */
  API_PROCESSES: z.coerce.number().int().min(1).max(256).optional(),
  /** A worker process serves GET /metrics on this port (the API serves it on PORT). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Omit<Env, 'PUBLIC_BASE_URL'> {
  PUBLIC_BASE_URL: string;
  BODY_LIMIT_BYTES: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function bytes(limit: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!m) return 1024 * 1024;
  const unit = m[2]!.toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  // Empty strings in a .env file mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    // One line, each issue naming its variable: start-up errors are read in container logs.
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${issues.join('; ')}`);
  }
  const e = parsed.data;
  return {
    ...e,
    PUBLIC_BASE_URL: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    BODY_LIMIT_BYTES: bytes(e.BODY_LIMIT),
  };
}

/**
 * How many HTTP processes the role runs. `all` runs its workers in the same process and PGlite is
 * one process's folder, so both stay at one; the `api` role on PostgreSQL uses every core unless
 * told otherwise (one process accepts webhooks at about one core's worth).
 */
export function apiProcesses(config: Pick<Config, 'API_PROCESSES' | 'DATABASE_URL'>, role: 'all' | 'api' | 'worker'): number {
  if (role !== 'api' || !config.DATABASE_URL) return 1;
  return config.API_PROCESSES ?? availableParallelism();
}
