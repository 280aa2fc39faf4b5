/**
 * The worker loses PostgreSQL for longer than its retry budget while acknowledged events wait in the
 * queue: every attempt fails. Once PostgreSQL is back, the sweeper must bring every one of them back
 * without a manual reprocess. (Its own file: it waits out the retry budget, ~75 s, and runs beside
 * the other fault runs.)
 */
import { describe, expect, it } from 'vitest';
import { runFault } from './scenarios.js';

describe('postgres-outage-beyond-retries', () => {
  it('loses nothing, duplicates nothing, and both processes live on', async () => {
    const run = await runFault('postgres-outage-beyond-retries', 20, 120_000);
    expect(run).toMatchObject({ lost: 0, duplicated: 0, outboundLost: 0, alive: { api: true, worker: true } });
  }, 400_000);
});
