/**
 * KPI benchmark: synthetic calls (generate_series) in a fresh PostgreSQL database, a full rollup
 * build, then p50/p95 of the KPI query (groupBy=day over 90 days, groupBy=agent over 30 days)
 * against one plain SQL GROUP BY over the calls table, with an equality check of the counts.
 *
 * BENCH_DATABASE_URL: an admin connection (default the test server); BENCH_KPI_SIZES: call counts
 * (default "1000000").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { tenants, type TenantRow } from '../src/db/schema/index.js';
import { computeKpis } from '../src/modules/kpis/kpis.service.js';
import { kpisQuery } from '../src/modules/kpis/kpis.schemas.js';
import { refreshTenant } from '../src/modules/kpis/refresh.js';
import { markAllDirty } from '../src/modules/kpis/invalidate.js';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const name = `callroi_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '/tmp', migrate: true, poolSize: 4 });
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** `count` calls over the 90 days before 2025-04-01 (UTC), 50 agents, 5 queues, 5 000 numbers. */
async function seed(db: Database, tenantId: string, count: number): Promise<void> {
  await db.execute(sql`
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds,
      agent_id, agent_name, queue_name)
    select gen_random_uuid(), ${tenantId}::uuid, ${randomUUID()}::uuid,
      (array['twilio', 'aircall'])[1 + i % 2], 'k' || i, 'p' || i,
      case when i % 4 = 0 then 'outbound' else 'inbound' end,
      (array['answered', 'answered', 'answered', 'abandoned', 'missed', 'voicemail', 'busy'])[1 + (i * 7919) % 7],
      '+3310' || lpad(((i * 104729) % 5000)::text, 7, '0'),
      timestamptz '2025-01-01T00:00:00Z' + ((i::bigint * 7776000) / ${count}) * interval '1 second',
      (i * 31) % 90, (i * 17) % 600, 0, (i * 17) % 600,
      'agent-' || (i % 50), 'Agent ' || (i % 50), (array['Sales', 'Support', 'Billing', 'VIP', 'Other'])[1 + i % 5]
    from generate_series(1, ${count}) as i`);
  await db.execute(sql`analyze calls`);
}

export async function run(): Promise<string> {
  const sizes = (process.env.BENCH_KPI_SIZES ?? '1000000').split(',').map(Number);
  const lines = [
    '## KPIs (GET /v1/kpis)',
    '',
    `Synthetic calls over 90 days (generate_series), 50 agents, 5 queues, one tenant (Europe/Paris); ${RUNS} runs each.`,
    'The KPI query is the service behind GET /v1/kpis (rollups + finalize), without HTTP.',
    '',
    '| calls | full rollup build | day/90 d p50 | p95 | agent/30 d p50 | p95 | plain GROUP BY day/90 d p50 | p95 | equal |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
  ];
  for (const count of sizes) {
    const line = await withDatabase(async (db) => {
      const tenantId = randomUUID();
      const [tenant] = await db
        .insert(tenants)
        .values({ id: tenantId, name: 'Bench', currency: 'EUR', timezone: 'Europe/Paris', country: 'FR', apiKeyHash: randomUUID(), settings: {} })
        .returning();
      await seed(db, tenantId, count);
      const buildStart = performance.now();
      await db.transaction((tx) => markAllDirty(tx, tenantId));
      await refreshTenant(db, tenantId);
      const buildMs = performance.now() - buildStart;

      const dayQuery = kpisQuery.parse({ from: '2025-01-01', to: '2025-04-01', groupBy: 'day' });
      const agentQuery = kpisQuery.parse({ from: '2025-03-02', to: '2025-04-01', groupBy: 'agent' });
      const day = await timed(() => computeKpis(db, tenant as TenantRow, dayQuery));
      const agent = await timed(() => computeKpis(db, tenant as TenantRow, agentQuery));
      const plainSql = sql`
        select to_char(started_at at time zone 'Europe/Paris', 'YYYY-MM-DD') as key,
          count(*) filter (where direction = 'inbound' and (status in ('answered', 'missed', 'voicemail') or (status = 'abandoned' and wait_seconds >= 5)))::int as offered,
          count(*) filter (where direction = 'inbound' and status = 'answered')::int as answered,
          count(*) filter (where direction = 'inbound' and status = 'abandoned' and wait_seconds >= 5)::int as abandoned
        from calls where tenant_id = ${tenantId}
          and started_at >= timestamptz '2025-01-01T00:00:00+01:00' and started_at < timestamptz '2025-04-01T00:00:00+02:00'
        group by 1 order by 1`;
      const plain = await timed(() => queryRows(db, plainSql));
      const reference = await queryRows<{ key: string; offered: number; answered: number; abandoned: number }>(db, plainSql);
      const result = await computeKpis(db, tenant as TenantRow, dayQuery);
      const equal =
        JSON.stringify(reference) ===
        JSON.stringify(result.rows.map((r) => ({ key: r.key, offered: r.offered, answered: r.answered, abandoned: r.abandoned })));
      const ms = (n: number) => `${n.toFixed(1)} ms`;
      return `| ${count.toLocaleString('en')} | ${(buildMs / 1000).toFixed(1)} s | ${ms(day.p50)} | ${ms(day.p95)} | ${ms(agent.p50)} | ${ms(agent.p95)} | ${ms(plain.p50)} | ${ms(plain.p95)} | ${equal ? 'yes' : 'NO'} |`;
    });
    lines.push(line);
  }
  lines.push('', 'Incremental refresh recomputes only dirty hours (one INSERT … SELECT per batch), so its cost follows the calls of the changed hours, not the table.');
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((md) => console.log(md), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
