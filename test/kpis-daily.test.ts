/**
 * The coarse rollups (kpi_daily: hour, day and month rows per dimension value) answer exactly what the fine
 * hourly rollups answer: for every query shape GET /v1/kpis reads from kpi_daily (time or one
 * dimension grouping, at most one filter, ranges with partial days, months read as month rows minus
 * days), the sums equal one GROUP BY over kpi_hourly, which test/kpis-rollups.test.ts checks against
 * the calls table. Calls are inserted with SQL, then changed (moved across days and months, status
 * flipped) with their dirty marks written by the real invalidation code, so that the incremental
 * refresh of days and months is what is compared.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { markAllDirty, markCallsDirty } from '../src/modules/kpis/invalidate.js';
import { dailyPlan, daySpans, hourlyRollupSums, rollupSums, type RollupFilters, type RollupQuery } from '../src/modules/kpis/kpis.repo.js';
import type { KpiGroupBy } from '../src/modules/kpis/kpis.schemas.js';
import { kpiRange } from '../src/modules/kpis/kpis.service.js';
import { refreshTenant } from '../src/modules/kpis/refresh.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ workers: false });
});
afterAll(async () => hub?.close());

const TZ = 'Europe/Paris';

async function seed(tenantId: string): Promise<void> {
  const db = hub.deps.database.db;
  await db.execute(sql`
    insert into campaigns (id, tenant_id, name, channel)
    select gen_random_uuid(), ${tenantId}::uuid, 'Campaign ' || g, 'google' from generate_series(0, 2) g`);
  // 3 000 calls over ~100 days (Europe/Paris spring-forward included), several per hour.
  await db.execute(sql`
    with cp as (select array_agg(id order by name) as ids from campaigns where tenant_id = ${tenantId})
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds,
      agent_id, agent_name, queue_name, campaign_id)
    select gen_random_uuid(), ${tenantId}::uuid, gen_random_uuid(), (array['twilio', 'aircall', 'vonage'])[1 + i % 3],
      'k' || i, 'p' || i, case when i % 5 = 0 then 'outbound' else 'inbound' end,
      (array['answered', 'answered', 'abandoned', 'missed', 'voicemail', 'busy', 'answered'])[1 + (i * 7919) % 7],
      '+3310' || lpad(((i * 104729) % 300)::text, 7, '0'),
      timestamptz '2025-01-10T00:00:00Z' + ((i * 104723) % 8640000) * interval '1 second',
      (i * 31) % 40, (i * 17) % 600, 0, (i * 17) % 600,
      case when i % 7 = 0 then null else 'agent-' || ((i * 13) % 6) end, 'Agent',
      case when i % 4 = 0 then null else (array['Sales', 'Support'])[1 + i % 2] end,
      case when i % 3 = 0 then null else cp.ids[1 + (i * 7) % 3] end
    from generate_series(0, 2999) as i, cp`);
  // Survey responses on a quarter of the calls, inbound and outbound (CSAT/NPS count by direction).
  await db.execute(sql`
    insert into survey_responses (id, tenant_id, call_id, csat, nps, responded_at)
    select gen_random_uuid(), ${tenantId}::uuid, c.id, 1 + (length(c.call_key) * 7) % 5, (length(c.call_key) * 3) % 11, c.started_at
    from calls c where c.tenant_id = ${tenantId} and c.call_key like '%3'`);
  await db.transaction((tx) => markAllDirty(tx, tenantId));
  await refreshTenant(db, tenantId, hub.deps.listeners);
  // Incremental changes: calls moved by up to ± 40 days (across months) and statuses flipped; the
  // days and months before and after are dirty, as the call listener marks them.
  await db.transaction(async (tx) => {
    const before = await queryRows<{ started_at: string }>(
      tx,
      sql`select started_at::text from calls where tenant_id = ${tenantId} and call_key like '%7' order by call_key`,
    );
    const after = await queryRows<{ started_at: string }>(
      tx,
      sql`update calls set started_at = started_at + ((length(call_key) % 3 - 1) * 17 + 3) * interval '1 day' + interval '37 minutes',
            status = case when status = 'answered' then 'abandoned' else 'answered' end
          where tenant_id = ${tenantId} and call_key like '%7' returning started_at::text`,
    );
    await markCallsDirty(tx, tenantId, [...before, ...after].map((r) => ({ startedAt: new Date(r.started_at) })));
  });
  await refreshTenant(db, tenantId, hub.deps.listeners);
}

const groupBys: KpiGroupBy[] = ['hour', 'day', 'week', 'month', 'quarter', 'agent', 'queue', 'campaign', 'provider', 'direction'];
const ranges: { from: string; to: string }[] = [
  { from: '2025-01-01', to: '2025-04-01' }, // whole months
  { from: '2025-03-01', to: '2025-05-01' }, // across a quarter boundary
  { from: '2025-02-02', to: '2025-03-31' }, // months minus days at both ends
  { from: '2025-01-20', to: '2025-03-10' }, // days + a month + days
  { from: '2025-03-27', to: '2025-04-03' }, // days only, across the DST change
  { from: '2025-01-15T10:30:00+01:00', to: '2025-03-30T17:00:00+02:00' }, // partial days at both ends
  { from: '2025-03-30T05:00:00Z', to: '2025-03-30T21:00:00Z' }, // less than one day: kpi_hourly only
];

describe('kpi_daily equals kpi_hourly', () => {
  it('for every query shape read from the day and month rows', async () => {
    const t = await hub.tenant({ timezone: TZ });
    await seed(t.id);
    const db = hub.deps.database.db;
    const [agent] = await queryRows<{ agent_id: string }>(db, sql`select agent_id from calls where tenant_id = ${t.id} and agent_id is not null limit 1`);
    const [campaign] = await queryRows<{ id: string }>(db, sql`select id::text from campaigns where tenant_id = ${t.id} limit 1`);
    const filterSets: RollupFilters[] = [
      {},
      { agentId: agent!.agent_id },
      { provider: 'aircall' },
      { queue: 'Sales' },
      { direction: 'inbound' },
      { campaignId: campaign!.id },
    ];
    let dailyQueries = 0;
    let withMonthRows = 0;
    for (const range of ranges) {
      const r = kpiRange(range, TZ);
      for (const groupBy of groupBys) {
        for (const filters of filterSets) {
          const q: RollupQuery = { tenantId: t.id, fromKey: r.fromKey, toKey: r.toKey, groupBy, filters, businessHours: null };
          const fast = await rollupSums(db, q);
          const fine = await hourlyRollupSums(db, q);
          expect({ range, groupBy, filters, ...fast }).toEqual({ range, groupBy, filters, ...fine });
          if (dailyPlan(q)) {
            dailyQueries += 1;
            if (!['hour', 'day', 'week'].includes(groupBy) && daySpans(r.fromKey.slice(0, 10), r.toKey.slice(0, 10)).months.length > 0) withMonthRows += 1;
          }
        }
      }
    }
    // The comparison covered the coarse paths, not only the fallback.
    expect(dailyQueries).toBeGreaterThan(100);
    expect(withMonthRows).toBeGreaterThan(30);
    const [total] = await queryRows<{ n: string }>(db, sql`select count(*) as n from calls where tenant_id = ${t.id}`);
    const whole = await rollupSums(db, { tenantId: t.id, fromKey: '2024-12-01T00', toKey: '2025-06-01T00', groupBy: 'agent', filters: {}, businessHours: null });
    expect(whole.total.calls).toBe(Number(total!.n));
  });
});

/**
 * What one GET /v1/kpis sends, counted at the driver (node-postgres, under the app in this process):
 * its cost is statements and rows, not calls (bench/kpis.ts times it).
 */
async function statementsOf<T>(fn: () => Promise<T>): Promise<{ result: T; statements: { text: string; rows: number }[] }> {
  const statements: { text: string; rows: number }[] = [];
  const query = pg.Client.prototype.query;
  const record = (text: string) => (r: { rowCount?: number | null; rows?: unknown[] } | undefined) => {
    statements.push({ text, rows: r?.rows?.length ?? 0 });
  };
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, r: Parameters<ReturnType<typeof record>>[0]) => {
        if (!err) record(text)(r);
        return (last as (...a: unknown[]) => unknown)(err, r);
      };
      return (query as unknown as (...a: unknown[]) => unknown).apply(this, args);
    }
    const out = (query as unknown as (...a: unknown[]) => unknown).apply(this, args);
    if (out instanceof Promise) out.then(record(text), () => undefined);
    return out;
  };
  try {
    return { result: await fn(), statements };
  } finally {
    pg.Client.prototype.query = query;
  }
}

describe('GET /v1/kpis reads', () => {
  it('groupBy=day over whole days: the day rows once (the total is their sum), and its small facts in one statement', async () => {
    const t = await hub.tenant({ timezone: TZ });
    await seed(t.id);
    const get = () => hub.api.get('/v1/kpis').query({ groupBy: 'day', from: '2025-02-01', to: '2025-03-01' }).set(t.auth).expect(200);
    await get(); // the API key lookup is cached after the first request
    const { result: res, statements } = await statementsOf(get);
    const days = res.body.rows as { key: string; offered: number; answered: number; leads: number }[];
    expect(days).toHaveLength(28);
    // One statement reads the rollups, one row per day: no second read of the same rows for the total.
    const rollupReads = statements.filter((s) => /kpi_daily|kpi_hourly/.test(s.text));
    expect(rollupReads.map((s) => s.rows)).toEqual([28]);
    for (const f of ['offered', 'answered', 'leads'] as const) expect(res.body.total[f]).toBe(days.reduce((sum, d) => sum + d[f], 0));
    // Whether there is staffed time is asked with the fingerprint and the costs, not on its own.
    const staffedChecks = statements.filter((s) => /agent_schedules/.test(s.text));
    expect(staffedChecks).toHaveLength(1);
    expect(staffedChecks[0]!.text).toMatch(/kpi_state/);
    // The rollups, those facts, the targets, and the lead conversions' two reads; nothing else.
    expect(statements).toHaveLength(5);
  });
});
