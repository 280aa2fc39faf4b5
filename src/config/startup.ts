/**
 * Start-up failures an operator can act on: each names the variable to fix and what went wrong,
 * on one line, within seconds. The database and Redis are probed before anything else starts, so a
 * wrong URL is reported as such instead of hanging in a retry loop or surfacing as a query stack.
 */
import pg from 'pg';
import { Redis } from 'ioredis';

/** How long a probe waits for a server before calling it unreachable. */
const PROBE_TIMEOUT_MS = 4000;

export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable}: ${reason}`);
  }
}

type ErrorLike = Error & { code?: string; errors?: unknown[]; cause?: unknown };

/** The innermost useful cause of an error, in words, with its code: drivers and drizzle wrap the
 *  socket or server error (`cause`, `AggregateError.errors`) that tells the operator what to fix. */
export function describeError(err: unknown): string {
  const chain: ErrorLike[] = [];
  let e: unknown = err;
  while (e instanceof Error && chain.length < 10) {
    chain.push(e as ErrorLike);
    const next: unknown = (e as ErrorLike).cause ?? (e as ErrorLike).errors?.[0];
    e = next;
  }
  if (chain.length === 0) return String(err).split('\n')[0]!;
  // Deepest first: the socket error under the driver error under the query error.
  const inner = [...chain].reverse().find((c) => c.message) ?? chain[0]!;
  const code = chain.map((c) => c.code).find((c): c is string => typeof c === 'string' && c.length > 0);
  const message = inner.message.split('\n')[0]!.trim() || inner.name;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

export async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new StartupError('DATABASE_URL', `cannot use the database: ${describeError(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeRedis(url: string): Promise<void> {
  // One attempt, no reconnection: the queue's own connections retry forever, which is right once
  // running and wrong at start-up, where it hangs without a word.
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown = null;
  redis.on('error', (err) => {
    lastError = err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new StartupError('REDIS_URL', `cannot reach Redis: ${describeError(lastError ?? err)}`);
  } finally {
    redis.disconnect();
  }
}

/** A `listen` failure in words (the port is what the operator changes). */
export function listenError(err: unknown, port: number, host: string): StartupError {
  const code = (err as ErrorLike).code;
  const reason =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (EADDRINUSE)`
      : code === 'EACCES'
        ? `no permission to listen on port ${port} (EACCES)`
        : code === 'EADDRNOTAVAIL'
          ? `address ${host} is not available on this machine (EADDRNOTAVAIL; see HOST)`
          : `cannot listen on ${host}:${port}: ${describeError(err)}`;
  return new StartupError('PORT', reason);
}
