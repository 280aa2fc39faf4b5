/**
 * Alerts within the hour at scale: one worker's evaluation pass (src/modules/alerts/intraday.ts
 * `evaluateIntraday`, what the worker runs every ALERT_CHECK_MINUTES) over 1 000 tenants holding
 * 5M calls in total, against its 5-minute period. Correctness is checked in the same run: a known
 * set of tenants gets an abandonment spike in the current hour, and exactly those must be raised.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { createDeps, type Deps } from '../src/deps.js';
import { evaluateIntraday } from '../src/modules/alerts/intraday.js';
import { ADMIN_DATABASE_URL, benchConfig, cpuBetween, cpuOf, pidsNamed } from './machine.js';

const TENANTS = Number(process.env.BENCH_ALERTS_TENANTS ?? 1000);
const CALLS = Number(process.env.BENCH_ALERTS_CALLS ?? 5_000_000);
/** A Monday, half past ten (UTC): the hour so far is 30 minutes long. */
const NOW = new Date('2025-06-02T10:30:00Z');
const PERIOD_MS = 5 * 60_000;
const SPIKED = 10;

async function withDeps<T>(fn: (deps: Deps) => Promise<T>): Promise<T> {
  const name = `callroi_bench_alerts_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-bench-alerts-'));
  let deps: Deps | null = null;
  try {
    deps = await createDeps(benchConfig(dataDir, url.toString()));
    return await fn(deps);
  } finally {
    await deps?.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * `TENANTS` tenants in three timezones; `CALLS` inbound calls spread evenly over the five weeks
 * before NOW (every tenant the same pattern, so its weeks agree), 1 in 8 abandoned. Then the first
 * SPIKED tenants get 40 abandoned calls in the current hour.
 */
async function seed(deps: Deps): Promise<string[]> {
  const db = deps.database.db;
  await db.execute(sql`
    insert into tenants (id, name, currency, timezone, country, api_key_hash, settings)
    select gen_random_uuid(), 'Tenant ' || lpad(g::text, 4, '0'), 'EUR',
      (array['UTC', 'Europe/Paris', 'America/New_York'])[1 + g % 3], 'FR', 'bench-' || g, '{}'::jsonb
    from generate_series(1, ${TENANTS}) g`);
  const span = 35 * 86_400;
  await db.execute(sql`
    with t as (select array_agg(id order by name) as ids from tenants)
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds)
    select gen_random_uuid(), t.ids[1 + i % ${TENANTS}], gen_random_uuid(), 'twilio', 'k' || i, 'p' || i, 'inbound',
      case when (i / ${TENANTS}) % 8 = 0 then 'abandoned' else 'answered' end,
      '+3310' || lpad((i % 1000000)::text, 7, '0'),
      ${NOW.toISOString()}::timestamptz - ${span} * interval '1 second'
        + ((i / ${TENANTS}) * ${span} / ${Math.ceil(CALLS / TENANTS)}) * interval '1 second',
      30, 200, 0, 200
    from generate_series(0::bigint, ${CALLS - 1}::bigint) as i, t`);
  const spiked = (await db.execute(sql`select id from tenants order by name limit ${SPIKED}`)) as unknown as { rows: { id: string }[] };
  const ids = spiked.rows.map((r) => r.id);
  await db.execute(sql`
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds)
    select gen_random_uuid(), t.id, gen_random_uuid(), 'twilio', 'spike' || g || t.id, 'spike' || g, 'inbound', 'abandoned',
      '+3399' || lpad(g::text, 7, '0'), ${NOW.toISOString()}::timestamptz - (g * interval '30 seconds'), 90, 0, 0, 0
    from unnest(${`{${ids.join(',')}}`}::uuid[]) as t(id), generate_series(1, 40) g`);
  await db.execute(sql`analyze calls`);
  await db.execute(sql`analyze tenants`);
  return ids;
}

export async function run(): Promise<string> {
  return withDeps(async (deps) => {
    const t0 = performance.now();
    const spiked = await seed(deps);
    const seedSeconds = (performance.now() - t0) / 1000;
    const db = deps.database.db;
    const pgPids = pidsNamed('postgres');
    const passes: { ms: number; cpuSelf: number; cpuPg: number; raised: number; tenants: number }[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const cpuSelf0 = process.cpuUsage();
      const pg0 = cpuOf(pgPids);
      const start = performance.now();
      const r = await evaluateIntraday(db, deps.subscriptions, deps.logger, NOW);
      const ms = performance.now() - start;
      const self = process.cpuUsage(cpuSelf0);
      passes.push({ ms, cpuSelf: (self.user + self.system) / 1e6, cpuPg: cpuBetween(pg0, cpuOf(pgPids)), raised: r.raised, tenants: r.tenants });
    }
    const raisedFor = (await db.execute(sql`
      select distinct tenant_id::text as id from alerts where type = 'abandonment_spike' and granularity = 'hour' and status = 'open'`)) as unknown as { rows: { id: string }[] };
    const got = raisedFor.rows.map((r) => r.id).sort();
    const correct = JSON.stringify(got) === JSON.stringify([...spiked].sort());
    const [first, second] = passes;
    const lines = [
      '## Alerts within the hour',
      '',
      `One evaluation pass of \`evaluateIntraday\` (what a worker runs every \`ALERT_CHECK_MINUTES\`, default 5) over ${TENANTS.toLocaleString('en')} tenants holding ` +
        `${CALLS.toLocaleString('en')} calls over the five weeks before the judged instant (seeded in ${seedSeconds.toFixed(0)} s). ` +
        'Each tenant: the hour so far and the day so far against the same part of the last four weeks (10 windows in one statement), plus its notified targets.',
      '',
      '| pass | tenants judged | wall time | share of the 5-minute period | process CPU | PostgreSQL CPU | alerts raised |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...passes.map(
        (p, i) =>
          `| ${i === 0 ? 'first (raises)' : 'second (all open already)'} | ${p.tenants} | ${(p.ms / 1000).toFixed(1)} s | ${((p.ms / PERIOD_MS) * 100).toFixed(1)} % | ${p.cpuSelf.toFixed(1)} s | ${p.cpuPg.toFixed(1)} s | ${p.raised} |`,
      ),
      '',
      `Correctness: the ${SPIKED} tenants given an abandonment spike in the current hour are exactly the ones with an open hourly abandonment alert: **${correct ? 'yes' : `NO (got ${got.length})`}**; ` +
        `the second pass raised ${second!.raised} (never twice while open).`,
      '',
      `Target: within the 5-minute period using one worker — ${first!.ms < PERIOD_MS ? `met (${(first!.ms / 1000).toFixed(1)} s)` : `missed (${(first!.ms / 1000).toFixed(1)} s)`}.`,
    ];
    if (!correct) throw new Error(`bench/alerts: wrong alerts\n${lines.join('\n')}`);
    return lines.join('\n');
  });
}
