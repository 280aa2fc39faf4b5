/**
 * Ingest benchmark: signed webhooks per second accepted with durable storage and verified
 * signatures, against two ceilings measured in the same run on the same machine.
 *
 * Each run: a fresh PostgreSQL database, a server child process listening on 127.0.0.1:0, a load
 * child process (100 keep-alive connections, pre-signed distinct deliveries, warm-up then a timed
 * window). The orchestrator (this process) stays idle during the window; it samples /proc and
 * PostgreSQL's counters at the window's edges, then checks that every 2xx is a stored row.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { benchProviders, deliveryFactory, forged, type BenchProvider, type Delivery } from './ingest/deliveries.js';
import { summariseProfile } from './ingest/profile.js';
import type { LoadEvent, LoadJob, LoadResult, ServerCommand, ServerReady, ServerReport } from './ingest/protocol.js';
import { ADMIN_DATABASE_URL, cpuBetween, databaseUrlFor, withAdmin, cpuOf, machineCpuSeconds, pidsNamed, REDIS_URL } from './machine.js';

export interface IngestOptions {
  warmupMs: number;
  durationMs: number;
  connections: number;
  /** Pre-signed deliveries per run: the hard bound on requests (a run stops when they run out). */
  maxRequests: number;
  /** Also run the hub with its workers in the same process. */
  withWorkers: boolean;
  /** Profile the server's main thread during each hub window (and ceiling 2's) and summarise its hot spots. */
  profile: boolean;
  /**
   * After the measured runs, profile ceiling 2 and the hub (Twilio, Aircall) again in separate, shorter
   * windows, so BENCHMARKS.md says where the accept time goes without the profiler slowing the rates.
   */
  hotSpots: boolean;
  /** Only these runs (RunSpec keys); all when empty. */
  runs: string[];
  log: (line: string) => void;
}

const defaults: IngestOptions = {
  warmupMs: 2_000,
  durationMs: 10_000,
  connections: 100,
  maxRequests: 150_000,
  withWorkers: true,
  profile: false,
  hotSpots: true,
  runs: [],
  log: (line) => console.error(line),
};

type ServerKind = 'hub' | 'hub-workers' | 'bare' | 'express' | 'api-role';

interface RunSpec {
  /** Short name for --runs (ceiling1, ceiling2, hub-twilio, …, hub-workers). */
  key: string;
  label: string;
  server: ServerKind;
  provider: BenchProvider;
  /** api-role: API_PROCESSES of the compiled `dist/src/main.js api`. */
  processes?: number;
}

interface PgCounters {
  commits: number;
  walRecords: number;
  walBytes: number;
  walSyncs: number;
  walWrites: number;
}

interface RunResult {
  spec: RunSpec;
  load: LoadResult;
  server: ServerReport;
  accepted: number;
  acceptedPerSecond: number;
  cpu: { server: number; load: number; postgres: number; redis: number; machineBusy: number; machineTotal: number };
  pg: PgCounters;
  stored: number | null;
  forgedStatus: number | null;
  profile: string | null;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SERVER_SCRIPTS: Record<ServerKind, string> = {
  hub: here('./ingest/server-hub.ts'),
  'hub-workers': here('./ingest/server-hub.ts'),
  bare: here('./ingest/server-bare.ts'),
  express: here('./ingest/server-express.ts'),
  'api-role': here('./ingest/server-api-role.ts'),
};



async function pgCounters(dbName: string): Promise<PgCounters> {
  return withAdmin(async (c) => {
    // Pending statistics are flushed at most once a second; a 10 s window makes that error small.
    const wal = await c.query<{ wal_records: string; wal_bytes: string; wal_sync: string; wal_write: string }>(
      'select wal_records, wal_bytes, wal_sync, wal_write from pg_stat_wal',
    );
    const db = await c.query<{ xact_commit: string }>('select xact_commit from pg_stat_database where datname = $1', [dbName]);
    const w = wal.rows[0];
    return {
      commits: Number(db.rows[0]?.xact_commit ?? 0),
      walRecords: Number(w?.wal_records ?? 0),
      walBytes: Number(w?.wal_bytes ?? 0),
      walSyncs: Number(w?.wal_sync ?? 0),
      walWrites: Number(w?.wal_write ?? 0),
    };
  });
}

function diffCounters(a: PgCounters, b: PgCounters): PgCounters {
  return {
    commits: b.commits - a.commits,
    walRecords: b.walRecords - a.walRecords,
    walBytes: b.walBytes - a.walBytes,
    walSyncs: b.walSyncs - a.walSyncs,
    walWrites: b.walWrites - a.walWrites,
  };
}

/** The next message of a child that satisfies `pick`, or the child's death as an error. */
function nextMessage<T>(child: ChildProcess, pick: (m: unknown) => m is T, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!pick(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what}: child exited (${code}) first`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

const isType =
  <T extends { type: string }>(type: T['type']) =>
  (m: unknown): m is T =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function postOnce(port: number, d: Delivery): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${d.path}`, { method: 'POST', headers: d.headers, body: new Uint8Array(d.body) });
  await res.arrayBuffer();
  return res.status;
}

async function clearRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function runOne(spec: RunSpec, opts: IngestOptions, profileDir: string | null): Promise<RunResult> {
  const tag = randomBytes(5).toString('hex');
  const dbName = `callroi_bench_${tag}`;
  const queuePrefix = `callroi-bench-${tag}`;
  await withAdmin((c) => c.query(`create database ${dbName}`));
  const isHub = spec.server === 'hub' || spec.server === 'hub-workers' || spec.server === 'api-role';
  const execArgv = ['--import', 'tsx'];
  const profileFile = profileDir ? `${profileDir}/server.cpuprofile` : null;
  const server = fork(SERVER_SCRIPTS[spec.server], [], {
    execArgv,
    env: {
      ...process.env,
      BENCH_DATABASE_URL: databaseUrlFor(dbName),
      BENCH_REDIS_URL: REDIS_URL,
      BENCH_QUEUE_PREFIX: queuePrefix,
      BENCH_WORKERS: spec.server === 'hub-workers' ? '1' : '0',
      BENCH_API_PROCESSES: String(spec.processes ?? 1),
      ...(profileFile ? { BENCH_PROFILE_FILE: profileFile } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let load: ChildProcess | null = null;
  try {
    const ready = await nextMessage(server, isType<ServerReady>('ready'), `${spec.label} server`);
    const connectionId = ready.connections[spec.provider] ?? '00000000-0000-4000-8000-000000000000';

    // Verification must be on: a forged delivery is refused before the clock starts.
    let forgedStatus: number | null = null;
    if (isHub) {
      const check = deliveryFactory(spec.provider, connectionId, `${tag}-check`, Math.floor(Date.now() / 1000)).make(0);
      forgedStatus = await postOnce(ready.port, forged(spec.provider, check));
      if (forgedStatus !== 401) throw new Error(`${spec.label}: a forged delivery answered ${forgedStatus}, not 401`);
    }
    // Start every run from the same WAL state (no checkpoint left over from the last run).
    await withAdmin((c) => c.query('checkpoint'));

    load = fork(here('./ingest/load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const job: LoadJob = {
      type: 'job',
      port: ready.port,
      provider: spec.provider,
      connectionId,
      runTag: tag,
      count: opts.maxRequests,
      connections: opts.connections,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
    };
    // PostgreSQL's CPU is read per process: the backends serving the bench database (listed when
    // the window opens, after the warm-up has grown the server's pool) and the cluster's WAL writer,
    // checkpointer and background writer. Other users' backends are left out.
    const pgPidsNow = () =>
      withAdmin(async (c) =>
        (
          await c.query<{ pid: number }>(
            `select pid from pg_stat_activity
             where datname = $1 or backend_type in ('walwriter', 'checkpointer', 'background writer')`,
            [dbName],
          )
        ).rows.map((r) => r.pid),
      );
    const redisPids = pidsNamed('redis-server');
    let pgPids: number[] = [];
    let pgCpuStart = new Map<number, number>();
    let pgCpuEnd = pgCpuStart;
    let redisCpuStart = cpuOf(redisPids);
    let redisCpuEnd = redisCpuStart;
    let machineStart = machineCpuSeconds();
    let machineEnd = machineStart;
    let pgStart: Promise<PgCounters> = pgCounters(dbName);
    let pgEnd: Promise<PgCounters> = pgStart;
    let windowOpened: Promise<void> = Promise.resolve();
    let windowClosed: Promise<void> = Promise.resolve();
    const serverChild = server;
    load.on('message', (m: LoadEvent) => {
      if (m.type === 'window-start') {
        serverChild.send({ type: 'mark' } satisfies ServerCommand);
        redisCpuStart = cpuOf(redisPids);
        machineStart = machineCpuSeconds();
        pgStart = pgCounters(dbName);
        windowOpened = pgPidsNow().then((pids) => {
          pgPids = pids;
          pgCpuStart = cpuOf(pgPids);
        });
      } else if (m.type === 'window-end') {
        redisCpuEnd = cpuOf(redisPids);
        machineEnd = machineCpuSeconds();
        pgEnd = pgCounters(dbName);
        windowClosed = windowOpened.then(() => {
          pgCpuEnd = cpuOf(pgPids);
        });
      }
    });
    const resultPromise = nextMessage(load, isType<LoadResult>('result'), `${spec.label} load`);
    load.send(job);
    const result = await resultPromise;
    server.send({ type: 'stop' } satisfies ServerCommand);
    const report = await nextMessage(server, isType<ServerReport>('report'), `${spec.label} server report`);
    await Promise.all([exited(server, 20_000), exited(load, 10_000)]);

    await windowClosed;
    const pgDelta = diffCounters(await pgStart, await pgEnd);
    const accepted = Object.entries(result.windowStatuses)
      .filter(([status]) => status.startsWith('2'))
      .reduce((a, [, n]) => a + n, 0);

    // Every 2xx must be a stored row (the hub's "2xx only after durable storage").
    let stored: number | null = null;
    if (spec.server !== 'express') {
      const table = isHub ? 'webhook_events' : 'bench_inbox';
      stored = await withAdmin(
        async (c) => Number((await c.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n ?? 0),
        databaseUrlFor(dbName),
      );
    }

    let profile: string | null = null;
    if (profileFile && existsSync(profileFile)) profile = summariseProfile(profileFile, 12);

    return {
      spec,
      load: result,
      server: report,
      accepted,
      acceptedPerSecond: accepted / (result.windowMs / 1000),
      cpu: {
        server: (report.cpuUserMs + report.cpuSystemMs) / 1000,
        load: (result.cpuUserMs + result.cpuSystemMs) / 1000,
        postgres: cpuBetween(pgCpuStart, pgCpuEnd),
        redis: cpuBetween(redisCpuStart, redisCpuEnd),
        machineBusy: machineEnd.busy - machineStart.busy,
        machineTotal: machineEnd.total - machineStart.total,
      },
      pg: pgDelta,
      stored,
      forgedStatus,
      profile,
    };
  } finally {
    if (load) await exited(load, 1_000);
    await exited(server, 1_000);
    await withAdmin((c) => c.query(`drop database if exists ${dbName} with (force)`));
    if (isHub) await clearRedisPrefix(queuePrefix);
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const pct = (n: number) => `${fmt(n * 100, 0)} %`;

function storedCell(r: RunResult): string {
  if (r.stored === null) return 'not stored';
  // Only the forged pre-check delivery was sent outside the load, and it was refused: rows = 2xx.
  const ok = r.stored === r.load.totalAccepted;
  return `${fmt(r.stored)} rows for ${fmt(r.load.totalAccepted)} × 2xx ${ok ? '✔' : '✘ MISMATCH'}`;
}

function markdown(results: RunResult[], opts: IngestOptions, hotSpots: RunResult[] = []): string {
  const by = (label: string) => results.find((r) => r.spec.label === label);
  const ceiling1 = by('ceiling 1: node:http + batched INSERT');
  const ceiling2 = by('ceiling 2: express 5 + express.raw, no storage');
  const hubTwilio = by('hub: twilio');
  const lines: string[] = [];
  lines.push('## Ingest: signed webhooks accepted per second');
  lines.push('');
  lines.push(
    `Each run: a fresh PostgreSQL database, the server in its own process on 127.0.0.1, a load generator in another ` +
      `process with ${opts.connections} keep-alive connections (closed loop: each connection sends its next request when ` +
      `the previous answer is complete), ${fmt(opts.warmupMs / 1000, 0)} s warm-up, then a ${fmt(opts.durationMs / 1000, 0)} s window. ` +
      `Every request is a distinct, validly signed delivery (distinct call ids and delivery ids: all inserted, none deduplicated), ` +
      `pre-signed before the clock starts (Twilio with the SDK's getExpectedTwilioSignature). "hub" is createDeps + createApp with ` +
      `BullMQ on the local Redis; its workers do NOT run (acceptance only: the jobs stay queued) except in the "+ workers" row. ` +
      `Before each hub run a forged delivery is refused with 401; after each run the stored rows are counted against the 2xx answers.`,
  );
  lines.push('');
  lines.push('| run | accepted/s | p50 ms | p99 ms | max ms | non-2xx | peak RSS (server) | stored |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const non2xx = Object.entries(r.load.windowStatuses)
      .filter(([s]) => !s.startsWith('2'))
      .map(([s, n]) => `${n}×${s}`)
      .join(' ');
    lines.push(
      `| ${r.spec.label} | ${fmt(r.acceptedPerSecond)} | ${fmt(r.load.p50Ms, 1)} | ${fmt(r.load.p99Ms, 1)} | ${fmt(r.load.maxMs, 1)} | ${non2xx || '0'}${r.load.socketErrors ? ` (+${r.load.socketErrors} socket errors)` : ''} | ${fmt(r.server.maxRssMiB)} MiB | ${storedCell(r)}${r.load.exhausted ? ' (ran out of pre-signed deliveries)' : ''} |`,
    );
  }
  lines.push('');
  if (hubTwilio && ceiling1 && ceiling2) {
    const r1 = hubTwilio.acceptedPerSecond / ceiling1.acceptedPerSecond;
    const r2 = hubTwilio.acceptedPerSecond / ceiling2.acceptedPerSecond;
    lines.push('Ratios (hub, Twilio, against ceilings measured with the same Twilio bodies):');
    lines.push('');
    lines.push(`- hub / ceiling 1 (machine: durable batched INSERT): **${pct(r1)}** (target ≥ 60 %: ${r1 >= 0.6 ? 'met' : 'missed'})`);
    lines.push(`- hub / ceiling 2 (framework: express, no storage): **${pct(r2)}** (target ≥ 80 %, issue 10: ${r2 >= 0.8 ? 'met' : 'missed'})`);
    for (const p of benchProviders.filter((p) => p !== 'twilio')) {
      const r = by(`hub: ${p}`);
      if (r) lines.push(`- hub ${p} / ceiling 1: ${pct(r.acceptedPerSecond / ceiling1.acceptedPerSecond)}; / ceiling 2: ${pct(r.acceptedPerSecond / ceiling2.acceptedPerSecond)} (Twilio bodies)`);
    }
    const hubAircall = by('hub: aircall');
    const aircall1 = by('ceiling 1, Aircall bodies');
    const aircall2 = by('ceiling 2, Aircall bodies');
    if (hubAircall && aircall1 && aircall2) {
      const a1 = hubAircall.acceptedPerSecond / aircall1.acceptedPerSecond;
      const a2 = hubAircall.acceptedPerSecond / aircall2.acceptedPerSecond;
      lines.push(
        `- hub aircall against ceilings measured with Aircall's own bodies: / ceiling 1 **${pct(a1)}** (target ≥ 60 %: ${a1 >= 0.6 ? 'met' : 'missed'}); ` +
          `/ ceiling 2 **${pct(a2)}** (target ≥ 80 %: ${a2 >= 0.8 ? 'met' : 'missed'})`,
      );
    }
    lines.push('');
  }
  const apiOne = results.find((r) => r.spec.key === 'api-1');
  const apiCluster = results.find((r) => r.spec.key === 'api-cluster');
  if (apiOne && apiCluster) {
    lines.push(
      `The \`api\` role as production starts it (the compiled \`dist/src/main.js api\`, as the Docker image runs it; CPU and peak RSS are its whole process tree's and its largest process's): ` +
        `a cluster of ${apiCluster.spec.processes} API processes accepts **${fmt(apiCluster.acceptedPerSecond)}/s**, ` +
        `${fmt(apiCluster.acceptedPerSecond / apiOne.acceptedPerSecond, 2)}× one process's ${fmt(apiOne.acceptedPerSecond)}/s ` +
        `(the load generator, PostgreSQL and Redis share the same ${availableParallelism()} cores).`,
    );
    lines.push('');
  }
  lines.push(`Where the CPU went during each window (CPU seconds, user + system; the machine has ${results[0] ? fmt(results[0].cpu.machineTotal / (results[0].load.windowMs / 1000), 1) : '?'} core-seconds per second):`);
  lines.push('');
  lines.push('| run | server | load generator | PostgreSQL (all backends) | Redis | other processes | machine busy | commits/s | rows per commit | WAL syncs/s | WAL MiB/s |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const secs = r.load.windowMs / 1000;
    // Whatever else ran on the machine meanwhile (other users' builds and tests share the 2 cores).
    const others = Math.max(0, r.cpu.machineBusy - r.cpu.server - r.cpu.load - r.cpu.postgres - r.cpu.redis);
    const rowsPerCommit = r.pg.commits > 0 && r.spec.server !== 'express' ? r.accepted / r.pg.commits : Number.NaN;
    lines.push(
      `| ${r.spec.label} | ${fmt(r.cpu.server, 1)} s (${pct(r.cpu.server / secs)}) | ${fmt(r.cpu.load, 1)} s (${pct(r.cpu.load / secs)}) | ${fmt(r.cpu.postgres, 1)} s (${pct(r.cpu.postgres / secs)}) | ${fmt(r.cpu.redis, 1)} s | ${fmt(others, 1)} s (${pct(others / secs)}) | ${pct(r.cpu.machineBusy / r.cpu.machineTotal)} | ${fmt(r.pg.commits / secs)} | ${fmt(rowsPerCommit, 1)} | ${fmt(r.pg.walSyncs / secs)} | ${fmt(r.pg.walBytes / secs / 1024 / 1024, 1)} |`,
    );
  }
  lines.push('');
  lines.push(
    '(Percentages are of one core, except "machine busy", of all cores. Commits and WAL counters come from pg_stat_database / pg_stat_wal, which PostgreSQL ' +
      'flushes about once a second, so they are approximate at the window edges; WAL counters are cluster-wide.)',
  );
  lines.push('');
  lines.push('CPU cost per accepted request during the window (less sensitive than the rates to other load on the machine, though contention still inflates it):');
  lines.push('');
  lines.push('| run | server process | + PostgreSQL + Redis | + load generator |');
  lines.push('|---|---:|---:|---:|');
  const perRequest = (r: RunResult, s: number) => (r.accepted > 0 ? `${fmt((s / r.accepted) * 1e6)} µs` : 'n/a');
  for (const r of results) {
    const own = r.cpu.server + r.cpu.postgres + r.cpu.redis;
    lines.push(`| ${r.spec.label} | ${perRequest(r, r.cpu.server)} | ${perRequest(r, own)} | ${perRequest(r, own + r.cpu.load)} |`);
  }
  for (const r of results.filter((x) => x.profile)) {
    lines.push('');
    lines.push(`Hot spots of ${r.spec.label} (V8 CPU profile of the server's main thread during the window, self time):`);
    lines.push('');
    lines.push(r.profile!);
  }
  if (hotSpots.length > 0) {
    lines.push('');
    lines.push(
      `Where the accept time goes: V8 CPU profiles of the server's main thread (self time), taken after the measured runs in separate ${fmt(HOT_SPOT_MS / 1000)} s windows ` +
        `so the profiler does not slow the rates above. "(native / GC / idle)" is time outside JavaScript: syscalls, garbage collection, and waiting.`,
    );
    for (const r of hotSpots) {
      lines.push('');
      lines.push(`${r.spec.label} (${fmt(r.acceptedPerSecond)}/s while profiled):`);
      lines.push('');
      lines.push(r.profile!);
    }
  }
  return lines.join('\n');
}

/** The profiled windows' length (the rates of those windows are shown but not used). */
const HOT_SPOT_MS = 5_000;

export async function run(options: Partial<IngestOptions> = {}): Promise<string> {
  const opts = { ...defaults, ...options };
  const specs: RunSpec[] = [
    { key: 'ceiling2', label: 'ceiling 2: express 5 + express.raw, no storage', server: 'express', provider: 'twilio' },
    { key: 'ceiling1', label: 'ceiling 1: node:http + batched INSERT', server: 'bare', provider: 'twilio' },
    // Aircall's JSON bodies are several times a Twilio form's: its rates are compared with ceilings
    // measured with its own bodies (bytes to read, hash and store), not with Twilio's.
    { key: 'ceiling2-aircall', label: 'ceiling 2, Aircall bodies', server: 'express', provider: 'aircall' },
    { key: 'ceiling1-aircall', label: 'ceiling 1, Aircall bodies', server: 'bare', provider: 'aircall' },
    ...benchProviders.map((provider): RunSpec => ({ key: `hub-${provider}`, label: `hub: ${provider}`, server: 'hub', provider })),
  ];
  // The api role as production runs it: one process, then the cluster (one child per core).
  specs.push({ key: 'api-1', label: 'api role, 1 process: twilio', server: 'api-role', provider: 'twilio', processes: 1 });
  specs.push({ key: 'api-cluster', label: `api role, cluster of ${availableParallelism()}: twilio`, server: 'api-role', provider: 'twilio', processes: availableParallelism() });
  if (opts.withWorkers) specs.push({ key: 'hub-workers', label: 'hub + workers in-process: twilio', server: 'hub-workers', provider: 'twilio' });
  const selected = opts.runs.length > 0 ? specs.filter((s) => opts.runs.includes(s.key)) : specs;
  if (selected.length === 0) throw new Error(`--runs matched nothing (known: ${specs.map((s) => s.key).join(', ')})`);

  const results: RunResult[] = [];
  for (const spec of selected) {
    let profileDir: string | null = null;
    // Ceiling 2 too: the hub's hot spots read against bare express's own.
    if (opts.profile && (spec.server === 'hub' || spec.server === 'hub-workers' || spec.server === 'express')) {
      profileDir = mkdtempSync(join(tmpdir(), 'callroi-bench-profile-'));
    }
    opts.log(`ingest: ${spec.label} …`);
    const r = await runOne(spec, opts, profileDir);
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    opts.log(`ingest: ${spec.label}: ${fmt(r.acceptedPerSecond)}/s, p50 ${fmt(r.load.p50Ms, 1)} ms, p99 ${fmt(r.load.p99Ms, 1)} ms`);
    results.push(r);
  }

  const hotSpots: RunResult[] = [];
  if (opts.hotSpots && !opts.profile) {
    for (const spec of selected.filter((s) => ['ceiling2', 'hub-twilio', 'hub-aircall'].includes(s.key))) {
      const profileDir = mkdtempSync(join(tmpdir(), 'callroi-bench-profile-'));
      opts.log(`ingest: profiling ${spec.label} …`);
      try {
        const r = await runOne(spec, { ...opts, durationMs: HOT_SPOT_MS }, profileDir);
        if (r.profile) hotSpots.push(r);
      } finally {
        rmSync(profileDir, { recursive: true, force: true });
      }
    }
  }
  return markdown(results, opts, hotSpots);
}
