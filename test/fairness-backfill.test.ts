/**
 * Backfills are scheduled per tenant: a tenant's n-th unfinished backfill waits behind every other
 * tenant's first, so one tenant's pile of backfills does not hold up another's.
 */
import nock from 'nock';
import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { backfills } from '../src/db/schema/index.js';
import { hubWithMockedProviders } from './helpers/provider-mocks.js';

const ctx = hubWithMockedProviders();

describe('backfills across tenants', () => {
  it("runs a second tenant's backfill before the first tenant's later ones", async () => {
    nock('https://api.aircall.io').persist().get('/v1/calls').query(true).delay(200).reply(200, { calls: [], meta: { total: 0, next_page_link: null } });
    const other = await ctx.hub.tenant();
    const connect = async (auth: Record<string, string>) => {
      const res = await ctx.hub.api
        .post('/v1/connections')
        .set(auth)
        .send({ provider: 'aircall', credentials: { apiId: 'a', apiToken: 'b', webhookToken: 'c' } });
      return res.body.id as string;
    };
    const busy = await connect(ctx.tenant.auth);
    const quiet = await connect(other.auth);
    const start = async (auth: Record<string, string>, connectionId: string) => {
      const res = await ctx.hub.api.post(`/v1/connections/${connectionId}/backfill`).set(auth).send({ from: '2025-03-10', to: '2025-03-11' });
      expect(res.status).toBe(202);
      return res.body.jobId as string;
    };
    const busyJobs = [];
    for (let i = 0; i < 4; i++) busyJobs.push(await start(ctx.tenant.auth, busy));
    const quietJob = await start(other.auth, quiet);
    await ctx.hub.settle(ctx.tenant.apiKey);
    await ctx.hub.settle(other.apiKey);
    const rows = await ctx.hub.deps.database.db.select().from(backfills).where(inArray(backfills.id, [...busyJobs, quietJob]));
    const doneAt = new Map(rows.map((r) => [r.id, r.updatedAt.getTime()]));
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
    // In one FIFO the quiet tenant's job would finish last; per tenant, it runs second.
    expect(doneAt.get(quietJob)!).toBeLessThan(doneAt.get(busyJobs[2]!)!);
    expect(doneAt.get(quietJob)!).toBeLessThan(doneAt.get(busyJobs[3]!)!);
  });
});
