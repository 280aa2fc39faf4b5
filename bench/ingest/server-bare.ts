/**
 * Ceiling (1), the machine's limit for durable acceptance: a bare node:http server that stores the
 * same bodies in a table shaped like `webhook_events` (same columns, same indexes, same unique
 * dedupe key) with the hub's batching policy — up to 100 rows or 5 ms, ONE multi-row
 * INSERT … ON CONFLICT DO NOTHING RETURNING id — and answers every request of the batch once it
 * has committed. No framework, no routing, no signature check, no queue.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { listenLoopback, required, serveUntilStopped } from './server-child.js';

const MAX_ROWS = 100;
const MAX_WAIT_MS = 5;
const TENANT_ID = randomUUID();

const DDL = `
create table if not exists bench_inbox (
  id uuid primary key,
  tenant_id uuid not null,
  connection_id uuid not null,
  provider text not null,
  dedupe_key text not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  error text,
  headers jsonb not null,
  query jsonb not null,
  body text not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);
create unique index if not exists bench_inbox_dedupe_idx on bench_inbox (connection_id, dedupe_key);
create index if not exists bench_inbox_pending_idx on bench_inbox (received_at) where status = 'pending';
create index if not exists bench_inbox_connection_status_idx on bench_inbox (connection_id, status, received_at);
create index if not exists bench_inbox_tenant_status_idx on bench_inbox (tenant_id, status);
`;

const COLUMNS = 8;

interface Pending {
  values: [string, string, string, string, string, string, string, string];
  done(ok: boolean): void;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: required('BENCH_DATABASE_URL'), max: 20 });
  await pool.query(DDL);

  let batch: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const rows = batch;
    batch = [];
    if (rows.length === 0) return;
    const placeholders = rows.map((_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(',')})`);
    pool
      .query(
        `insert into bench_inbox (id, tenant_id, connection_id, provider, dedupe_key, headers, query, body)
         values ${placeholders.join(',')} on conflict (connection_id, dedupe_key) do nothing returning id`,
        rows.flatMap((r) => r.values),
      )
      .then(
        () => rows.forEach((r) => r.done(true)),
        () => rows.forEach((r) => r.done(false)),
      );
  };

  const server = createServer((req, res) => {
    readBody(req).then((body) => {
      const [, , provider = '', connectionId = ''] = (req.url ?? '').split('/');
      const token = req.headers['i-twilio-idempotency-token'];
      batch.push({
        values: [
          randomUUID(),
          TENANT_ID,
          connectionId,
          provider,
          typeof token === 'string' ? `idem:${token}` : randomUUID(),
          JSON.stringify(req.headers),
          '{}',
          body.toString('utf8'),
        ],
        done(ok) {
          const text = ok ? '<?xml version="1.0" encoding="UTF-8"?><Response/>' : '{"error":"storage"}';
          res.writeHead(ok ? 200 : 503, { 'Content-Type': ok ? 'text/xml' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
        },
      });
      if (batch.length >= MAX_ROWS) flush();
      else if (!timer) timer = setTimeout(flush, MAX_WAIT_MS);
    }, () => res.destroy());
  });
  const port = await listenLoopback(server);

  serveUntilStopped({ type: 'ready', port, connections: {} }, async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    flush();
    await pool.end();
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
