/**
 * The hub's `api` role as production starts it: the compiled `dist/src/main.js api` (bench/machine.ts
 * hubRoleArgs; BENCH_COMPILED=0 for `src/main.ts` under tsx), a process of its own, with
 * BENCH_API_PROCESSES API processes (1: one process; more: the node:cluster primary and its
 * children on one port, src/cluster.ts). This child only speaks the benchmark's protocol for it:
 * its CPU is the whole process tree's (primary and children, from /proc) over the window, its peak
 * RSS the largest process's (each child is an API process of its own).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuBetween, cpuOf, hubRoleArgs, peakRssMiB, processTree } from '../machine.js';
import { BENCH_PUBLIC_BASE_URL } from './deliveries.js';
import type { ServerCommand, ServerReport } from './protocol.js';
import { benchConnections, required } from './server-child.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-bench-api-'));
  const port = await freePort();
  const hub = spawn(process.execPath, hubRoleArgs('api'), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: BENCH_PUBLIC_BASE_URL,
      ADMIN_TOKEN,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      DATABASE_URL: required('BENCH_DATABASE_URL'),
      REDIS_URL: required('BENCH_REDIS_URL'),
      QUEUE_PREFIX: required('BENCH_QUEUE_PREFIX'),
      API_PROCESSES: required('BENCH_API_PROCESSES'),
      RECONCILE_EVERY_MINUTES: '0',
      CONNECTION_CHECK_MINUTES: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let stopping = false;
  const hubExited = new Promise<void>((resolve) => hub.once('exit', () => resolve()));
  hub.once('exit', (code) => {
    if (!stopping) {
      console.error(`bench: the api role exited (${code}) before the end of the run`);
      process.exit(1);
    }
  });

  // Every child answers /healthz once it listens; a cluster's first child is enough to set up.
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error('the api role did not serve within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const connections = await benchConnections(port, ADMIN_TOKEN);

  let tree: number[] = [];
  let start = new Map<number, number>();
  process.on('message', (msg: ServerCommand) => {
    if (msg.type === 'mark') {
      // Read when the window opens: every child has long started by then (the warm-up ran on them).
      tree = processTree(hub.pid!);
      start = cpuOf(tree);
    }
    if (msg.type === 'stop') {
      const cpuSeconds = cpuBetween(start, cpuOf(tree));
      const peaks = tree.map(peakRssMiB).filter((v): v is number => v !== null);
      const report: ServerReport = { type: 'report', cpuUserMs: cpuSeconds * 1000, cpuSystemMs: 0, maxRssMiB: Math.max(0, ...peaks) };
      process.send?.(report);
      stopping = true;
      hub.kill('SIGTERM');
      void hubExited.then(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
  process.send?.({ type: 'ready', port, connections });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
