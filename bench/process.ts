/**
 * Process benchmark: what a user feels after the acknowledgement. The hub runs in production mode —
 * one API process and one or more worker processes, compiled as the Docker image runs them
 * (`dist/src/main.js api|worker`, bench/machine.ts hubRoleArgs), on
 * PostgreSQL and Redis — and a load generator (this process) posts realistic Twilio call lifecycles:
 * several signed status callbacks per call, duplicates, out of order (the conformance builders'
 * shapes, test/conformance/builders/twilio.ts).
 *
 * Each row starts with a warm-up (another tenant's calls, drained) and then reports:
 * - events processed per second and worker CPU per event (from /proc), against the API's CPU per
 *   accepted delivery in the same run;
 * - the backlog (stored events not yet processed) sampled every second;
 * - for a sample of calls, the time from the acknowledgement of the call's last delivery to the
 *   call being readable with its final status (what `GET /v1/calls` reads) and to its KPI hour
 *   being rebuilt (no dirty mark older than the call left for that hour: what `GET /v1/kpis` reads).
 *
 * Rows:
 * - burst: every delivery posted as fast as the API accepts them (closed loop), then drained;
 *   processed rate against the accept rate.
 * - steady: an open loop at a fixed arrival rate (half the burst's accept rate) for the window.
 * - the same at a few hundred and at tens of thousands of calls already in the same hours (seeded
 *   with one INSERT … SELECT before the run): per-event cost must not grow with the volume there.
 * - two workers: CPU per event unchanged.
 *
 * Correctness is counted, never assumed: every 2xx is a stored row, every call ends with the
 * status its scenario expects, and no event is left pending or failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import pg from 'pg';
import { scenarios, type Scenario } from '../test/conformance/scenarios.js';
import { twilioBuilder } from '../test/conformance/builders/twilio.js';
import type { Delivery as BuiltDelivery } from '../test/conformance/builders/types.js';
import { mulberry32 as rng } from '../test/helpers/prng.js';
import { deleteRedisPrefix } from '../test/helpers/redis.js';
import { summariseProfile } from './ingest/profile.js';
import { databaseUrlFor, hubRoleArgs, pidCpuSeconds, pidMainThreadCpuSeconds, REDIS_URL, withAdmin } from './machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_BASE_URL = 'https://hub.process-bench.example';
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

export interface ProcessOptions {
  /** Calls per row (each 4–9 deliveries, plus duplicates). */
  calls: number;
  /** Calls already in the same hours before the large-volume row. */
  seededCalls: number;
  /** Length of the steady (open-loop) window. */
  steadyMs: number;
  workers: number[];
  profile: boolean;
  /** Only the steady row, at this rate (a direct run's BENCH_PROCESS_STEADY_RATE). */
  steadyRate?: number;
  log: (line: string) => void;
}

const defaults: ProcessOptions = {
  calls: 1_500,
  seededCalls: 60_000,
  steadyMs: 60_000,
  workers: [1, 2],
  profile: false,
  log: (line) => console.error(line),
};

/* ------------------------------------------------------------------ processes and database */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}



interface Hub {
  port: number;
  api: ChildProcess;
  workers: ChildProcess[];
  /** Each worker's METRICS_PORT (its batch sizes are read from there). */
  workerMetricsPorts: number[];
  db: pg.Pool;
  dbName: string;
  profileDir: string | null;
  stop(): Promise<void>;
}

function startRole(role: 'api' | 'worker', env: Record<string, string>, profileDir: string | null): ChildProcess {
  const args = hubRoleArgs(role, profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
  // BENCH_PROCESS_LOG_DIR (direct runs): each role's log (stdout) and stderr in a file of its own.
  const logDir = process.env.BENCH_PROCESS_LOG_DIR;
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', logDir ? 'pipe' : 'ignore', 'pipe'] });
  const keep = (b: Buffer) => {
    if (logDir) appendFileSync(join(logDir, `${role}-${child.pid}.log`), b);
  };
  let tail = '';
  child.stdout?.on('data', keep);
  child.stderr!.on('data', (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
    keep(b);
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) console.error(`bench/process: ${role} exited ${code}\n${tail}`);
  });
  return child;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`bench/process: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function startHub(workerCount: number, profile: boolean): Promise<Hub> {
  const dbName = `callroi_bench_process_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${dbName}`));
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-bench-process-'));
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'callroi-bench-prof-')) : null;
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL,
    ADMIN_TOKEN,
    ENCRYPTION_KEY,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrlFor(dbName),
    REDIS_URL,
    QUEUE_PREFIX: `bench-process-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: process.env.BENCH_PROCESS_LOG_LEVEL ?? 'warn',
    RECONCILE_EVERY_MINUTES: '0',
    CONNECTION_CHECK_MINUTES: '0',
    // One API process: the rows compare one worker's CPU with one API process's.
    API_PROCESSES: '1',
  };
  // The API migrates first; workers start once it serves (they find the schema in place).
  const api = startRole('api', env, null);
  await waitFor('the API', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000);
  const workerMetricsPorts = await Promise.all(Array.from({ length: workerCount }, () => freePort()));
  const workers = workerMetricsPorts.map((metricsPort) => startRole('worker', { ...env, METRICS_PORT: String(metricsPort) }, profileDir));
  const db = new pg.Pool({ connectionString: databaseUrlFor(dbName), max: 4 });
  // The database is dropped (with force) at the end of the row: a client still connecting then is
  // terminated, and an 'error' with no listener would end the bench.
  db.on('error', () => undefined);
  const stopChild = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
    });
  return {
    port,
    api,
    workers,
    workerMetricsPorts,
    db,
    dbName,
    profileDir,
    async stop() {
      await Promise.all([api, ...workers].map(stopChild));
      await db.end();
      await withAdmin((c) => c.query(`drop database if exists ${dbName} with (force)`));
      await deleteRedisPrefix(env.QUEUE_PREFIX, REDIS_URL);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function postJson(port: number, path: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/* ------------------------------------------------------------------ the calls */

interface PlannedCall {
  providerCallId: string;
  expectedStatus: string;
  deliveries: BuiltDelivery[];
}

/**
 * `n` calls spread over four hours of one day (so that they pile up in the same rollup hours), each
 * a copy of one of the five conformance scenarios with its own ids and its own customer number
 * (a tenth of the numbers call twice, so first-contact resolution has repeats to find).
 */
function planCalls(n: number, tag: string): PlannedCall[] {
  const day = Date.parse('2025-03-10T12:00:00.000Z');
  const out: PlannedCall[] = [];
  for (let i = 0; i < n; i++) {
    const base = scenarios[i % scenarios.length]!;
    const number = `+1415${String(5_000_000 + ((i * 7919) % (Math.ceil(n * 0.9) + 1))).padStart(7, '0')}`;
    const start = new Date(day + Math.floor((i / n) * 4 * 3600_000)).toISOString();
    const s: Scenario = { ...base, id: `${base.id}:${tag}:${i}` as Scenario['id'], start, customer: number };
    const built = twilioBuilder.build(s);
    out.push({ providerCallId: built.providerCallId, expectedStatus: base.expected.status, deliveries: built.deliveries });
  }
  return out;
}

interface Wire {
  call: number;
  /** The call's last delivery in sending order: its acknowledgement starts the visibility clock. */
  last: boolean;
  path: string;
  headers: Record<string, string>;
  body: string;
}


/**
 * The wire order: calls start in order, but each call's deliveries are shuffled among the next few
 * calls' (out of order, interleaved), and 10 % of deliveries are sent twice.
 */
function wireOrder(calls: PlannedCall[], connectionId: string, seed: number): Wire[] {
  const rand = rng(seed);
  const path = `/webhooks/twilio/${connectionId}`;
  const url = `${PUBLIC_BASE_URL}${path}`;
  const items: { at: number; call: number; d: BuiltDelivery }[] = [];
  calls.forEach((c, i) => {
    for (const d of c.deliveries) {
      items.push({ at: i + rand() * 3, call: i, d });
      if (rand() < 0.1) items.push({ at: i + rand() * 3, call: i, d });
    }
  });
  items.sort((a, b) => a.at - b.at);
  const lastIndex = new Map<number, number>();
  items.forEach((it, idx) => lastIndex.set(it.call, idx));
  return items.map((it, idx) => ({
    call: it.call,
    last: lastIndex.get(it.call) === idx,
    path,
    headers: { 'content-type': it.d.contentType, ...it.d.headers, ...twilioBuilder.sign(it.d, url, Date.now()) },
    body: it.d.body,
  }));
}

/* ------------------------------------------------------------------ measuring */

interface Sample {
  t: number;
  backlog: number;
}

interface RowResult {
  label: string;
  workers: number;
  calls: number;
  seeded: number;
  deliveries: number;
  accepted: number;
  stored: number;
  acceptSeconds: number;
  acceptedPerSecond: number;
  drainSeconds: number;
  processedPerSecond: number;
  apiCpuPerDeliveryMs: number;
  workerCpuPerEventMs: number;
  /** The part of it spent on the workers' main threads (their JavaScript); the rest is V8's compiler and GC threads. */
  workerMainCpuPerEventMs: number;
  /** Mean events per processing batch (one transaction) over the row. */
  eventsPerBatch: number;
  backlog: Sample[];
  callVisibleMs: { p50: number; p99: number } | null;
  kpiVisibleMs: { p50: number; p99: number } | null;
  wrongCalls: number;
  leftPendingOrFailed: number;
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * Seeds `n` answered inbound calls of other numbers in the same four hours, straight into `calls`
 * (one INSERT … SELECT), then lets the worker build their rollups before the timed row starts.
 */
async function seedCalls(hub: Hub, tenantId: string, connectionId: string, n: number): Promise<void> {
  if (n === 0) return;
  await hub.db.query(
    `insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
       external_number, tracking_number, started_at, answered_at, ended_at, wait_seconds, talk_seconds,
       hold_seconds, after_call_work_seconds, handle_seconds, agent_id, agent_name, agents, offered_agents, tags)
     select gen_random_uuid(), $1, $2, 'twilio', 'seed-' || g, 'CAseed' || g, 'inbound', 'answered',
       '+1650' || lpad((6000000 + g)::text, 7, '0'), '+16505550100',
       ts, ts + interval '10 seconds', ts + interval '200 seconds', 10, 190, null, 0, 190,
       'agent_seed', null, '[]'::jsonb, '[]'::jsonb, '[]'::jsonb
     from (select g, timestamptz '2025-03-10 12:00:00+00' + (g::float / $3 * interval '4 hours') as ts
           from generate_series(1, $3::int) g) s`,
    [tenantId, connectionId, n],
  );
  await hub.db.query(
    `insert into kpi_dirty_hours (tenant_id, hour_key)
     select distinct $1::uuid, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24') from calls where tenant_id = $1`,
    [tenantId],
  );
  await waitFor('the seeded rollups', async () => {
    const r = await hub.db.query<{ n: string }>('select count(*) as n from kpi_dirty_hours where tenant_id = $1', [tenantId]);
    return Number(r.rows[0]!.n) === 0;
  }, 300_000, 500);
}

/**
 * Calls of the warm-up (another tenant's), through the same processes before each row's clock
 * starts (BENCH_PROCESS_WARMUP_CALLS to change it). 1,500, not 300: a worker's per-batch functions
 * run once per batch of up to 100 events, so 300 calls (about 30 batches) left V8 still optimising
 * them during the row. Measured with the held-workers diagnostic (BENCH_PROCESS_HOLD=1, one worker
 * draining the burst alone): 0.54 ms of CPU per event after 300 warm-up calls, 0.41 ms after 1,500,
 * 0.38 ms after 3,000; after 300, a perf profile of the drain put 30 % of the worker's CPU in V8's
 * background threads (optimising compiler, GC). A worker in production runs for days.
 */
const WARMUP_CALLS = Number(process.env.BENCH_PROCESS_WARMUP_CALLS ?? 1_500);

/**
 * Warm-up, as the ingest rows have theirs: another tenant's calls posted through the same API and
 * drained by the same workers (their rollups rebuilt too) before the row's clock starts. A fresh
 * process spends its first seconds compiling (V8's optimising compiler runs on threads that /proc
 * counts as the process's CPU); without this, each worker's one-off warm-up is charged to the
 * row's events, and two workers, each given half the events, would pay it twice per event.
 */
async function warmUp(hub: Hub): Promise<void> {
  const tenant = await postJson(hub.port, '/v1/tenants', ADMIN_TOKEN, { name: 'Process bench warm-up', currency: 'USD', timezone: 'UTC', country: 'US' });
  const connection = await postJson(hub.port, '/v1/connections', String(tenant.apiKey), { provider: 'twilio', name: 'warm-up', credentials: twilioBuilder.credentials });
  const wire = wireOrder(planCalls(WARMUP_CALLS, `warm${randomBytes(3).toString('hex')}`), String(connection.id), 7);
  const dispatcher = new Agent({ connections: 16, pipelining: 1 });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < wire.length) {
        const w = wire[next++]!;
        const res = await request(`http://127.0.0.1:${hub.port}${w.path}`, { method: 'POST', headers: w.headers, body: w.body, dispatcher });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`bench/process: a warm-up delivery answered ${res.statusCode}`);
      }
    }),
  );
  await dispatcher.close();
  await waitFor('the warm-up to drain', async () => {
    const r = await hub.db.query<{ n: string }>(
      `select (select count(*) from webhook_events where tenant_id = $1 and status = 'pending')
            + (select count(*) from kpi_dirty_hours where tenant_id = $1) as n`,
      [String(tenant.id)],
    );
    return Number(r.rows[0]!.n) === 0;
  }, 300_000, 200);
}

/** The workers' processing batches so far (callroi_event_batch_events, summed over the workers). */
async function batchTotals(hub: Hub): Promise<{ batches: number; events: number }> {
  let batches = 0;
  let events = 0;
  for (const port of hub.workerMetricsPorts) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    batches += Number(/^callroi_event_batch_events_count (\S+)$/m.exec(text)?.[1] ?? 0);
    events += Number(/^callroi_event_batch_events_sum (\S+)$/m.exec(text)?.[1] ?? 0);
  }
  return { batches, events };
}

async function runRow(label: string, opts: ProcessOptions, workers: number, seeded: number, mode: 'burst' | 'steady', rate: number | null): Promise<RowResult> {
  opts.log(`bench/process: ${label}`);
  const hub = await startHub(workers, opts.profile);
  // The sampler and the poller stop before the hub does, whatever ended the row (else their next
  // query hits a closed pool and hides the row's own error).
  let polling = true;
  const loops: Promise<void>[] = [];
  try {
    const tenant = await postJson(hub.port, '/v1/tenants', ADMIN_TOKEN, { name: 'Process bench', currency: 'USD', timezone: 'UTC', country: 'US' });
    const apiKey = String(tenant.apiKey);
    const connection = await postJson(hub.port, '/v1/connections', apiKey, { provider: 'twilio', name: 'bench', credentials: twilioBuilder.credentials });
    const tenantId = String(tenant.id);
    const connectionId = String(connection.id);
    await seedCalls(hub, tenantId, connectionId, seeded);
    await warmUp(hub);

    const tag = randomBytes(3).toString('hex');
    const planned = planCalls(opts.calls, tag);
    const wire = wireOrder(planned, connectionId, 42);

    // Visibility is measured on every tenth call.
    const sampled = new Set<number>(planned.map((_, i) => i).filter((i) => i % 10 === 0));
    const lastAckAt = new Map<number, number>();
    const visibleAt = new Map<number, number>();
    const kpiAt = new Map<number, number>();
    const dirtyMarkAtVisible = new Map<number, number>();

    const dispatcher = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
    const base = `http://127.0.0.1:${hub.port}`;
    let accepted = 0;
    const statuses = new Map<number, number>();
    const send = async (w: Wire) => {
      for (let attempt = 0; ; attempt++) {
        const res = await request(`${base}${w.path}`, { method: 'POST', headers: w.headers, body: w.body, dispatcher });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          accepted++;
          if (w.last && sampled.has(w.call)) lastAckAt.set(w.call, performance.now());
          return;
        }
        // A 503 is a provider retry; anything else is a bench bug.
        if (res.statusCode !== 503 || attempt > 20) throw new Error(`bench/process: delivery answered ${res.statusCode}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const cpu = () => ({
      api: pidCpuSeconds(hub.api.pid!) ?? 0,
      workers: hub.workers.reduce((a, w) => a + (pidCpuSeconds(w.pid!) ?? 0), 0),
      workersMain: hub.workers.reduce((a, w) => a + (pidMainThreadCpuSeconds(w.pid!) ?? 0), 0),
    });
    // Workers start idle: wait until they have started (their CPU stops moving) before measuring.
    await new Promise((r) => setTimeout(r, 3_000));
    const cpu0 = cpu();
    const batches0 = await batchTotals(hub);
    const t0 = performance.now();

    // Backlog sampler and visibility poller run beside the load.
    const backlog: Sample[] = [];
    const sampler = (async () => {
      while (polling) {
        const r = await hub.db.query<{ n: string }>(`select count(*) as n from webhook_events where tenant_id = $1 and status = 'pending'`, [tenantId]);
        backlog.push({ t: (performance.now() - t0) / 1000, backlog: Number(r.rows[0]!.n) });
        await new Promise((res) => setTimeout(res, 1_000));
      }
    })();
    loops.push(sampler);
    const poller = (async () => {
      while (polling) {
        const waitingVisible = [...lastAckAt.keys()].filter((i) => !visibleAt.has(i));
        if (waitingVisible.length > 0) {
          const ids = waitingVisible.map((i) => planned[i]!.providerCallId);
          const r = await hub.db.query<{ provider_call_id: string; status: string; hour: string }>(
            `select provider_call_id, status, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as hour
             from calls where tenant_id = $1 and provider_call_id = any($2::text[])`,
            [tenantId, ids],
          );
          const now = performance.now();
          const mark = await hub.db.query<{ m: string | null }>('select max(id) as m from kpi_dirty_hours');
          for (const row of r.rows) {
            const i = waitingVisible.find((k) => planned[k]!.providerCallId === row.provider_call_id)!;
            if (row.status !== planned[i]!.expectedStatus) continue;
            visibleAt.set(i, now);
            dirtyMarkAtVisible.set(i, Number(mark.rows[0]!.m ?? 0));
          }
        }
        const waitingKpi = [...visibleAt.keys()].filter((i) => !kpiAt.has(i));
        if (waitingKpi.length > 0) {
          const r = await hub.db.query<{ m: string | null }>('select min(id) as m from kpi_dirty_hours where tenant_id = $1', [tenantId]);
          const oldest = r.rows[0]!.m === null ? Number.POSITIVE_INFINITY : Number(r.rows[0]!.m);
          const now = performance.now();
          // Every mark up to the one present when the call became visible is gone: its hour was rebuilt.
          for (const i of waitingKpi) if (oldest > dirtyMarkAtVisible.get(i)!) kpiAt.set(i, now);
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    loops.push(poller);

    // BENCH_PROCESS_HOLD=1 (diagnostic, direct runs): the workers are stopped (SIGSTOP) while the burst
    // is accepted and resumed after it, so their CPU per event is read alone, on full batches, with
    // no API or load generator beside them (what a change to the worker's path saves, undisturbed).
    const hold = mode === 'burst' && process.env.BENCH_PROCESS_HOLD === '1';
    let heldAll = 0;
    if (hold) for (const w of hub.workers) process.kill(w.pid!, 'SIGSTOP');
    let acceptEnd: number;
    if (mode === 'burst') {
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < wire.length) await send(wire[next++]!);
        }),
      );
      acceptEnd = performance.now();
    } else {
      // Open loop: delivery k is sent at t0 + k / rate, whatever the answers to earlier ones.
      const inflight: Promise<void>[] = [];
      const interval = 1000 / rate!;
      const count = Math.min(wire.length, Math.floor((opts.steadyMs / 1000) * rate!));
      for (let k = 0; k < count; k++) {
        const due = t0 + k * interval;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        inflight.push(send(wire[k]!));
      }
      await Promise.all(inflight);
      acceptEnd = performance.now();
      wire.length = count;
    }
    const cpuAccepted = cpu();
    if (hold) for (const w of hub.workers) process.kill(w.pid!, 'SIGCONT');

    await waitFor('the backlog to drain', async () => {
      const r = await hub.db.query<{ n: string }>(`select count(*) as n from webhook_events where tenant_id = $1 and status = 'pending'`, [tenantId]);
      return Number(r.rows[0]!.n) === 0;
    }, 1_800_000, 100);
    const drainEnd = performance.now();
    const cpuDrained = cpu();
    const batchesDrained = await batchTotals(hub);
    await waitFor('sampled calls and their KPIs', async () => [...lastAckAt.keys()].every((i) => kpiAt.has(i)), 300_000, 100);
    if (hold) {
      // The rollups the burst left dirty, rebuilt: the whole of the workers' work for these events.
      await waitFor('the rollups', async () => {
        const r = await hub.db.query<{ n: string }>(
          `select (select count(*) from kpi_dirty_hours) + (select count(*) from lead_dirty_numbers) + (select count(*) from roi_dirty_days) as n`,
        );
        return Number(r.rows[0]!.n) === 0;
      }, 300_000, 100);
      heldAll = cpu().workers;
    }
    polling = false;
    await Promise.all([sampler, poller]);
    await dispatcher.close();

    const stored = await hub.db.query<{ n: string; bad: string }>(
      `select count(*) as n, count(*) filter (where status <> 'processed') as bad from webhook_events where tenant_id = $1`,
      [tenantId],
    );
    const sentCalls = new Set(wire.map((w) => w.call));
    const finalCalls = await hub.db.query<{ provider_call_id: string; status: string }>(
      `select provider_call_id, status from calls where tenant_id = $1 and call_key not like 'seed-%'`,
      [tenantId],
    );
    const statusOf = new Map(finalCalls.rows.map((r) => [r.provider_call_id, r.status]));
    // Calls whose every delivery was sent must have their scenario's status (steady rows stop
    // mid-call). Sent means the call's last wire item was: a count of its items sent would take a
    // duplicate for the delivery cut off after it.
    const finished = new Set(wire.filter((w) => w.last).map((w) => w.call));
    const complete = [...sentCalls].filter((i) => finished.has(i));
    const wrongCalls = complete.filter((i) => statusOf.get(planned[i]!.providerCallId) !== planned[i]!.expectedStatus).length;

    const distinctStored = Number(stored.rows[0]!.n);
    if (hold) {
      // Row writes of the calls table over the whole run (warm-up included): how often calls were recomputed.
      const writes = await hub.db.query<{ ins: string; upd: string }>(`select n_tup_ins as ins, n_tup_upd as upd from pg_stat_user_tables where relname = 'calls'`);
      opts.log(
        `  held workers: ${(((cpuDrained.workers - cpuAccepted.workers) / distinctStored) * 1000).toFixed(3)} ms CPU/event to drain, ` +
          `${(((heldAll - cpuAccepted.workers) / distinctStored) * 1000).toFixed(3)} ms with the rollups rebuilt; ` +
          `calls table since start: ${writes.rows[0]?.ins} inserts, ${writes.rows[0]?.upd} updates`,
      );
    }
    const acceptSeconds = (acceptEnd - t0) / 1000;
    const drainSeconds = (drainEnd - t0) / 1000;
    const visible = [...lastAckAt.entries()].map(([i, a]) => visibleAt.get(i)! - a);
    const kpi = [...lastAckAt.entries()].map(([i, a]) => kpiAt.get(i)! - a);
    const result: RowResult = {
      label,
      workers,
      calls: sentCalls.size,
      seeded,
      deliveries: wire.length,
      accepted,
      stored: distinctStored,
      acceptSeconds,
      acceptedPerSecond: accepted / acceptSeconds,
      drainSeconds,
      processedPerSecond: distinctStored / drainSeconds,
      apiCpuPerDeliveryMs: ((cpuAccepted.api - cpu0.api) / accepted) * 1000,
      workerCpuPerEventMs: ((cpuDrained.workers - cpu0.workers) / distinctStored) * 1000,
      workerMainCpuPerEventMs: ((cpuDrained.workersMain - cpu0.workersMain) / distinctStored) * 1000,
      eventsPerBatch: (batchesDrained.events - batches0.events) / Math.max(1, batchesDrained.batches - batches0.batches),
      backlog,
      callVisibleMs: visible.length ? { p50: pct(visible, 50), p99: pct(visible, 99) } : null,
      kpiVisibleMs: kpi.length ? { p50: pct(kpi, 50), p99: pct(kpi, 99) } : null,
      wrongCalls,
      leftPendingOrFailed: Number(stored.rows[0]!.bad),
    };
    opts.log(
      `  ${label}: ${accepted} accepted in ${acceptSeconds.toFixed(1)} s, ${distinctStored} events drained in ${drainSeconds.toFixed(1)} s ` +
        `(${result.processedPerSecond.toFixed(0)}/s), worker ${result.workerCpuPerEventMs.toFixed(2)} ms CPU/event (main thread ${result.workerMainCpuPerEventMs.toFixed(2)}), ${result.eventsPerBatch.toFixed(1)} events/batch, ` +
        `API ${result.apiCpuPerDeliveryMs.toFixed(2)} ms CPU/delivery, visible p99 ${result.callVisibleMs?.p99.toFixed(0)} ms, ` +
        `KPI p99 ${result.kpiVisibleMs?.p99.toFixed(0)} ms, wrong ${wrongCalls}, left ${result.leftPendingOrFailed}, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    return result;
  } finally {
    polling = false;
    await Promise.allSettled(loops);
    await hub.stop();
    if (hub.profileDir) {
      const files = readdirSync(hub.profileDir).filter((f) => f.endsWith('.cpuprofile'));
      for (const f of files) opts.log(`\nworker profile (${label}):\n${summariseProfile(join(hub.profileDir, f), 25)}\n`);
      if (process.env.BENCH_PROCESS_KEEP_PROFILE) for (const f of files) copyFileSync(join(hub.profileDir, f), join(process.env.BENCH_PROCESS_KEEP_PROFILE, f));
      rmSync(hub.profileDir, { recursive: true, force: true });
    }
  }
}

function ms(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '–' : v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(1)} s`;
}

function backlogLine(s: Sample[]): string {
  const step = Math.max(1, Math.ceil(s.length / 12));
  return s.filter((_, i) => i % step === 0).map((x) => `${x.t.toFixed(0)}s:${x.backlog}`).join(' · ');
}

export async function run(partial: Partial<ProcessOptions> = {}): Promise<string> {
  const opts: ProcessOptions = { ...defaults, ...partial };
  const rows: RowResult[] = [];
  // BENCH_PROCESS_STEADY_RATE (direct runs): only the steady row, at that rate.
  if (opts.steadyRate) {
    const w = Number(process.env.BENCH_PROCESS_WORKERS ?? 1);
    rows.push(await runRow(`steady ${opts.steadyRate}/s, ${w === 1 ? '1 worker' : `${w} workers`}`, opts, w, 0, 'steady', opts.steadyRate));
    return rows.map((r) => JSON.stringify({ ...r, backlog: backlogLine(r.backlog) })).join('\n');
  }
  const first = Number(process.env.BENCH_PROCESS_WORKERS ?? 1);
  const burst = await runRow(`burst, ${opts.calls} calls, ${first === 1 ? '1 worker' : `${first} workers`}`, opts, first, 0, 'burst', null);
  rows.push(burst);
  // The held-workers diagnostic (BENCH_PROCESS_HOLD) is its burst row alone (BENCH_PROCESS_WORKERS workers).
  if (process.env.BENCH_PROCESS_HOLD === '1' || process.env.BENCH_PROCESS_BURST_ONLY === '1') return JSON.stringify({ ...burst, backlog: backlogLine(burst.backlog) });
  const rate = Math.max(10, Math.floor(burst.acceptedPerSecond / 2));
  rows.push(await runRow(`steady ${rate}/s, 1 worker`, opts, 1, 0, 'steady', rate));
  if (opts.seededCalls > 0) rows.push(await runRow(`burst, ${opts.calls} calls, ${opts.seededCalls} already in those hours, 1 worker`, opts, 1, opts.seededCalls, 'burst', null));
  for (const w of opts.workers.filter((n) => n > 1)) rows.push(await runRow(`burst, ${opts.calls} calls, ${w} workers`, opts, w, 0, 'burst', null));
  // The same steady rate with more workers: the machine is not saturated and every worker's batches
  // are as large as one worker's (jobs of a batch), so CPU per event compares like with like.
  for (const w of opts.workers.filter((n) => n > 1)) rows.push(await runRow(`steady ${rate}/s, ${w} workers`, opts, w, 0, 'steady', rate));

  const table = [
    '| row | deliveries (2xx / stored) | accepted/s | processed/s (÷ accepted/s) | API CPU per delivery | worker CPU per event | events per batch | call visible p50 / p99 | KPIs visible p50 / p99 | wrong calls · left pending |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.accepted} / ${r.stored} | ${r.acceptedPerSecond.toFixed(0)} | ${r.processedPerSecond.toFixed(0)} (${((r.processedPerSecond / r.acceptedPerSecond) * 100).toFixed(0)} %) | ` +
        `${r.apiCpuPerDeliveryMs.toFixed(2)} ms | ${r.workerCpuPerEventMs.toFixed(2)} ms (${(r.workerCpuPerEventMs / r.apiCpuPerDeliveryMs).toFixed(1)}×) | ${r.eventsPerBatch.toFixed(0)} | ` +
        `${ms(r.callVisibleMs?.p50)} / ${ms(r.callVisibleMs?.p99)} | ${ms(r.kpiVisibleMs?.p50)} / ${ms(r.kpiVisibleMs?.p99)} | ${r.wrongCalls} · ${r.leftPendingOrFailed} |`,
    ),
  ];
  return [
    '## Process: from acknowledgement to figures (production mode)',
    '',
    `One API process and ${opts.workers.join(' or ')} worker process(es) (the compiled \`dist/src/main.js api|worker\`, as the Docker image runs them) on PostgreSQL + Redis, sharing the machine with the load generator. ` +
      'Twilio call lifecycles (4–9 signed callbacks per call, 10 % duplicated, shuffled among neighbouring calls) over four hours of one day. ' +
      '"Processed/s" counts stored events from the first delivery to an empty backlog; CPU is read from /proc for the whole row, ' +
        `after a warm-up (${WARMUP_CALLS} calls of another tenant through the same processes, drained before the clock starts: the processes' one-off compilation is not charged to the row's events). ` +
      'Visibility is measured on every tenth call from the acknowledgement of its last delivery. ' +
      '"Events per batch": the mean size of the workers\' processing transactions over the row (their `callroi_event_batch_events` histogram). ' +
      "A worker's CPU is its main thread (the hub's JavaScript) and its other threads, read apart from /proc/<pid>/task: V8's optimising compiler and GC helpers. " +
      'V8 keeps recompiling through a row, long after the warm-up (a direct run with --trace-opt counted ~200 optimising compilations in 30 s of a steady row, after deoptimisations on object shapes it had not seen), ' +
      'and each worker process does its own, so a second worker adds that part again: the lines below compare the two parts.',
    '',
    ...table,
    '',
    ...rows
      .filter((r) => r.workers > 1 && r.seeded === 0)
      .map((r) => {
        const one = rows.find((o) => o.workers === 1 && o.seeded === 0 && o.label.split(',')[0] === r.label.split(',')[0])!;
        const other = (x: RowResult) => x.workerCpuPerEventMs - x.workerMainCpuPerEventMs;
        return (
          `- Worker CPU per event with ${r.workers} workers against 1 (${r.label.split(',')[0]}): ${(r.workerCpuPerEventMs / one.workerCpuPerEventMs).toFixed(2)}× (${r.workerCpuPerEventMs.toFixed(3)} against ${one.workerCpuPerEventMs.toFixed(3)} ms); ` +
          `main threads ${(r.workerMainCpuPerEventMs / one.workerMainCpuPerEventMs).toFixed(2)}× (${r.workerMainCpuPerEventMs.toFixed(3)} against ${one.workerMainCpuPerEventMs.toFixed(3)} ms), ` +
          `other threads (V8's optimising compiler, GC helpers) ${(other(r) / other(one)).toFixed(2)}× (${other(r).toFixed(3)} against ${other(one).toFixed(3)} ms).`
        );
      }),
    '',
    'Backlog (stored events not yet processed) over time:',
    '',
    ...rows.map((r) => `- ${r.label}: ${backlogLine(r.backlog)}`),
  ].join('\n');
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const calls = Number(process.env.BENCH_PROCESS_CALLS ?? defaults.calls);
  const seededCalls = Number(process.env.BENCH_PROCESS_SEEDED ?? 0);
  run({ calls, seededCalls, workers: [1], profile: process.env.BENCH_PROCESS_PROFILE === '1', steadyRate: process.env.BENCH_PROCESS_STEADY_RATE ? Number(process.env.BENCH_PROCESS_STEADY_RATE) : undefined, steadyMs: Number(process.env.BENCH_PROCESS_STEADY_MS ?? 20_000) }).then(
    (md) => {
      console.log(md);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
