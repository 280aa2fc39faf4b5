/** Where the test suite finds PostgreSQL and Redis (the machine's defaults unless told otherwise). */

/**
 * The migrated template this run clones its databases from. Named per run (the global setup sets it
 * before any test file starts), so two runs on one server never drop each other's template.
 */
export function templateDb(): string {
  const name = process.env.CALLROI_TEST_TEMPLATE;
  if (!name) throw new Error('CALLROI_TEST_TEMPLATE is unset: run the tests through vitest (test/global-setup.ts sets it)');
  return name;
}

/**
 * This run's tag (set by the global setup): every database and Redis prefix a test creates carries
 * it, so that the end of the run removes whatever a failed test left behind, and only that.
 */
export function runTag(): string {
  return process.env.CALLROI_TEST_RUN ?? 'solo';
}

export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export function databaseUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Host and port of a postgres:// or redis:// URL (for a proxy in front of it). */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)) };
}

/** The same URL (credentials, database) reached through a local proxy on `port`. */
export function viaLocalPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
