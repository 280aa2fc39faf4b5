/**
 * KPI benchmark. For each size: a fresh PostgreSQL database (migrated by the real createDeps), the
 * real express app listening on loopback, synthetic calls inserted with one generate_series INSERT
 * straight into the calls table (200 agents, 20 campaigns, 4 providers, 8 queues, 20 000 numbers,
 * 90 days, one tenant in Europe/Paris), the rollups built through the real refresh code path
 * (markAllDirty + refreshTenant, as after a settings change), then:
 *
 * - p50/p95 of GET /v1/kpis over HTTP: groupBy=day over 90 days, groupBy=agent and groupBy=hour over 30 days;
 * - the same figures from one plain SQL GROUP BY over the calls table (the baseline), and an
 *   equality check of the counts (offered, answered, abandoned, shortAbandoned, missed, voicemail,
 *   callsPerHour's handled calls) row by row;
 * - rollup maintenance: 10 000 calls of the last day changed (status flipped) with their dirty
 *   marks written by markCallsDirty, then one refreshTenant, timed;
 * - peak RSS of this process (app + bench driver; PostgreSQL is a separate server).
 *
 * BENCH_DATABASE_URL: an admin connection (default the test server); BENCH_KPI_SIZES: call counts
 * (default "1000000,5000000"); BENCH_KPI_RUNS: requests per query (default 30).
 *
 * BENCH_KPI_DB=<name>: keep the seeded database (`<name>_<calls>`, one per size) instead of dropping
 * it, and reuse it when it is already there with the bench tenant's calls and rollups (seeding 5M
 * calls takes minutes; the read path does not change them). A reused size reports no seed or build
 * time; its tenant gets a fresh API key (the old one is only stored hashed). The maintenance step
 * flips 10 000 calls and refreshes their rollups, so a reused database stays consistent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import { createDeps, type Deps } from '../src/deps.js';
import { queryRows, type Database } from '../src/db/client.js';
import { markAllDirty, markCallsDirty } from '../src/modules/kpis/invalidate.js';
import { hourlyRollupSums } from '../src/modules/kpis/kpis.repo.js';
import { refreshTenant } from '../src/modules/kpis/refresh.js';
import { hashApiKey, newApiKey } from '../src/lib/crypto.js';
import { ADMIN_DATABASE_URL, benchConfig } from './machine.js';

const RUNS = Number(process.env.BENCH_KPI_RUNS ?? 30);
/**
 * Untimed requests first: with 3, the two slowest of 30 were the first two timed ones (the server's
 * code still being compiled: "their places in the sequence" in BENCHMARKS.md), so p95 measured warm-up.
 */
const WARMUP = 10;
/** The scans of the calls table and of kpi_hourly take seconds at millions of calls: fewer runs. */
const SLOW_RUNS = 3;
const TZ = 'Europe/Paris';
const DAY_RANGE = { from: '2025-01-01', to: '2025-04-01' };
const AGENT_RANGE = { from: '2025-03-02', to: '2025-04-01' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Timing {
  p50: number;
  p95: number;
  /** The two slowest runs (p95 of 30 is the second worst), and the GC pauses of this process during the runs. */
  slowest: number[];
  /** Their places in the sequence (1 = the first timed request). */
  slowestAt: number[];
  gc: { pauses: number; totalMs: number; maxMs: number };
}

async function timed(fn: () => Promise<unknown>, runs = RUNS, warmup = WARMUP): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  // GC entries are delivered asynchronously: let the last ones arrive.
  await new Promise((resolve) => setImmediate(resolve));
  observer.disconnect();
  const order = times.map((t, i) => [t, i + 1] as const).sort((x, y) => y[0] - x[0]);
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    slowest: times.slice(-2).reverse(),
    slowestAt: order.slice(0, 2).map(([, at]) => at),
    gc: { pauses: pauses.length, totalMs: pauses.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...pauses) },
  };
}

interface Hub {
  deps: Deps;
  db: Database;
  baseUrl: string;
}

/**
 * A database (fresh, or the kept one `keep` names, created when missing), createDeps (migrations,
 * inline queue, no workers) and the app on loopback.
 */
async function withHub<T>(fn: (hub: Hub) => Promise<T>, keep: string | null = null): Promise<T> {
  const name = keep ?? `callroi_bench_kpis_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  if (!exists) await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-bench-kpis-'));
  let deps: Deps | null = null;
  const server = { close: (): Promise<void> => Promise.resolve() };
  try {
    const config = benchConfig(dataDir, url.toString());
    deps = await createDeps(config);
    // No workers here (startWorkers is not called): the bench drives refreshTenant itself and times it.
    const app = createApp(deps);
    const http = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    server.close = () => new Promise((resolve) => http.close(() => resolve()));
    const { port } = http.address() as AddressInfo;
    return await fn({ deps, db: deps.database.db, baseUrl: `http://127.0.0.1:${port}` });
  } finally {
    await server.close();
    await deps?.close();
    if (keep === null) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The bench tenant of a kept database when it holds `count` calls and their rollups (nothing left
 * dirty), with a new API key; null when the database must be seeded.
 */
async function reusedTenant(hub: Hub, count: number): Promise<{ id: string; apiKey: string } | null> {
  const [row] = await queryRows<{ id: string; calls: string; built: boolean }>(
    hub.db,
    sql`select t.id, (select count(*) from calls c where c.tenant_id = t.id) as calls,
          exists (select 1 from kpi_state s where s.tenant_id = t.id)
            and not exists (select 1 from kpi_dirty_hours d where d.tenant_id = t.id) as built
        from tenants t where t.name = 'Bench'`,
  );
  if (!row) return null;
  if (Number(row.calls) !== count || !row.built) throw new Error(`kept database: tenant ${row.id} has ${row.calls} calls (built: ${row.built}), not ${count}; drop it`);
  const apiKey = newApiKey();
  await hub.db.execute(sql`update tenants set api_key_hash = ${hashApiKey(apiKey)} where id = ${row.id}`);
  return { id: row.id, apiKey };
}

async function createTenant(hub: Hub): Promise<{ id: string; apiKey: string }> {
  const res = await fetch(`${hub.baseUrl}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hub.deps.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench', currency: 'EUR', timezone: TZ, country: 'FR' }),
  });
  if (res.status !== 201) throw new Error(`tenant creation failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id: string; apiKey: string };
  return { id: body.id, apiKey: body.apiKey };
}

/**
 * `count` calls spread evenly over the 90 days from 2025-01-01 (UTC); agents, campaigns, providers,
 * statuses and numbers cycle with co-prime strides so that every combination occurs.
 */
export async function seed(db: Database, tenantId: string, count: number): Promise<void> {
  await db.execute(sql`
    insert into campaigns (id, tenant_id, name, channel)
    select gen_random_uuid(), ${tenantId}::uuid, 'Campaign ' || g, (array['google', 'facebook', 'radio', 'print'])[1 + g % 4]
    from generate_series(0, 19) g`);
  await db.execute(sql`
    with cp as (select array_agg(id order by name) as ids from campaigns where tenant_id = ${tenantId}),
    conn as (select (array[gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid()]) as ids)
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds,
      agent_id, agent_name, queue_name, campaign_id)
    select gen_random_uuid(), ${tenantId}::uuid, conn.ids[1 + i % 4],
      (array['twilio', 'ringcentral', 'vonage', 'aircall'])[1 + i % 4], 'k' || i, 'p' || i,
      case when i % 4 = 3 then 'outbound' else 'inbound' end,
      (array['answered', 'answered', 'answered', 'answered', 'abandoned', 'missed', 'voicemail', 'busy'])[1 + (i * 7919) % 8],
      '+3310' || lpad(((i * 104729) % 20000)::text, 7, '0'),
      timestamptz '2025-01-01T00:00:00Z' + ((i * 7776000) / ${count}) * interval '1 second',
      (i * 31) % 90, (i * 17) % 600, 0, (i * 17) % 600,
      'agent-' || ((i * 13) % 200), 'Agent ' || ((i * 13) % 200),
      (array['Sales', 'Support', 'Billing', 'VIP', 'Renewals', 'Returns', 'Partners', 'Other'])[1 + (i * 3) % 8],
      case when i % 10 = 0 then null else cp.ids[1 + (i * 7) % 20] end
    from generate_series(0::bigint, ${count - 1}::bigint) as i, cp, conn`);
  await db.execute(sql`analyze calls`);
  await db.execute(sql`analyze campaigns`);
}

/** Counts of the contract (section 6) per key, from the calls table alone, in one GROUP BY. */
function plainGroupBy(tenantId: string, key: 'hour' | 'day' | 'agent', range: { from: string; to: string }) {
  const keySql =
    key === 'hour'
      ? sql`to_char(started_at at time zone ${TZ}, 'YYYY-MM-DD"T"HH24')`
      : key === 'day'
        ? sql`to_char(started_at at time zone ${TZ}, 'YYYY-MM-DD')`
        : sql`agent_id`;
  return sql`
    select ${keySql} as key,
      count(*) filter (where direction = 'inbound' and (status in ('answered', 'missed', 'voicemail') or (status = 'abandoned' and wait_seconds >= 5)))::int as offered,
      count(*) filter (where direction = 'inbound' and status = 'answered')::int as answered,
      count(*) filter (where direction = 'inbound' and status = 'abandoned' and wait_seconds >= 5)::int as abandoned,
      count(*) filter (where direction = 'inbound' and status = 'abandoned' and wait_seconds < 5)::int as "shortAbandoned",
      count(*) filter (where direction = 'inbound' and status = 'missed')::int as missed,
      count(*) filter (where direction = 'inbound' and status = 'voicemail')::int as voicemail,
      count(*) filter (where status = 'answered')::int as handled,
      count(distinct to_char(started_at at time zone ${TZ}, 'YYYY-MM-DD"T"HH24')) filter (where status = 'answered')::int as "handledHours"
    from calls where tenant_id = ${tenantId}
      and started_at >= (${range.from}::timestamp at time zone ${TZ}) and started_at < (${range.to}::timestamp at time zone ${TZ})
    group by 1 order by 1 nulls last`;
}

interface PlainRow {
  key: string | null;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  missed: number;
  voicemail: number;
  handled: number;
  handledHours: number;
}

interface ApiRow {
  key: string | null;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  missed: number;
  voicemail: number;
  callsPerHour: number | null;
}

/** The API's counts equal the plain GROUP BY's; callsPerHour equals handled / handled hours (2 decimals). */
function sameFigures(plain: PlainRow[], api: ApiRow[]): boolean {
  const byKey = new Map(api.map((r) => [r.key, r]));
  if (plain.length !== api.length) return false;
  return plain.every((p) => {
    const a = byKey.get(p.key);
    if (!a) return false;
    const cph = p.handledHours === 0 ? null : Math.round((p.handled / p.handledHours) * 100) / 100;
    return (
      a.offered === p.offered &&
      a.answered === p.answered &&
      a.abandoned === p.abandoned &&
      a.shortAbandoned === p.shortAbandoned &&
      a.missed === p.missed &&
      a.voicemail === p.voicemail &&
      (a.callsPerHour === null ? cph === null : cph !== null && Math.abs(a.callsPerHour - cph) < 0.006)
    );
  });
}

interface SizeResult {
  count: number;
  /** null: a kept database was reused (BENCH_KPI_DB). */
  seedS: number | null;
  buildS: number | null;
  hourlyRows: number;
  dailyRows: number;
  day: Timing;
  agent: Timing;
  hour: Timing;
  plainDay: Timing;
  plainAgent: Timing;
  plainHour: Timing;
  hourlyDay: Timing;
  hourlyAgent: Timing;
  equal: boolean;
  maintenance: { changed: number; seconds: number; hours: number };
}

async function measure(count: number): Promise<SizeResult> {
  const keep = process.env.BENCH_KPI_DB ? `${process.env.BENCH_KPI_DB}_${count}` : null;
  return withHub(async (hub) => {
    let tenant = keep === null ? null : await reusedTenant(hub, count);
    let seedS: number | null = null;
    let buildS: number | null = null;
    if (tenant === null) {
      tenant = await createTenant(hub);
      const seedStart = performance.now();
      await seed(hub.db, tenant.id, count);
      seedS = (performance.now() - seedStart) / 1000;

      const buildStart = performance.now();
      await hub.db.transaction((tx) => markAllDirty(tx, tenant!.id));
      await refreshTenant(hub.db, tenant.id, hub.deps.listeners);
      buildS = (performance.now() - buildStart) / 1000;
      await hub.db.execute(sql`analyze kpi_hourly`);
      await hub.db.execute(sql`analyze kpi_daily`);
    }
    const tenantId = tenant.id;
    const apiKey = tenant.apiKey;
    const [sizes] = await queryRows<{ hourly: string; daily: string }>(
      hub.db,
      sql`select (select count(*) from kpi_hourly) as hourly, (select count(*) from kpi_daily) as daily`,
    );

    const get = async (query: Record<string, string>): Promise<{ rows: ApiRow[] }> => {
      const res = await fetch(`${hub.baseUrl}/v1/kpis?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${apiKey}` } });
      if (res.status !== 200) throw new Error(`GET /v1/kpis ${res.status}: ${await res.text()}`);
      return (await res.json()) as { rows: ApiRow[] };
    };
    const dayQuery = { ...DAY_RANGE, groupBy: 'day' };
    const agentQuery = { ...AGENT_RANGE, groupBy: 'agent' };
    // Interval staffing: 30 days of local hours (720 rows, the spring-forward night included).
    const hourQuery = { ...AGENT_RANGE, groupBy: 'hour' };
    const day = await timed(() => get(dayQuery));
    const agent = await timed(() => get(agentQuery));
    const hour = await timed(() => get(hourQuery));
    // The previous read path (one GROUP BY over kpi_hourly) for the same two queries, without HTTP.
    const fine = (groupBy: 'day' | 'agent', range: { from: string; to: string }) => ({
      tenantId: tenantId,
      fromKey: `${range.from}T00`,
      toKey: `${range.to}T00`,
      groupBy,
      filters: {},
      businessHours: null,
    });
    const hourlyDay = await timed(() => hourlyRollupSums(hub.db, fine('day', DAY_RANGE)), SLOW_RUNS, 0);
    const hourlyAgent = await timed(() => hourlyRollupSums(hub.db, fine('agent', AGENT_RANGE)), SLOW_RUNS, 0);
    const plainDaySql = plainGroupBy(tenantId, 'day', DAY_RANGE);
    const plainAgentSql = plainGroupBy(tenantId, 'agent', AGENT_RANGE);
    const plainDay = await timed(() => queryRows(hub.db, plainDaySql), SLOW_RUNS, 0);
    const plainAgent = await timed(() => queryRows(hub.db, plainAgentSql), SLOW_RUNS, 0);
    const plainHourSql = plainGroupBy(tenantId, 'hour', AGENT_RANGE);
    const plainHour = await timed(() => queryRows(hub.db, plainHourSql), SLOW_RUNS, 0);
    const equal =
      sameFigures(await queryRows<PlainRow>(hub.db, plainDaySql), (await get(dayQuery)).rows) &&
      sameFigures(await queryRows<PlainRow>(hub.db, plainAgentSql), (await get(agentQuery)).rows) &&
      sameFigures(await queryRows<PlainRow>(hub.db, plainHourSql), (await get(hourQuery)).rows);

    // Maintenance: 10 000 calls of the last day change status; their hours are marked dirty by the
    // real invalidation code, then one refresh recomputes them (coalesced per hour and day).
    const changed = await hub.db.transaction(async (tx) => {
      const rows = await queryRows<{ started_at: string }>(
        tx,
        sql`update calls set status = case when status = 'answered' then 'missed' else 'answered' end, updated_at = now()
            where id in (select id from calls where tenant_id = ${tenantId}
                           and started_at >= timestamptz '2025-03-31T00:00:00Z' order by started_at limit 10000)
            returning started_at::text`,
      );
      await markCallsDirty(tx, tenantId, rows.map((r) => ({ startedAt: new Date(r.started_at) })));
      return rows.length;
    });
    const refreshStart = performance.now();
    const outcome = await refreshTenant(hub.db, tenantId, hub.deps.listeners);
    const maintenance = { changed, seconds: (performance.now() - refreshStart) / 1000, hours: outcome.hoursRecomputed };

    return {
      count,
      seedS,
      buildS,
      hourlyRows: Number(sizes!.hourly),
      dailyRows: Number(sizes!.daily),
      day,
      agent,
      hour,
      plainDay,
      plainAgent,
      plainHour,
      hourlyDay,
      hourlyAgent,
      equal,
      maintenance,
    };
  }, keep);
}

export async function run(): Promise<string> {
  const sizes = (process.env.BENCH_KPI_SIZES ?? '1000000,5000000').split(',').map(Number);
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const secs = (n: number | null) => (n === null ? 'kept db' : `${n.toFixed(1)} s`);
  const results: SizeResult[] = [];
  for (const count of sizes) results.push(await measure(count));
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const lines = [
    '## KPIs (GET /v1/kpis)',
    '',
    `Synthetic calls over 90 days (one generate_series INSERT into a fresh database): 200 agents, 20 campaigns, 4 providers,`,
    `8 queues, 20 000 numbers, one tenant (${TZ}). Rollups built through the real refresh path; requests over HTTP`,
    `to the real app on loopback, ${RUNS} timed requests after ${WARMUP} warm-up ones. "plain" is one SQL GROUP BY over`,
    'the calls table computing the same counts; "equal" compares them with the API rows (counts and callsPerHour).',
    '',
    '| calls | seed | rollup build | kpi_hourly rows | kpi_daily rows | day/90 d p50 | p95 | agent/30 d p50 | p95 | plain day p50 | p95 | plain agent p50 | p95 | equal |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
    ...results.map(
      (r) =>
        `| ${r.count.toLocaleString('en')} | ${secs(r.seedS)} | ${secs(r.buildS)} | ${r.hourlyRows.toLocaleString('en')} | ${r.dailyRows.toLocaleString('en')} | ` +
        `${ms(r.day.p50)} | ${ms(r.day.p95)} | ${ms(r.agent.p50)} | ${ms(r.agent.p95)} | ${ms(r.plainDay.p50)} | ${ms(r.plainDay.p95)} | ` +
        `${ms(r.plainAgent.p50)} | ${ms(r.plainAgent.p95)} | ${r.equal ? 'yes' : 'NO'} |`,
    ),
    '',
    'groupBy=hour over the 30 days of the agent query (720 local hours, the spring-forward night included), from the hour',
    'rows of kpi_daily, and the plain GROUP BY over the calls table computing the same counts per local hour (compared in "equal" above):',
    '',
    '| calls | hour/30 d p50 | p95 | plain hour p50 | p95 |',
    '|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.count.toLocaleString('en')} | ${ms(r.hour.p50)} | ${ms(r.hour.p95)} | ${ms(r.plainHour.p50)} | ${ms(r.plainHour.p95)} |`),
    '',
    `The tail of the API timings: the two slowest of the ${RUNS} requests, and the garbage collections of this process (app and driver) during them:`,
    '',
    '| calls | query | slowest two | their places in the sequence | GC pauses | GC total | longest GC |',
    '|---:|---|---:|---|---:|---:|---:|',
    ...results.flatMap((r) =>
      (
        [
          ['day/90 d', r.day],
          ['agent/30 d', r.agent],
          ['hour/30 d', r.hour],
        ] as const
      ).map(
        ([name, t]) =>
          `| ${r.count.toLocaleString('en')} | ${name} | ${t.slowest.map(ms).join(', ')} | ${t.slowestAt.map((at) => `#${at}`).join(', ')} | ${t.gc.pauses} | ${ms(t.gc.totalMs)} | ${ms(t.gc.maxMs)} |`,
      ),
    ),
    '',
    `The previous read path, one GROUP BY over kpi_hourly (the fine rollup, still used for other filter combinations), same queries, without HTTP (${SLOW_RUNS} runs; plain GROUP BY too):`,
    '',
    '| calls | day/90 d p50 | p95 | agent/30 d p50 | p95 |',
    '|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) => `| ${r.count.toLocaleString('en')} | ${ms(r.hourlyDay.p50)} | ${ms(r.hourlyDay.p95)} | ${ms(r.hourlyAgent.p50)} | ${ms(r.hourlyAgent.p95)} |`,
    ),
    '',
    'Rollup maintenance (10 000 calls of the last day change status, marked dirty by markCallsDirty, then one refresh):',
    '',
    '| calls in table | changed calls | hours recomputed | refresh time | changed calls / s |',
    '|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.count.toLocaleString('en')} | ${r.maintenance.changed.toLocaleString('en')} | ${r.maintenance.hours} | ${r.maintenance.seconds.toFixed(2)} s | ` +
        `${Math.round(r.maintenance.changed / r.maintenance.seconds).toLocaleString('en')} |`,
    ),
    '',
    `Peak RSS of the bench process (app + driver; PostgreSQL not included): ${peakRssMiB.toFixed(0)} MiB.`,
    '',
    'GET /v1/kpis reads kpi_daily (rows per tenant × local hour, day, and month, × dimension value) for whole days when at',
    'most one dimension is involved, so its cost follows days (or months) × values, not calls; a dimension grouping over',
    'a range reads month rows minus the days outside the range. Partial days at the ends, two or more filters, channel',
    'and business-hours views read kpi_hourly. The refresh recomputes only the dirty hours, then their days and months.',
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then(
    (md) => console.log(md),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
