/**
 * CPU of the inbox writer alone (src/modules/webhooks/inbox-writer.ts), per stored row: this
 * process's and the PostgreSQL backends' (from /proc), for full batches of 100 deliveries shaped
 * like bench/ingest's (its bodies, a webhook's stored headers), written one batch after another on a
 * fresh database (this process's CPU from the first write of a batch to its commit, so the wait
 * for the commit's fsync counts nothing). Not part of `npm run bench` (no section): a focused measure to compare two
 * versions of the writer on the same machine state, run alternately.
 *
 *   npx tsx bench/inbox-cpu.ts [--provider twilio|aircall] [--batches 300] [--rounds 3]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openDatabase } from '../src/db/client.js';
import { InboxWriter, type InboxRow } from '../src/modules/webhooks/inbox-writer.js';
import { benchProviders, deliveryFactory } from './ingest/deliveries.js';
import { cpuBetween, cpuOf, databaseUrlFor, withAdmin } from './machine.js';

const ROWS = 100;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { provider: { type: 'string', default: 'aircall' }, batches: { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' } } });
  const provider = z.enum(benchProviders).parse(values.provider);
  const batches = z.coerce.number().int().min(10).parse(values.batches);
  const rounds = z.coerce.number().int().min(1).parse(values.rounds);

  const dbName = `bench_inbox_cpu_${process.pid}`;
  await withAdmin((c) => c.query(`create database ${dbName}`));
  const dataDir = mkdtempSync(join(tmpdir(), 'callroi-inbox-cpu-'));
  const database = await openDatabase({ databaseUrl: databaseUrlFor(dbName), dataDir, migrate: true });
  try {
    const tenantId = randomUUID();
    const connectionId = randomUUID();
    await database.query(`insert into tenants (id, name, currency, timezone, api_key_hash) values ($1, 'bench', 'USD', 'UTC', $2)`, [tenantId, randomUUID()]);
    await database.query(`insert into connections (id, tenant_id, provider, credentials_sealed) values ($1, $2, $3, 'x')`, [connectionId, tenantId, provider]);

    const factory = deliveryFactory(provider, connectionId, `inbox-cpu-${process.pid}`, Math.floor(Date.now() / 1000));
    let n = 0;
    const row = (): InboxRow => {
      const d = factory.make(n++);
      const headers: Record<string, string> = { host: '127.0.0.1:40000', 'content-length': String(d.body.length) };
      for (const [k, v] of Object.entries(d.headers)) if (k.toLowerCase() !== 'x-twilio-signature') headers[k.toLowerCase()] = v;
      return { tenantId, connectionId, provider, dedupeKey: `bench:${n}:${randomUUID()}`, headers, query: {}, body: d.body.toString('utf8') };
    };

    const writer = new InboxWriter(database, () => undefined, ROWS, 1000);
    const backends = async () =>
      (await database.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()', [])).map((r) => r.pid);

    // 100 deliveries, written again and again under new dedupe keys: building rows (signing, JSON)
    // costs more than writing them, and its garbage would be collected inside the measure.
    const templates = Array.from({ length: ROWS }, row);
    for (let round = 0; round <= rounds; round++) {
      const pids = await backends();
      const pgStart = cpuOf(pids);
      let own = 0;
      let sys = 0;
      for (let b = 0; b < batches; b++) {
        const batch = templates.map((t) => ({ ...t, dedupeKey: `bench:${round}:${b}:${t.dedupeKey}` }));
        const start = process.cpuUsage();
        await Promise.all(batch.map((r) => writer.write(r)));
        const used = process.cpuUsage(start);
        own += (used.user + used.system) / 1e6;
        sys += used.system / 1e6;
      }
      const pg = cpuBetween(pgStart, cpuOf(pids));
      const perRow = (s: number) => `${((s * 1e6) / (batches * ROWS)).toFixed(1)} µs`;
      // Round 0 warms the JIT and the backend's caches up.
      if (round > 0) console.log(`${provider} round ${round}: writer ${perRow(own)} per row (system ${perRow(sys)}), PostgreSQL ${perRow(pg)} per row`);
    }
  } finally {
    await database.close();
    await withAdmin((c) => c.query(`drop database if exists ${dbName} with (force)`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
