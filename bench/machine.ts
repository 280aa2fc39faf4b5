/**
 * What the numbers were measured on, and CPU time read from /proc (Linux) so that a section can say
 * which process spent the machine's cores: measured, not guessed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config/env.js';

export const ADMIN_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The command line of a hub role (`api`, `worker`) as production runs it: the compiled JavaScript
 * (`npm run build`, what the Docker image runs), built first when a source is newer than the build.
 * BENCH_COMPILED=0 runs the TypeScript through tsx instead (as `npm run start:api` does), which
 * costs memory (the loader) but no build.
 */
export function hubRoleArgs(role: 'api' | 'worker', nodeArgs: string[] = []): string[] {
  if (process.env.BENCH_COMPILED === '0') return ['--import', 'tsx', ...nodeArgs, 'src/main.ts', role];
  const main = join(ROOT, 'dist', 'src', 'main.js');
  const sources = Math.max(...['src', 'connectors', 'migrations'].map((d) => newestMtime(join(ROOT, d))));
  if (!existsSync(main) || statSync(main).mtimeMs < sources) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return [...nodeArgs, 'dist/src/main.js', role];
}

/** The URL of database `name` on the benchmark's PostgreSQL server. */
export function databaseUrlFor(name: string): string {
  const u = new URL(ADMIN_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One admin connection for `fn` (create and drop the benchmark's databases, read counters). */
export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>, url = ADMIN_DATABASE_URL): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
  postgresSettings: Record<string, string>;
}

const PG_SETTINGS = ['fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_wal_size'];

export async function machineInfo(): Promise<MachineInfo> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    const version = await client.query<{ server_version: string }>('show server_version');
    const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
      'select name, setting, unit from pg_settings where name = any($1)',
      [PG_SETTINGS],
    );
    return {
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      postgres: version.rows[0]?.server_version ?? 'unknown',
      postgresSettings: Object.fromEntries(settings.rows.map((r) => [r.name, r.unit ? `${r.setting} × ${r.unit}` : r.setting])),
    };
  } finally {
    await client.end();
  }
}

export function machineMarkdown(m: MachineInfo): string {
  const pgSettings = Object.entries(m.postgresSettings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `- CPU: ${m.cores} cores (${m.cpuModel})`,
    `- Memory: ${m.memoryGiB} GiB`,
    `- Node.js: ${m.node}; OS: ${m.os}`,
    `- PostgreSQL: ${m.postgres} (${pgSettings})`,
  ].join('\n');
}

let clockTicks: number | null = null;
/** Kernel clock ticks per second (USER_HZ), the unit of /proc CPU times. */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) spent so far by one process, or null when it is gone. */
export function pidCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds spent so far by a process's main thread alone (its JavaScript), or null when it is
 * gone: the rest of pidCpuSeconds is its other threads (for Node, V8's optimising compiler and GC
 * helpers, and libuv's pool).
 */
export function pidMainThreadCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path: string): number | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // comm is in parentheses and may contain spaces: the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] and [12] are utime and stime (stat fields 14 and 15).
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Pids of every process whose command name is `name` (e.g. redis-server). */
export function pidsNamed(name: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === name) out.push(Number(d));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** A process and all its descendants (from each process's parent pid in /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** Peak resident set size (VmHWM) of one process in MiB, or null when it is gone. */
export function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds of a fixed set of processes, sampled now. */
export function cpuOf(pids: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) {
    const s = pidCpuSeconds(pid);
    if (s !== null) m.set(pid, s);
  }
  return m;
}

/** CPU seconds the processes present in both samples spent between them. */
export function cpuBetween(a: Map<number, number>, b: Map<number, number>): number {
  let total = 0;
  for (const [pid, end] of b) {
    const start = a.get(pid);
    if (start !== undefined) total += end - start;
  }
  return total;
}

/** Whole-machine CPU: busy and total seconds (all cores) since boot, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond() };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** The hub configuration every bench runs with: its own database and data folder, no periodic jobs. */
export function benchConfig(dataDir: string, databaseUrl: string): Config {
  return loadConfig({
    PORT: '0',
    PUBLIC_BASE_URL: 'https://bench.example',
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    RECONCILE_EVERY_MINUTES: '0',
    CONNECTION_CHECK_MINUTES: '0',
  });
}
