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
