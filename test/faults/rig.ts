/**
 * A production-shaped hub for fault injection: an API process and a worker process (`src/main.ts`),
 * each reaching the shared PostgreSQL and Redis only through this rig's own TCP proxies, so a fault
 * (a restart, an outage, a lost Redis) touches this rig alone — never the shared servers, other test
 * files or a second run. A "provider" sends signed Twilio deliveries and retries until it gets a 2xx,
 * as Twilio does; a CRM receiver takes the outbound webhooks. An observer connection, outside the
 * proxies, reads the outcome straight from the database.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import twilio from 'twilio';
import { adminUrl, databaseUrl } from '../helpers/env.js';
import { createDatabase, dropDatabase } from '../helpers/hub.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { startHubProcess, type HubProcess } from '../helpers/process.js';
import { TcpProxy } from '../helpers/proxy.js';
import { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture, type TwilioDelivery } from '../helpers/twilio.js';

const PUBLIC_BASE_URL = 'https://hub.faults.test';
const OBSERVER = 'callroi-fault-observer';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The fixture call again under other Call SIDs (and idempotency tokens): call number `n`. */
function callDeliveries(base: TwilioDelivery[], n: number): TwilioDelivery[] {
  const suffix = n.toString(16).padStart(6, '0');
  return base.map((d) => {
    const params = Object.fromEntries(
      Object.entries(d.params).map(([k, v]) => [k, /^CA[0-9a-f]{32}$/.test(v) ? `${v.slice(0, 28)}${suffix}` : v]),
    );
    const token = d.headers['I-Twilio-Idempotency-Token'];
    const headers: Record<string, string> = token ? { 'I-Twilio-Idempotency-Token': `${token.slice(0, 30)}${suffix}` } : {};
    return { ...d, params, headers };
  });
}

export interface Outcome {
  calls: number;
  /** Calls whose deliveries were all acknowledged but that never became a call. */
  lost: number;
  /** Extra call rows for one provider call (or extra inbox rows for one delivery). */
  duplicated: number;
  /** Calls with no call.enriched delivered to the CRM. */
  outboundLost: number;
  /** CRM deliveries received again under a webhook-id already received (allowed: at least once). */
  outboundRedelivered: number;
  /** Non-2xx answers or connection errors the provider got (and retried). */
  providerRetries: number;
}

export interface Rig {
  api: HubProcess;
  worker: HubProcess;
  /** The API's and the worker's ways to PostgreSQL (separate, so one can lose it alone). */
  apiPgProxy: TcpProxy;
  workerPgProxy: TcpProxy;
  redisProxy: TcpProxy;
  /** Deliveries acknowledged so far. */
  acknowledged(): number;
  /** Provider deliveries that make one call. */
  deliveriesPerCall: number;
  /** Post calls [from, from + count), each delivery retried until acknowledged. */
  send(from: number, count: number, concurrency?: number): Promise<void>;
  /** Events stored and not yet processed, read outside the proxies. */
  pendingEvents(): Promise<number>;
  /** Every backend of this rig's database gets 57P01 (as on a server restart, open transactions
   *  included); connections are refused for `downMs`, then accepted again. */
  restartPostgres(downMs: number): Promise<void>;
  cutPostgres(who: 'both' | 'worker'): Promise<void>;
  restorePostgres(): Promise<void>;
  cutRedis(): Promise<void>;
  restoreRedis(): Promise<void>;
  killWorker(): Promise<void>;
  killApi(): Promise<void>;
  /** Wait (generously) until nothing is pending: events, outbound deliveries. */
  settle(timeoutMs: number): Promise<void>;
  outcome(calls: number): Promise<Outcome>;
  alive(): { api: boolean; worker: boolean };
  close(): Promise<void>;
}

export async function createRig(opts: { workerEnv?: Record<string, string>; /** One `all` process (API and workers). */ single?: boolean } = {}): Promise<Rig> {
  const name = await createDatabase();
  const apiPgProxy = new TcpProxy('127.0.0.1', 5432);
  const workerPgProxy = new TcpProxy('127.0.0.1', 5432);
  const redisProxy = new TcpProxy('127.0.0.1', 6379);
  const apiDb = new URL(databaseUrl(name));
  apiDb.port = String(await apiPgProxy.start());
  const workerDb = new URL(databaseUrl(name));
  workerDb.port = String(await workerPgProxy.start());
  const redisPort = await redisProxy.start();

  // The CRM: counts call.enriched deliveries per call and per webhook-id.
  const outbound = new Map<string, number>();
  const webhookIds = new Map<string, number>();
  const crm = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      webhookIds.set(id, (webhookIds.get(id) ?? 0) + 1);
      try {
        const sid = (JSON.parse(body) as { data: { providerCallId?: string } }).data.providerCallId;
        if (sid) outbound.set(sid, (outbound.get(sid) ?? 0) + 1);
      } catch {
        // not ours
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => crm.listen(0, '127.0.0.1', r));
  const crmUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}/crm`;

  const port = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: apiDb.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    QUEUE_PREFIX: `callroi-fault-${randomBytes(4).toString('hex')}`,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: `fault-admin-${randomBytes(8).toString('hex')}`,
    DATA_DIR: `/tmp/callroi-fault-${randomBytes(4).toString('hex')}`,
    PUBLIC_BASE_URL,
    PORT: String(port),
    HOST: '127.0.0.1',
    SWEEP_AFTER_SECONDS: '2',
    JOB_LOCK_SECONDS: '5',
    RECONCILE_EVERY_MINUTES: '0',
    CONNECTION_CHECK_MINUTES: '0',
    WORKER_CONCURRENCY: '8',
    SHUTDOWN_TIMEOUT_SECONDS: '10',
    // One API process, as these faults were written for (the cluster's own deaths and drains are
    // test/cluster.test.ts's).
    API_PROCESSES: '1',
    ALLOW_HTTP_TARGETS: 'true',
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
  };
  const startApi = async () => {
    const p = startHubProcess(opts.single ? 'all' : 'api', env);
    await p.waitForLog(/callroi listening/);
    return p;
  };
  const startWorker = async () => {
    const p = startHubProcess('worker', { ...env, DATABASE_URL: workerDb.toString(), ...opts.workerEnv });
    await p.waitForLog(/callroi worker started/);
    return p;
  };
  let api = await startApi();
  let worker = opts.single ? api : await startWorker();
  const observer = new pg.Pool({ connectionString: databaseUrl(name), max: 2, application_name: OBSERVER });
  observer.on('error', () => undefined);
  const base = `http://127.0.0.1:${port}`;

  const request = async (path: string, init: RequestInit): Promise<Response> => fetch(`${base}${path}`, init);
  const tenantRes = await request('/v1/tenants', {
    method: 'POST',
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN!}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Faults', currency: 'USD', timezone: 'UTC', country: 'US' }),
  });
  const tenant = (await tenantRes.json()) as { id: string; apiKey: string };
  const auth = { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' };
  const conn = (await (
    await request('/v1/connections', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } }),
    })
  ).json()) as { webhookUrl: string };
  const sub = await request('/v1/subscriptions', { method: 'POST', headers: auth, body: JSON.stringify({ url: crmUrl, events: ['call.enriched'] }) });
  if (sub.status !== 201) throw new Error(`subscription refused: ${sub.status} ${await sub.text()}`);

  const fixture = twilioFixture('inbound_answered');
  const parentSid = fixture.ids.parentCallSid!;
  const hookPath = new URL(conn.webhookUrl).pathname + new URL(conn.webhookUrl).search;
  let providerRetries = 0;
  let acknowledged = 0;

  /** One delivery, as Twilio sends it: until a 2xx (Twilio retries on 5xx and connection errors). */
  const deliver = async (d: TwilioDelivery) => {
    const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, conn.webhookUrl, d.params);
    const body = new URLSearchParams(d.params).toString();
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${base}${hookPath}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, ...d.headers },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        if (res.ok) {
          acknowledged++;
          return;
        }
        if (res.status < 500) throw new Error(`delivery refused with ${res.status}`);
      } catch (err) {
        if ((err as Error).message.startsWith('delivery refused')) throw err;
      }
      providerRetries++;
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    }
  };

  const rig: Rig = {
    get api() {
      return api;
    },
    get worker() {
      return worker;
    },
    apiPgProxy,
    workerPgProxy,
    redisProxy,
    acknowledged: () => acknowledged,
    deliveriesPerCall: fixture.deliveries.length,
    async send(from, count, concurrency = 8) {
      let next = from;
      const lanes = Array.from({ length: concurrency }, async () => {
        while (next < from + count) {
          const n = next++;
          for (const d of callDeliveries(fixture.deliveries, n)) await deliver(d);
        }
      });
      await Promise.all(lanes);
    },
    async pendingEvents() {
      const { rows } = await observer.query<{ n: number }>(`select count(*)::int as n from webhook_events where status = 'pending'`);
      return rows[0]!.n;
    },
    async restartPostgres(downMs) {
      const admin = new pg.Client({ connectionString: adminUrl() });
      await admin.connect();
      await apiPgProxy.stop();
      await workerPgProxy.stop();
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name <> $2 and pid <> pg_backend_pid()`, [
        name,
        OBSERVER,
      ]);
      await admin.end();
      await sleep(downMs);
      await apiPgProxy.start();
      await workerPgProxy.start();
    },
    async cutPostgres(who) {
      await workerPgProxy.stop();
      if (who === 'both') await apiPgProxy.stop();
    },
    async restorePostgres() {
      await apiPgProxy.start();
      await workerPgProxy.start();
    },
    cutRedis: () => redisProxy.stop(),
    restoreRedis: async () => {
      await redisProxy.start();
    },
    async killWorker() {
      await worker.kill('SIGKILL');
      worker = opts.single ? (api = await startApi()) : await startWorker();
    },
    async killApi() {
      await api.kill('SIGKILL');
      api = await startApi();
      if (opts.single) worker = api;
    },
    async settle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await observer.query<{ events: number; deliveries: number }>(
          `select (select count(*) from webhook_events where status = 'pending')::int as events,
                  (select count(*) from deliveries where status = 'pending')::int as deliveries`,
        );
        if (rows[0]!.events === 0 && rows[0]!.deliveries === 0) return;
        if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(rows[0])}`);
        await sleep(250);
      }
    },
    async outcome(calls) {
      const expected = new Set(Array.from({ length: calls }, (_, n) => `${parentSid.slice(0, 28)}${n.toString(16).padStart(6, '0')}`));
      const { rows } = await observer.query<{ id: string; n: number; status: string; talk: number }>(
        `select provider_call_id as id, count(*)::int as n, min(status) as status, min(talk_seconds)::int as talk from calls group by provider_call_id`,
      );
      const found = new Map(rows.map((r) => [r.id, r]));
      const { rows: inbox } = await observer.query<{ extra: number }>(
        `select coalesce(sum(n - 1), 0)::int as extra from (select count(*) as n from webhook_events group by connection_id, dedupe_key) x`,
      );
      let lost = 0;
      let duplicated = inbox[0]!.extra;
      for (const id of expected) {
        const row = found.get(id);
        // A call that exists but lost an event shows it: the fixture call is answered, 255 s of talk.
        if (!row || row.status !== 'answered' || row.talk !== 255) lost++;
        else duplicated += row.n - 1;
      }
      let outboundLost = 0;
      for (const id of expected) if (!outbound.has(id)) outboundLost++;
      let outboundRedelivered = 0;
      for (const n of webhookIds.values()) outboundRedelivered += n - 1;
      return { calls, lost, duplicated, outboundLost, outboundRedelivered, providerRetries };
    },
    alive: () => ({ api: api.alive(), worker: worker.alive() }),
    async close() {
      for (const p of new Set([api, worker])) {
        if (!p.alive()) continue;
        p.child.kill('SIGTERM');
        await Promise.race([p.exited, sleep(20_000)]);
        await p.kill('SIGKILL');
      }
      await apiPgProxy.stop();
      await workerPgProxy.stop();
      await redisProxy.stop();
      await observer.end().catch(() => undefined);
      crm.closeAllConnections();
      await new Promise((r) => crm.close(r));
      await dropDatabase(name);
      // Its jobs' keys and its data folder go with it (Redis is the machine's, shared by every run).
      await deleteRedisPrefix(env.QUEUE_PREFIX!);
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    },
  };
  return rig;
}
