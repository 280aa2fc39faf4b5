/**
 * ROI benchmark. A fresh PostgreSQL database (migrated by the real createDeps, in-process queue,
 * no workers: the bench drives the roi-refresh job itself and times it), the real express app on
 * loopback, synthetic data inserted with generate_series:
 *
 * - the issue's scale is 5M calls / 200k deals / 500k contacts; this machine (2 cores, shared with
 *   PostgreSQL) runs BENCH_ROI_SCALE of it, 0.04 by default: 200k calls, 8k deals, 20k contacts,
 *   over 90 days, 20 campaigns, 200 agents, one contact phone per customer number. A scale above
 *   0.1 (BENCH_ROI_SCALE=1 is the issue's) is first calibrated: the whole run at 0.01 and at 0.03,
 *   timed phase by phase, the database measured, then each phase extrapolated as a + b·scale through
 *   the two runs (the data work is linear in calls and deals at a fixed 90 days: touches per deal
 *   stay the same; a phase's own overhead is not), the phases that do not depend on the scale
 *   (creating and migrating the database) taken as measured; the run goes on at the requested scale when the
 *   extrapolation fits BENCH_ROI_BUDGET_SECONDS (900 by default), the free disk of PostgreSQL's
 *   data directory and the free memory, else at the largest scale that fits, and says why;
 * - full rebuild of what the roi-refresh job materialises: per-day cost shares and call counts
 *   (src/modules/roi/days.store.ts), stored credits (last_touch, 30 days) of every deal and their
 *   per-close-day sums;
 * - per model, GET /v1/roi's computation over the 90 days (the served path: stored credits for
 *   the default model, SQL attribution for the others; the SQL attribution of last_touch too; and
 *   the TypeScript reference, with equality checks), against a plain SQL last-touch over the same
 *   90 days, each timed as the median of 3 runs;
 * - incremental: one new won deal (bulk upsert, then GET /v1/roi until it shows: it is attributed
 *   at read time until its job has run; then the job), one new call that touches a deal (the
 *   listeners inside the call's transaction, then the job rebuilding its day);
 * - p50/p95 of GET /v1/roi?groupBy=campaign over 30 days, over HTTP;
 * - a plain SQL last-touch-by-campaign (DISTINCT ON per deal) as the baseline, with equality checks
 *   of revenue, cost and calls per campaign against the API's.
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import { queryRows, type Database } from '../src/db/client.js';
import { calls, tenants, type CallRow } from '../src/db/schema/index.js';
import { createDeps, type Deps } from '../src/deps.js';
import { attributionModels } from '../src/domain/attribution/models.js';
import { formatCents, parseAmount } from '../src/domain/money.js';
import * as roiRefresh from '../src/jobs/roi-refresh.js';
import { markDealsDirty } from '../src/modules/roi/changes.js';
import { allocateCostsLive } from '../src/modules/roi/allocation.js';
import { roiCallListener } from '../src/modules/roi/calls.listener.js';
import { refreshDirtyDays } from '../src/modules/roi/days.store.js';
import { CrmService } from '../src/modules/crm/crm.service.js';
import { computeRoi, liveRevenue } from '../src/modules/roi/roi.service.js';
import { sqlRevenue } from '../src/modules/roi/attribution.sql.js';
import { ADMIN_DATABASE_URL, benchConfig } from './machine.js';
import { eq } from 'drizzle-orm';

const TZ = 'Europe/Paris';
const REQUESTED_SCALE = Number(process.env.BENCH_ROI_SCALE ?? '0.04');
const RUNS = Number(process.env.BENCH_ROI_RUNS ?? '10');
const BUDGET_SECONDS = Number(process.env.BENCH_ROI_BUDGET_SECONDS ?? '900');
/** Above this scale the run is calibrated first (at CALIBRATION_SCALES) and may be cut down. */
const CALIBRATE_ABOVE = 0.1;
const CALIBRATION_SCALES = [0.01, 0.03] as const;

interface Size {
  scale: number;
  calls: number;
  deals: number;
  contacts: number;
}
const sizeAt = (scale: number): Size => ({
  scale,
  calls: Math.round(5_000_000 * scale),
  deals: Math.round(200_000 * scale),
  contacts: Math.round(500_000 * scale),
});

/**
 * Statements sent and PostgreSQL connections opened by this process (the API runs in it) while
 * `fn` runs: every pg client's query and connect, counted at the driver (the pool's own per-connection
 * `set jit = off` counted with the connection, not as a statement).
 */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number; connections: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown; connect: (...args: unknown[]) => unknown };
  const { query, connect } = proto;
  let statements = 0;
  let connections = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text !== 'set jit = off') statements++;
    return query.apply(this, args);
  };
  proto.connect = function (this: unknown, ...args: unknown[]) {
    connections++;
    return connect.apply(this, args);
  };
  try {
    return { value: await fn(), statements, connections };
  } finally {
    proto.query = query;
    proto.connect = connect;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/** The bulk-loaded tables whose indexes (other than their primary keys) are built after the load. */
const BULK_TABLES = ['calls', 'crm_contacts', 'crm_deals'];

export async function seed(db: Database, tenantId: string, size: Size = sizeAt(REQUESTED_SCALE)): Promise<void> {
  const { calls: CALLS, deals: DEALS, contacts: CONTACTS } = size;
  // As a bulk load would: the secondary indexes of the big tables dropped, then built once from
  // sorted input, instead of millions of random inserts into each (about half the seed at 0.04).
  // The primary keys stay (foreign keys need them). The bench's database is its own.
  const indexes = await queryRows<{ name: string; def: string }>(
    db,
    sql`select i.indexname as name, i.indexdef as def from pg_indexes i
        where i.schemaname = current_schema() and i.tablename = any(${`{${BULK_TABLES.join(',')}}`}::text[])
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
  );
  for (const i of indexes) await db.execute(sql.raw(`drop index "${i.name}"`));
  await db.execute(sql`
    insert into campaigns (id, tenant_id, name, channel)
    select gen_random_uuid(), ${tenantId}::uuid, 'Campaign ' || lpad(g::text, 2, '0'), (array['google_ads', 'facebook', 'radio', 'print'])[1 + g % 4]
    from generate_series(0, 19) g`);
  await db.execute(sql`
    insert into campaign_numbers (id, tenant_id, campaign_id, number)
    select gen_random_uuid(), ${tenantId}::uuid, id, '+3319' || lpad(row_number() over (order by name)::text, 7, '0')
    from campaigns where tenant_id = ${tenantId}`);
  await db.execute(sql`
    insert into crm_contacts (id, tenant_id, external_id, phones)
    select gen_random_uuid(), ${tenantId}::uuid, 'c' || j, jsonb_build_array('+3361' || lpad(j::text, 7, '0'))
    from generate_series(0::bigint, ${CONTACTS - 1}::bigint) j`);
  // Calls: customer numbers cycle over the contacts; one in ten has no campaign.
  await db.execute(sql`
    with cp as (select array_agg(id order by name) as ids from campaigns where tenant_id = ${tenantId})
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, tracking_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds,
      agent_id, agent_name, campaign_id)
    select gen_random_uuid(), ${tenantId}::uuid, '00000000-0000-4000-8000-000000000001'::uuid,
      (array['twilio', 'ringcentral', 'vonage', 'aircall'])[1 + i % 4], 'k' || i, 'p' || i,
      case when i % 4 = 3 then 'outbound' else 'inbound' end,
      (array['answered', 'answered', 'answered', 'abandoned', 'missed', 'answered'])[1 + (i * 7919) % 6],
      '+3361' || lpad(((i * 104729) % ${CONTACTS})::text, 7, '0'), null,
      timestamptz '2025-01-01T00:00:00Z' + ((i * 7776000) / ${CALLS}) * interval '1 second',
      (i * 31) % 90, (i * 17) % 600, 0, (i * 17) % 600,
      'agent-' || ((i * 13) % 200), 'Agent ' || ((i * 13) % 200),
      case when i % 10 = 0 then null else cp.ids[1 + (i * 7) % 20] end
    from generate_series(0::bigint, ${CALLS - 1}::bigint) as i, cp`);
  // Deals: 70 % won, closed over the 90 days, amounts with cents, types cycling.
  await db.execute(sql`
    insert into crm_deals (id, tenant_id, external_id, contact_external_id, amount, currency, stage, type, closed_at)
    select gen_random_uuid(), ${tenantId}::uuid, 'd' || k, 'c' || ((k * 7) % ${CONTACTS}),
      ((k * 7919) % 500000) / 100.0 + 10, 'EUR',
      case when k % 10 < 7 then 'won' when k % 10 < 9 then 'open' else 'lost' end,
      (array['new', 'upsell', 'cross_sell', 'renewal'])[1 + k % 4],
      timestamptz '2025-01-01T00:00:00Z' + ((k * 7776000) / ${DEALS}) * interval '1 second'
    from generate_series(0::bigint, ${DEALS - 1}::bigint) k`);
  await db.execute(sql`
    insert into costs (id, tenant_id, category, kind, amount, currency, period_start, period_end, campaign_id, agent_id)
    select gen_random_uuid(), ${tenantId}::uuid, 'salaries', 'indirect', 90000.00, 'EUR', date '2025-01-01', date '2025-03-31', null::uuid, null::text
    union all
    select gen_random_uuid(), ${tenantId}::uuid, 'other', 'direct', 3000.00 + row_number() over (order by id), 'EUR', date '2025-01-01', date '2025-03-31', id, null::text
    from campaigns where tenant_id = ${tenantId}`);
  for (const i of indexes) await db.execute(sql.raw(i.def));
  for (const t of ['calls', 'campaigns', 'campaign_numbers', 'crm_contacts', 'crm_deals', 'costs']) await db.execute(sql.raw(`analyze ${t}`));
}

/** Last touch by campaign in plain SQL: the latest (startedAt, id) touch of each won deal gets its amount. */
/** The row key of the plain baseline: the last touch's campaign, or the period of the deal's close. */
const plainKey = {
  campaign: sql`campaign_id::text`,
  month: sql`to_char(closed_at at time zone ${TZ}, 'YYYY-MM')`,
  quarter: sql`to_char(closed_at at time zone ${TZ}, 'YYYY-"Q"Q')`,
};

async function plainLastTouch(db: Database, tenantId: string, from: string, to: string, by: keyof typeof plainKey = 'campaign'): Promise<Map<string | null, string>> {
  const rows = await queryRows<{ key: string | null; revenue: string }>(
    db,
    sql`with d as (
          select id, amount, closed_at, contact_external_id from crm_deals
          where tenant_id = ${tenantId} and stage = 'won' and closed_at >= ${from}::timestamptz and closed_at < ${to}::timestamptz
        ), last as (
          select distinct on (d.id) d.id, d.amount, d.closed_at, c.campaign_id
          from d join crm_contacts ct on ct.tenant_id = ${tenantId} and ct.external_id = d.contact_external_id
          cross join lateral jsonb_array_elements_text(ct.phones) p(phone)
          join calls c on c.tenant_id = ${tenantId} and c.external_number = p.phone
            and c.started_at between d.closed_at - make_interval(secs => 2592000) and d.closed_at
            and (c.direction = 'inbound' or c.status = 'answered')
          order by d.id, c.started_at desc, c.id desc
        )
        select ${plainKey[by]} as key, (sum(amount) * 100)::bigint::text as revenue from last group by 1`,
  );
  return new Map(rows.map((r) => [r.key, formatCents(BigInt(r.revenue))]));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? [...v.entries()].sort() : v)) ===
    JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? [...v.entries()].sort() : v));
}

interface Measured {
  markdown: string;
  /** Wall time of the whole measurement (database creation to its last figure). */
  seconds: number;
  /** That time by phase, in order; `fixed`: the same at any scale (the database created and migrated, the tenant). */
  phases: { name: string; seconds: number; fixed: boolean }[];
  /** The benchmark database's size at the end (tables, indexes, materialised days and credits). */
  bytes: number;
  /** Touch rows (deal × call) of the 90 days under the 30-day window. */
  touches: number;
}

async function measure(size: Size): Promise<Measured> {
  const { scale: SCALE, calls: CALLS, deals: DEALS, contacts: CONTACTS } = size;
  const started = performance.now();
  const phases: Measured['phases'] = [];
  let phaseStart = started;
  const phase = (name: string, fixed = false) => {
    const now = performance.now();
    phases.push({ name, seconds: (now - phaseStart) / 1000, fixed });
    phaseStart = now;
  };
  const name = `callroi_bench_roi_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-bench-roi-'));
  let deps: Deps | null = null;
  let http: import('node:http').Server | null = null;
  try {
    deps = await createDeps(
      benchConfig(dataDir, url.toString()),
    );
    const db = deps.database.db;
    const app = createApp(deps);
    http = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const baseUrl = `http://127.0.0.1:${(http!.address() as AddressInfo).port}`;
    const created = await fetch(`${baseUrl}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench', currency: 'EUR', timezone: TZ, country: 'FR' }),
    });
    const tenantBody = (await created.json()) as { id: string; apiKey: string };
    phase('setup (database created and migrated, tenant)', true);
    const seeded = await timed(() => seed(db, tenantBody.id, size));
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, tenantBody.id));
    phase('seed');
    const processor = roiRefresh.processor({ db });
    const job = { id: 'bench', attempt: 1, updateProgress: async () => undefined };

    // Full recompute of what is stored. Days: the tenant has no basis yet, so the first run
    // marks every day with calls or costs and materialises them (cost shares, call counts).
    const days = await timed(() => refreshDirtyDays(db, tenant!.id));
    const [dayRows] = await queryRows<{ shares: string; counts: string }>(
      db,
      sql`select (select count(*) from cost_day_shares where tenant_id = ${tenant!.id})::text as shares,
                 (select count(*) from roi_day_calls where tenant_id = ${tenant!.id})::text as counts`,
    );
    phase('rebuild of the materialised days');
    // Credits (last_touch, 30 days) of every deal through the roi-refresh job.
    const allDeals = (await queryRows<{ id: string }>(db, sql`select id from crm_deals where tenant_id = ${tenant!.id}`)).map((r) => r.id);
    const full = await timed(async () => {
      await markDealsDirty(db, tenant!.id, allDeals);
      await processor({ tenantId: tenant!.id }, job);
    });
    const [credited] = await queryRows<{ n: string; calls: string }>(
      db,
      sql`select count(*)::text as n, count(distinct call_id)::text as calls from attribution_credits where tenant_id = ${tenant!.id}`,
    );
    // As autovacuum would after such a load.
    for (const t of ['attribution_credits', 'deal_first_touches', 'attribution_dirty_deals', 'cost_day_shares', 'roi_day_calls', 'roi_dirty_days']) await db.execute(sql.raw(`analyze ${t}`));

    phase('full recompute of stored credits');
    // Per model, the whole 90 days by campaign: the served path (stored credits for last_touch,
    // SQL attribution for the others), the SQL attribution of last_touch, and the TypeScript
    // reference; medians of 3 against the plain SQL baseline's median of 3, in the same run.
    const range = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') };
    const median3 = async <T,>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
      const runs = [await timed(fn), await timed(fn), await timed(fn)].sort((a, b) => a.ms - b.ms);
      return runs[1]!;
    };
    const baseline90 = await median3(() => plainLastTouch(db, tenant!.id, range.from.toISOString(), range.to.toISOString()));
    const perModel: string[] = [];
    const ratios: number[] = [];
    for (const model of attributionModels) {
      const req = { ...range, groupBy: 'campaign' as const, model, windowDays: 30 };
      const served = await median3(() => computeRoi(db, tenant!, req));
      const inSql = model === 'last_touch' ? await median3(() => computeRoi(db, tenant!, req, sqlRevenue)) : served;
      const reference = await timed(() => computeRoi(db, tenant!, req, liveRevenue));
      const same = sameJson(served.value, reference.value) && sameJson(inSql.value, reference.value);
      ratios.push(inSql.ms / baseline90.ms);
      perModel.push(
        `| ${model} | ${model === 'last_touch' ? 'stored credits' : 'SQL'} | ${fmt(served.ms)} (${(served.ms / baseline90.ms).toFixed(1)}×) | ${fmt(inSql.ms)} (${(inSql.ms / baseline90.ms).toFixed(1)}×) | ${fmt(reference.ms)} (${(reference.ms / baseline90.ms).toFixed(1)}×) | ${served.value.total.deals} | ${served.value.total.revenue} | ${same ? 'equal' : '**DIFFERENT**'} |`,
      );
    }
    const [touchCount] = await queryRows<{ n: string }>(
      db,
      sql`select count(*)::text as n from crm_deals d
          join crm_contacts ct on ct.tenant_id = d.tenant_id and ct.external_id = d.contact_external_id
          cross join lateral jsonb_array_elements_text(ct.phones) p(phone)
          join calls c on c.tenant_id = d.tenant_id and c.external_number = p.phone
            and c.started_at between d.closed_at - interval '30 days' and d.closed_at and (c.direction = 'inbound' or c.status = 'answered')
          where d.tenant_id = ${tenant!.id} and d.stage = 'won'`,
    );

    phase('models: baseline, served, SQL and reference, 3 runs each');
    // Time groupings over the 90 days, over HTTP: each period holds its own costs and the revenue of
    // the deals closed in it (stored days only), checked against plain SQL (revenue by close
    // period) and the allocation computed from costs and calls.
    const periodRows: string[] = [];
    for (const groupBy of ['month', 'quarter'] as const) {
      const getPeriods = async () => {
        const res = await fetch(`${baseUrl}/v1/roi?from=2025-01-01&to=2025-04-01&groupBy=${groupBy}`, { headers: { authorization: `Bearer ${tenantBody.apiKey}` } });
        return (await res.json()) as { rows: { key: string | null; revenue: string; cost: string }[] };
      };
      for (let i = 0; i < 2; i++) await getPeriods();
      const periodTimes: number[] = [];
      let body: Awaited<ReturnType<typeof getPeriods>> | null = null;
      for (let i = 0; i < RUNS; i++) {
        const t = await timed(getPeriods);
        periodTimes.push(t.ms);
        body = t.value;
      }
      periodTimes.sort((a, b) => a - b);
      const periodFrom = new Date('2025-01-01T00:00:00+01:00');
      const periodTo = new Date('2025-04-01T00:00:00+02:00');
      const plainRevenue = await plainLastTouch(db, tenant!.id, periodFrom.toISOString(), periodTo.toISOString(), groupBy);
      const liveCosts = await allocateCostsLive(db, tenant!, { from: periodFrom, to: periodTo }, groupBy);
      const apiRevenue = new Map(body!.rows.filter((r) => r.revenue !== '0.00').map((r) => [r.key, r.revenue]));
      const revenueEqual = apiRevenue.size === plainRevenue.size && [...plainRevenue].every(([k, v]) => apiRevenue.get(k) === v);
      const costEqual = body!.rows.every((r) => r.cost === formatCents(liveCosts.byKey.get(r.key)?.total ?? 0n)) && !body!.rows.some((r) => r.key === null);
      periodRows.push(
        `| GET /v1/roi?groupBy=${groupBy}, 90 days, over HTTP (${RUNS} runs) | p50 ${fmt(percentile(periodTimes, 50))}, p95 ${fmt(percentile(periodTimes, 95))} | revenue vs plain SQL by close ${groupBy} **${revenueEqual ? 'equal' : 'DIFFERENT'}**; cost vs allocation from costs and calls **${costEqual ? 'equal' : 'DIFFERENT'}** |`,
      );
    }

    phase('time groupings over HTTP');
    // Incremental: one new won deal on an existing contact (upsert + its job).
    const crm = new CrmService(db, { enqueue: async () => undefined } as unknown as Deps['queue']);
    // Visible: from the upsert to a GET /v1/roi (by campaign, the default model) whose total holds
    // the deal; until its job runs, the read attributes it (attribution_dirty_deals).
    const totalOf = async () => {
      const res = await fetch(`${baseUrl}/v1/roi?from=2025-03-15&to=2025-03-16&groupBy=campaign`, { headers: { authorization: `Bearer ${tenantBody.apiKey}` } });
      return ((await res.json()) as { total: { revenue: string; unattributedRevenue: string; wonDeals: number } }).total;
    };
    await totalOf();
    const beforeCounted = await counted(() => timed(totalOf));
    const before = beforeCounted.value.value;
    const beforeMs = beforeCounted.value.ms;
    let upsertMs = 0;
    let visibleGet = { statements: 0, connections: 0 };
    const visible = await timed(async () => {
      const upsert = await timed(() =>
        crm.upsertDeals(tenant!, [{ externalId: 'bench-new', contactExternalId: 'c42', amount: '1234.56', currency: 'EUR', stage: 'won', closedAt: '2025-03-15T12:00:00Z' }]),
      );
      upsertMs = upsert.ms;
      const got = await counted(totalOf);
      visibleGet = got;
      return got.value;
    });
    const wonCents = (t: typeof before) => parseAmount(t.revenue) + parseAmount(t.unattributedRevenue);
    const newDealShows = visible.value.wonDeals === before.wonDeals + 1 && wonCents(visible.value) - wonCents(before) === parseAmount('1234.56');
    const oneDeal = await timed(() => processor({ tenantId: tenant!.id }, job));
    const afterJob = await totalOf();
    const sameAfterJob = sameJson(afterJob, visible.value);
    // Incremental: one new call of a customer with a won deal, through the listeners (credits
    // recomputed, its day marked), then the job rebuilding that day.
    const oneCall = await timed(() =>
      db.transaction(async (tx) => {
        const [after] = await tx
          .insert(calls)
          .values({
            id: randomUUID(), tenantId: tenant!.id, connectionId: '00000000-0000-4000-8000-000000000001', provider: 'twilio', callKey: 'bench-new',
            providerCallId: 'bench-new', direction: 'inbound', status: 'answered', externalNumber: '+33610000042',
            startedAt: new Date('2025-03-15T11:00:00Z'), waitSeconds: 5, talkSeconds: 60, afterCallWorkSeconds: 0, handleSeconds: 60,
          })
          .returning();
        const change = [{ tenantId: tenant!.id, before: null, after: after as CallRow }];
        await roiCallListener().onCallsChanged!(tx, change);
      }),
    );
    const oneDay = await timed(() => refreshDirtyDays(db, tenant!.id));

    // GET /v1/roi?groupBy=campaign over 30 days, over HTTP.
    const query = `from=2025-03-01&to=2025-03-31&groupBy=campaign`;
    const get = async () => {
      const res = await fetch(`${baseUrl}/v1/roi?${query}`, { headers: { authorization: `Bearer ${tenantBody.apiKey}` } });
      return (await res.json()) as { rows: { key: string | null; revenue: string; cost: string; calls: number }[] };
    };
    for (let i = 0; i < 2; i++) await get(); // warm-up (connections, JIT)
    const times: number[] = [];
    let api: Awaited<ReturnType<typeof get>> | null = null;
    for (let i = 0; i < RUNS; i++) {
      const t = await timed(get);
      times.push(t.ms);
      api = t.value;
    }
    times.sort((a, b) => a - b);
    const from = new Date('2025-03-01T00:00:00+01:00').toISOString();
    const to = new Date('2025-03-31T00:00:00+02:00').toISOString();
    const baseline = await timed(() => plainLastTouch(db, tenant!.id, from, to));
    const apiRevenue = new Map(api!.rows.filter((r) => r.revenue !== '0.00').map((r) => [r.key, r.revenue]));
    const equal = apiRevenue.size === baseline.value.size && [...baseline.value].every(([k, v]) => apiRevenue.get(k) === v);
    // The materialised costs and counts against the computation from costs and calls.
    const window30 = { from: new Date(from), to: new Date(to) };
    const liveCost = await timed(() => allocateCostsLive(db, tenant!, window30, 'campaign'));
    const costsEqual = api!.rows.every((r) => r.cost === formatCents(liveCost.value.byKey.get(r.key)?.total ?? 0n));
    const liveCalls = await queryRows<{ key: string | null; n: string }>(
      db,
      sql`select campaign_id::text as key, count(*)::text as n from calls where tenant_id = ${tenant!.id} and started_at >= ${from}::timestamptz and started_at < ${to}::timestamptz group by 1`,
    );
    const callsEqual = liveCalls.every((c) => api!.rows.find((r) => r.key === c.key)?.calls === Number(c.n));

    const markdown = [
      `Synthetic data at ${SCALE} of the issue's scale (5M calls / 200k deals / 500k contacts): ` +
        `${CALLS.toLocaleString('en')} calls over 90 days, ${DEALS.toLocaleString('en')} deals (70 % won), ${CONTACTS.toLocaleString('en')} contacts, 20 campaigns, 21 costs; ` +
        `seeded in ${fmt(seeded.ms)} (generate_series, ${Math.round((CALLS + DEALS + CONTACTS) / (seeded.ms / 1000)).toLocaleString('en')} rows/s). ` +
        'BENCH_ROI_SCALE, BENCH_ROI_RUNS and BENCH_ROI_BUDGET_SECONDS change the scale, the number of timed requests and the time a run may take.',
      '',
      '| measure | time |',
      '|---|---|',
      `| GET /v1/roi?groupBy=campaign, last_touch, 30 days, over HTTP (${RUNS} runs after 2 warm-ups) | p50 ${fmt(percentile(times, 50))}, p95 ${fmt(percentile(times, 95))} |`,
      `| plain SQL last-touch by campaign over the same 30 days (baseline, DISTINCT ON per deal) | ${fmt(baseline.ms)} |`,
      `| full rebuild of the materialised days (cost shares and call counts of 90 days → ${dayRows!.shares} + ${dayRows!.counts} rows) | ${fmt(days.ms)} |`,
      `| full recompute of stored credits (last_touch, 30 d) of ${allDeals.length.toLocaleString('en')} deals via the roi-refresh job → ${credited!.n} credits on ${credited!.calls} calls | ${fmt(full.ms)} |`,
      `| incremental: one new won deal visible in GET /v1/roi (bulk upsert, then the GET that shows it, before its job) | ${fmt(visible.ms)}: upsert ${fmt(upsertMs)}, GET ${fmt(visible.ms - upsertMs)}, ${visibleGet.statements} statements, ${visibleGet.connections} connections opened (GET before it ${fmt(beforeMs)}, ${beforeCounted.statements} statements, ${beforeCounted.connections} connections opened: the upsert marks the close day for its revenue only: the GET attributes the waiting deal and keeps the day's stored cost shares and counts) (shows it: **${newDealShows ? 'yes' : 'NO'}**) |`,
      `| incremental: that deal's roi-refresh job (its stored credits) | ${fmt(oneDeal.ms)} (same figures after it: **${sameAfterJob ? 'yes' : 'NO'}**) |`,
      `| incremental: one new call touching a deal (listeners in the call's transaction: credits, day mark) | ${fmt(oneCall.ms)} |`,
      `| incremental: the job rebuilding that call's day | ${fmt(oneDay.ms)} |`,
      `| for reference: cost allocation of the 30 days computed from costs and calls (no materialisation) | ${fmt(liveCost.ms)} |`,
      '',
      `Checks on the 30 days by campaign: revenue API vs plain SQL **${equal ? 'equal' : 'DIFFERENT'}** (${baseline.value.size} rows); ` +
        `cost API vs allocation from costs and calls **${costsEqual ? 'equal' : 'DIFFERENT'}**; calls API vs plain count **${callsEqual ? 'equal' : 'DIFFERENT'}**.`,
      '',
      'Time groupings (a period holds its own costs and the revenue of the deals closed in it):',
      '',
      '| request | time | checks |',
      '|---|---|---|',
      ...periodRows,
      '',
      `Whole 90 days by campaign, per model (cost and calls from the materialised days): medians of 3 against the plain SQL last-touch baseline over the 90 days, ${fmt(baseline90.ms)} (median of 3, same run); ` +
        `${Number(touchCount!.n).toLocaleString('en')} touches. Served: stored credits for last_touch (default window), SQL attribution (src/modules/roi/attribution.sql.ts) for the others; ` +
        'the TypeScript reference (src/domain/attribution/models.ts) reads deals × touches and attributes them in Node. ' +
        `Every model's SQL recompute within 3× of the baseline: **${ratios.every((r) => r <= 3) ? 'yes' : 'no'}** (worst ${Math.max(...ratios).toFixed(1)}×).`,
      '',
      '| model | served by | served | SQL attribution | TypeScript reference | deals credited | revenue | served and SQL vs reference |',
      '|---|---|---|---|---|---|---|---|',
      ...perModel,
    ].join('\n');
    phase('incremental, GET by campaign over HTTP, checks');
    const [dbSize] = await queryRows<{ bytes: string }>(db, sql`select pg_database_size(current_database())::text as bytes`);
    const phaseTable = ['', '| phase of this run | time |', '|---|---|', ...phases.map((p) => `| ${p.name} | ${fmt(p.seconds * 1000)} |`), `| whole run | ${fmt(performance.now() - started)} |`];
    return {
      markdown: [markdown, ...phaseTable].join('\n'),
      seconds: (performance.now() - started) / 1000,
      phases,
      bytes: Number(dbSize!.bytes),
      touches: Number(touchCount!.n),
    };
  } finally {
    if (http) await new Promise<void>((resolve) => http!.close(() => resolve()));
    await deps?.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Free bytes where PostgreSQL keeps its data (its data directory, when this process can see it). */
async function freeDiskBytes(): Promise<{ bytes: number; where: string }> {
  const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ data_directory: string }>('show data_directory');
    const where = rows[0]!.data_directory;
    const st = statfsSync(where);
    return { bytes: st.bavail * st.bsize, where };
  } catch {
    const st = statfsSync(tmpdir());
    return { bytes: st.bavail * st.bsize, where: `${tmpdir()} (PostgreSQL's data directory not readable from here)` };
  } finally {
    await c.end();
  }
}

/**
 * Bytes of Node memory per touch the TypeScript reference holds at once (rows read, then objects):
 * about 2 KB measured (heap growth at 0.2: 72k touches), doubled for safety.
 */
const NODE_BYTES_PER_TOUCH = 4_000;
const GiB = 1024 ** 3;

/**
 * The largest scale ≤ `requested` that two calibration runs say fit: wall time within the budget,
 * the database within 80 % of the free disk, the reference's touches within half the free memory.
 * Each phase's time is fitted as a + b·scale through the two runs (module doc): a phase's own
 * overhead (warm-up requests, statements planned once) does not grow with the data, and a single
 * small run multiplied up overstated a full run by half (924 s predicted at 1, 620 s measured at 0.97).
 * Disk and memory are linear from the larger run.
 */
async function chooseScale(requested: number): Promise<{ scale: number; note: string }> {
  const [a, b] = CALIBRATION_SCALES;
  const lo = await measure(sizeAt(a));
  const hi = await measure(sizeAt(b));
  const factor = requested / b;
  const disk = await freeDiskBytes();
  const memory = freemem();
  const fitted = hi.phases.map((q) => {
    const p = lo.phases.find((x) => x.name === q.name);
    // Fixed phases as measured; a phase whose second run was faster (noise) is taken as flat.
    const slope = q.fixed || !p ? 0 : Math.max(0, (q.seconds - p.seconds) / (b - a));
    return { name: q.name, intercept: Math.max(0, q.seconds - slope * b), slope };
  });
  const intercepts = fitted.reduce((sum, f) => sum + f.intercept, 0);
  const slopes = fitted.reduce((sum, f) => sum + f.slope, 0);
  const predicted = { seconds: intercepts + slopes * requested, bytes: hi.bytes * factor, nodeBytes: hi.touches * factor * NODE_BYTES_PER_TOUCH };
  const byPhase = fitted.map((f) => `${f.name} ${Math.round(f.intercept + f.slope * requested)} s`).join(', ');
  const limits = [
    {
      what: 'time',
      fits: slopes > 0 ? (BUDGET_SECONDS - intercepts) / slopes : Number.POSITIVE_INFINITY,
      says: `${Math.round(predicted.seconds)} s predicted (${byPhase}) against a budget of ${BUDGET_SECONDS} s (BENCH_ROI_BUDGET_SECONDS)`,
    },
    { what: 'disk', fits: ((0.8 * disk.bytes) / hi.bytes) * b, says: `${(predicted.bytes / GiB).toFixed(1)} GiB of database against ${(disk.bytes / GiB).toFixed(1)} GiB free in ${disk.where}` },
    { what: 'memory', fits: ((0.5 * memory) / (hi.touches * NODE_BYTES_PER_TOUCH)) * b, says: `${(predicted.nodeBytes / GiB).toFixed(1)} GiB for the reference's ${Math.round(hi.touches * factor).toLocaleString('en')} touches against ${(memory / GiB).toFixed(1)} GiB free` },
  ];
  const binding = limits.filter((l) => l.fits < requested);
  const calibration =
    `Calibration at ${a} and ${b}: the whole runs took ${lo.seconds.toFixed(1)} s and ${hi.seconds.toFixed(1)} s (the larger's database ${(hi.bytes / 1024 ** 2).toFixed(0)} MiB, ${hi.touches.toLocaleString('en')} touches); ` +
    `each phase fitted as a + b·scale through the two, extrapolated to ${requested}: ${limits.map((l) => l.says).join('; ')}.`;
  if (binding.length === 0) return { scale: requested, note: `${calibration} It fits: run at ${requested}.` };
  // Two significant digits, rounded down, and never below the calibration itself.
  const largest = Math.min(...binding.map((l) => l.fits));
  const digits = 10 ** (Math.floor(Math.log10(largest)) - 1);
  const scale = Math.max(b, Math.floor(largest / digits) * digits);
  return {
    scale,
    note: `${calibration} **Scale ${requested} does not fit on this machine** (${binding.map((l) => l.what).join(', ')}): run at ${Number(scale.toPrecision(2))}, the largest that does.`,
  };
}

export async function run(): Promise<string> {
  const chosen = REQUESTED_SCALE > CALIBRATE_ABOVE ? await chooseScale(REQUESTED_SCALE) : { scale: REQUESTED_SCALE, note: '' };
  const measured = await measure(sizeAt(Number(chosen.scale.toPrecision(2))));
  return ['## ROI and attribution', '', ...(chosen.note ? [chosen.note, ''] : []), measured.markdown].join('\n');
}
