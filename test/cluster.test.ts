/**
 * `src/main.ts api` on PostgreSQL as production runs it, with API_PROCESSES=2: a node:cluster
 * primary and two API children on one port. On a fresh database the primary migrates once; both
 * children take webhooks; GET /metrics (answered by either child) sums both children's counters; a
 * child killed with SIGKILL is replaced; SIGTERM lets a request in flight finish, then every process
 * exits 0; a child that cannot listen ends the primary with the child's one-line reason; children
 * that keep dying end it with status 1.
 */
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, databaseUrl, redisUrl, runTag } from './helpers/env.js';
import { dropDatabase } from './helpers/hub.js';
import { deleteRedisPrefix } from './helpers/redis.js';
import { startHubProcess, type HubProcess } from './helpers/process.js';
import { closedPort } from './helpers/spawn.js';
import { AIRCALL_TOKEN, callEvent } from './helpers/aircall.js';
import { restartDelayMs } from '../src/cluster.js';

const ADMIN_TOKEN = `cluster-admin-${randomBytes(8).toString('hex')}`;
const LISTENING = /callroi listening/;

/** The value of one sample (`name{labels}`) in a Prometheus text exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const got = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** Log lines (pino JSON) matching `pattern`, once there are at least `n` of them. */
async function linesMatching(p: HubProcess, pattern: RegExp, n: number, timeoutMs = 60_000): Promise<{ pid: number; msg: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = p.lines.filter((l) => pattern.test(l)).map((l) => JSON.parse(l) as { pid: number; msg: string });
    if (found.length >= n) return found;
    if (!p.alive() || Date.now() > deadline) throw new Error(`${found.length} of ${n} lines ${pattern}:\n${p.lines.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One request on a connection of its own (no keep-alive), so the primary hands each to the next child. */
function request(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const dataDirs: string[] = [];
const databases: string[] = [];
const prefixes: string[] = [];

function clusterEnv(dbName: string, port: number): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'callroi-cluster-'));
  dataDirs.push(dir);
  const prefix = `callroi-cluster-${runTag()}-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return {
    DATABASE_URL: databaseUrl(dbName),
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    DATA_DIR: dir,
    ADMIN_TOKEN,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PORT: String(port),
    HOST: '127.0.0.1',
    API_PROCESSES: '2',
    SHUTDOWN_TIMEOUT_SECONDS: '10',
  };
}

async function emptyDatabase(): Promise<string> {
  const name = `callroi_cluster_${runTag()}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  databases.push(name);
  return name;
}

async function scalar(dbName: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl(dbName) });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(sql);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  for (const db of databases) await dropDatabase(db);
  for (const p of prefixes) await deleteRedisPrefix(p);
});

describe('the api role as a cluster of two processes', () => {
  let hub: HubProcess;
  let dbName: string;
  let port: number;
  let connectionId: string;
  let posted = 0;

  const postWebhook = async () => {
    const n = ++posted;
    const t = 1_760_000_000 + n * 60;
    const body = JSON.stringify({ ...callEvent(900_000 + n, t, 'call.created', t), token: AIRCALL_TOKEN });
    return request(port, 'POST', `/webhooks/aircall/${connectionId}`, body, { 'content-type': 'application/json' });
  };
  const accepted = async () => {
    const res = await request(port, 'GET', '/metrics');
    expect(res.status).toBe(200);
    return sample(res.text, 'callroi_webhooks_total', { provider: 'aircall', outcome: '200' });
  };

  beforeAll(async () => {
    dbName = await emptyDatabase();
    port = await closedPort();
    hub = startHubProcess('api', clusterEnv(dbName, port));
    await linesMatching(hub, LISTENING, 2);
    const tenant = await request(port, 'POST', '/v1/tenants', JSON.stringify({ name: 'Cluster', currency: 'USD', timezone: 'UTC', country: 'US' }), {
      'content-type': 'application/json',
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    expect(tenant.status).toBe(201);
    const apiKey = (JSON.parse(tenant.text) as { apiKey: string }).apiKey;
    const conn = await request(
      port,
      'POST',
      '/v1/connections',
      JSON.stringify({ provider: 'aircall', credentials: { apiId: 'aircall-id', apiToken: 'aircall-token', webhookToken: AIRCALL_TOKEN } }),
      { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    );
    expect(conn.status).toBe(201);
    connectionId = (JSON.parse(conn.text) as { id: string }).id;
  }, 120_000);

  afterAll(async () => {
    await hub?.kill('SIGKILL');
  });

  it('migrates once, in the primary, before the children start', async () => {
    const journal = JSON.parse(readFileSync(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] };
    expect(await scalar(dbName, 'select count(*) as n from drizzle.__drizzle_migrations')).toBe(journal.entries.length);
    const listening = await linesMatching(hub, LISTENING, 2);
    const primary = hub.child.pid!;
    // Two children, neither of them the primary.
    expect(new Set(listening.map((l) => l.pid)).size).toBe(2);
    expect(listening.map((l) => l.pid)).not.toContain(primary);
  });

  it('both children take webhooks, /metrics sums them, and a killed child is replaced', async () => {
    const before = await accepted();
    const batch = 20;
    for (let i = 0; i < batch; i++) expect((await postWebhook()).status).toBe(200);
    // Whichever child answers the scrape, it counts every delivery: the sum over both children.
    expect((await accepted()) - before).toBe(batch);
    expect(await scalar(dbName, 'select count(*) as n from webhook_events')).toBe(posted);

    const [first] = await linesMatching(hub, LISTENING, 2);
    process.kill(first!.pid, 'SIGKILL');
    await linesMatching(hub, /an API process died; replacing it/, 1);
    const listening = await linesMatching(hub, LISTENING, 3);
    expect(listening[2]!.pid).not.toBe(first!.pid);
    // The killed child's counts went with it: what is left is the survivor's share, so each child
    // had taken some of the batch, and the scrape before had added both.
    const survivor = await accepted();
    expect(survivor).toBeGreaterThan(0);
    expect(survivor).toBeLessThan(before + batch);
    // The replacement serves too.
    for (let i = 0; i < 4; i++) expect((await postWebhook()).status).toBe(200);
    expect((await accepted()) - survivor).toBe(4);
  });

  it('on SIGTERM every child finishes the request in flight, then all exit 0', async () => {
    const n = ++posted;
    const t = 1_760_000_000 + n * 60;
    const body = Buffer.from(JSON.stringify({ ...callEvent(900_000 + n, t, 'call.created', t), token: AIRCALL_TOKEN }));
    // `Expect: 100-continue`: the child's "100 Continue" says it has taken the request (headers
    // parsed, handler running) before the signal is sent; the body follows once both drain.
    let continued: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (continued = resolve));
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/webhooks/aircall/${connectionId}`,
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.on('continue', () => {
        continued();
        void linesMatching(hub, /shutting down: stop accepting/, 2).then(() => req.end(body), reject);
      });
      req.flushHeaders();
    });
    await taken;
    hub.child.kill('SIGTERM');
    expect(await answer).toBe(200);
    const { code } = await hub.exited;
    expect(code).toBe(0);
    expect(await scalar(dbName, 'select count(*) as n from webhook_events')).toBe(posted);
    // No child is left behind.
    const pids = (await linesMatching(hub, LISTENING, 3)).map((l) => l.pid);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('an API cluster that cannot start', () => {
  it('ends with the child\'s one-line reason when the port is taken', async () => {
    const dbName = await emptyDatabase();
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const hub = startHubProcess('api', clusterEnv(dbName, port));
      const { code } = await hub.exited;
      expect(code).not.toBe(0);
      expect(hub.lines.filter((l) => l.startsWith('callroi cannot start: PORT:') && l.includes('EADDRINUSE')).length).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});

describe('children that keep dying', () => {
  it('end the primary with status 1 instead of forking forever', async () => {
    const dbName = await emptyDatabase();
    const hub = startHubProcess('api', clusterEnv(dbName, await closedPort()));
    try {
      // Kill every child as soon as it serves: the fifth death within a minute ends the primary.
      const killed = new Set<number>();
      while (hub.alive()) {
        const listening = await linesMatching(hub, LISTENING, killed.size + 1).catch(() => []);
        for (const l of listening) {
          if (killed.has(l.pid)) continue;
          killed.add(l.pid);
          process.kill(l.pid, 'SIGKILL');
        }
      }
      const { code } = await hub.exited;
      expect(code).toBe(1);
      expect(killed.size).toBeGreaterThanOrEqual(5);
      expect(hub.lines.some((l) => l.includes('API processes keep dying; giving up'))).toBe(true);
    } finally {
      await hub.kill('SIGKILL');
    }
  }, 120_000);
});

describe('restart backoff', () => {
  it('doubles with each death in the last minute, up to 10 s', () => {
    expect([1, 2, 3, 4, 5, 10].map(restartDelayMs)).toEqual([250, 500, 1000, 2000, 4000, 10_000]);
  });
});
