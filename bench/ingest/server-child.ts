/**
 * What every server child shares: listen on 127.0.0.1:0, tell the orchestrator, mark the start of
 * the measurement window on command, report its own CPU time and peak RSS on stop, then close.
 */
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import { benchCredentials, benchProviders, type BenchProvider } from './deliveries.js';
import { usageSince, type ServerCommand, type ServerReady, type ServerReport } from './protocol.js';

export async function listenLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Serve until the orchestrator says stop; `close` releases everything (sockets, pools, queues). */
/**
 * When BENCH_PROFILE_FILE is set, a V8 CPU profile of the measurement window only (not start-up,
 * module loading or the warm-up), taken in-process through the inspector.
 */
async function startProfile(): Promise<Session | null> {
  if (!process.env.BENCH_PROFILE_FILE) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return session;
}

async function stopProfile(session: Session | null): Promise<void> {
  if (!session || !process.env.BENCH_PROFILE_FILE) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(process.env.BENCH_PROFILE_FILE, JSON.stringify(profile));
  session.disconnect();
}

export function serveUntilStopped(ready: ServerReady, close: () => Promise<void>): void {
  let mark = process.cpuUsage();
  let profiling: Promise<Session | null> = Promise.resolve(null);
  process.on('message', async (msg: ServerCommand) => {
    if (msg.type === 'mark') {
      mark = process.cpuUsage();
      profiling = startProfile();
    }
    if (msg.type === 'stop') {
      const report: ServerReport = { type: 'report', ...usageSince(mark) };
      await stopProfile(await profiling);
      process.send?.(report);
      // Exit explicitly once closed: a handle left open must not keep the child (and the bench) alive,
      // and --cpu-prof writes its profile at exit.
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
    }
  });
  process.send?.(ready);
}

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

async function postJson(port: number, path: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** One tenant and one connection per provider, made through the hub's own HTTP API. */
export async function benchConnections(port: number, adminToken: string): Promise<Partial<Record<BenchProvider, string>>> {
  const tenant = await postJson(port, '/v1/tenants', adminToken, { name: 'Bench', currency: 'USD', timezone: 'UTC', country: 'US' });
  const connections: Partial<Record<BenchProvider, string>> = {};
  for (const provider of benchProviders) {
    const c = await postJson(port, '/v1/connections', String(tenant.apiKey), { provider, name: `bench ${provider}`, credentials: benchCredentials[provider] });
    connections[provider] = String(c.id);
  }
  return connections;
}
