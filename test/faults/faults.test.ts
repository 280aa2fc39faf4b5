/**
 * Faults under load, through per-test proxies in front of the shared PostgreSQL and Redis (never
 * stopping them): a PostgreSQL restart, a Redis loss, a killed worker, a killed API. Each run
 * asserts that no acknowledged delivery is lost or duplicated, that both processes are alive
 * afterwards, and that everything was processed with no manual step. The wait for it is generous
 * and how long it took is not asserted.
 */
import { describe, expect, it } from 'vitest';
import { runFault } from './scenarios.js';

const CALLS = 30;
const SETTLE_MS = 120_000;

describe.each(['postgres-restart', 'redis-loss', 'worker-killed', 'api-killed'])('%s', (fault) => {
  it('loses nothing, duplicates nothing, and both processes live on', async () => {
    const run = await runFault(fault, CALLS, SETTLE_MS);
    expect(run).toMatchObject({ lost: 0, duplicated: 0, outboundLost: 0, alive: { api: true, worker: true } });
  }, 300_000);
});

describe('one process (`all`)', () => {
  it.each(['postgres-restart', 'redis-loss'])('survives %s and processes everything', async (fault) => {
    const run = await runFault(fault, 15, SETTLE_MS, { single: true });
    expect(run).toMatchObject({ lost: 0, duplicated: 0, outboundLost: 0, alive: { api: true, worker: true } });
  }, 300_000);
});
