/**
 * Micro-batched, durable inbox writes. Concurrent webhook requests are gathered for at most
 * `maxWaitMs` or `maxRows`, written with ONE multi-row INSERT … ON CONFLICT DO NOTHING, and each
 * request is answered only after that statement has committed: batching never acknowledges a row
 * that is not stored. If the INSERT fails, every request of the batch gets the error (→ 503).
 * This is the hot path of the hub, so it is plain parameterised SQL (see bench/ingest).
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../../db/client.js';

export interface InboxRow {
  tenantId: string;
  connectionId: string;
  provider: string;
  dedupeKey: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string;
}

export interface InboxResult {
  id: string;
  /** false when the same delivery was already stored (a provider retry). */
  inserted: boolean;
}

interface Waiter {
  row: InboxRow & { id: string };
  resolve(r: InboxResult): void;
  reject(e: unknown): void;
}

const COLUMNS = 8;

/**
 * Row slots of a prepared INSERT: a batch is padded with null rows up to the next of these. The
 * text of ~800 placeholders was rebuilt for every batch, and PostgreSQL parsed and planned it again
 * every time (bench/inbox-cpu.ts measures both sides); prepared once per connection and size it is
 * not, but each prepared size holds its plan in every backend: one per batch size up to 100
 * measured 32 MiB per connection, these ten 3 MiB (PostgreSQL 15; it keeps to generic plans for
 * padded batches). Larger batches (a writer made with more maxRows) round up to a multiple of 100.
 */
const SLOTS = [1, 2, 4, 8, 16, 32, 48, 64, 80, 100];

export function slotsFor(rows: number): number {
  for (const s of SLOTS) if (rows <= s) return s;
  return Math.ceil(rows / 100) * 100;
}

const insertSqls = new Map<number, string>();

/** The INSERT of `slots` rows; rows with a null id are padding and are not inserted. */
function insertSql(slots: number): string {
  let sql = insertSqls.get(slots);
  if (sql === undefined) {
    const tuples = Array.from({ length: slots }, (_, i) => {
      const b = i * COLUMNS;
      return `($${b + 1}::uuid, $${b + 2}::uuid, $${b + 3}::uuid, $${b + 4}::text, $${b + 5}::text, $${b + 6}::jsonb, $${b + 7}::jsonb, $${b + 8}::text)`;
    });
    // A VALUES list keeps its order through the filter: rows are inserted in key order (see insert).
    sql = `insert into webhook_events (id, tenant_id, connection_id, provider, dedupe_key, headers, query, body)
         select * from (values ${tuples.join(', ')}) as v (id, tenant_id, connection_id, provider, dedupe_key, headers, query, body)
         where v.id is not null
         on conflict (connection_id, dedupe_key) do nothing
         returning id`;
    insertSqls.set(slots, sql);
  }
  return sql;
}

export class InboxWriter {
  private batch: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inserting = new Set<Promise<void>>();

  constructor(
    private readonly database: Pick<DatabaseHandle, 'query'>,
    /** Called once per committed batch with the ids of the rows it inserted (→ src/jobs/event-jobs.ts). */
    private readonly onStored: (ids: string[]) => void = () => undefined,
    /**
     * Rows per INSERT at most. Smaller than a worker's batch on purpose: a burst's first rows are
     * committed while the next ones are still being verified, so the API's CPU and PostgreSQL's
     * commit overlap instead of taking turns. Measured (bench/ingest, hub Twilio, 100 connections,
     * two alternating rounds): 100 rows, 9,067 and 8,430/s at 78–86 µs of CPU per delivery; 48 rows
     * (a prepared size, no padding), 10,785 and 10,138/s at 84–91 µs.
     */
    private readonly maxRows = 48,
    private readonly maxWaitMs = 5,
  ) {}

  write(row: InboxRow): Promise<InboxResult> {
    return new Promise((resolve, reject) => {
      this.batch.push({ row: { ...row, id: randomUUID() }, resolve, reject });
      if (this.batch.length >= this.maxRows) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiters = this.batch;
    this.batch = [];
    if (waiters.length === 0) return;
    const p = this.insert(waiters).finally(() => this.inserting.delete(p));
    this.inserting.add(p);
  }

  private async insert(waiters: Waiter[]): Promise<void> {
    // Two identical deliveries in one batch: the first one is the row, the second is its duplicate.
    const firstByKey = new Map<string, Waiter>();
    for (const w of waiters) {
      const k = `${w.row.connectionId}\u0000${w.row.dedupeKey}`;
      if (!firstByKey.has(k)) firstByKey.set(k, w);
    }
    // In key order: two batches in flight at once that share a delivery (a provider's retry racing
    // the original) take the unique index's entries in the same order, so neither waits on the
    // other in a cycle (PostgreSQL would abort one as a deadlock).
    const owners = [...firstByKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, w]) => w);
    try {
      const params: unknown[] = [];
      for (const { row: r } of owners) {
        params.push(r.id, r.tenantId, r.connectionId, r.provider, r.dedupeKey, JSON.stringify(r.headers), JSON.stringify(r.query), r.body);
      }
      const slots = slotsFor(owners.length);
      for (let i = params.length; i < slots * COLUMNS; i++) params.push(null);
      const inserted = await this.database.query<{ id: string }>(insertSql(slots), params, `inbox-insert-${slots}`);
      const insertedIds = new Set(inserted.map((r) => r.id));
      // Rows that already existed: find their ids so a retry answers with the original event.
      const existing = owners.filter((w) => !insertedIds.has(w.row.id));
      const existingIds = new Map<string, string>();
      if (existing.length > 0) {
        const rows = await this.database.query<{ id: string; connection_id: string; dedupe_key: string }>(
          `select id, connection_id, dedupe_key from webhook_events
           where (connection_id, dedupe_key) in (select * from unnest($1::uuid[], $2::text[]))`,
          [existing.map((w) => w.row.connectionId), existing.map((w) => w.row.dedupeKey)],
        );
        for (const r of rows) existingIds.set(`${r.connection_id}\u0000${r.dedupe_key}`, r.id);
      }
      for (const w of waiters) {
        const k = `${w.row.connectionId}\u0000${w.row.dedupeKey}`;
        const owner = firstByKey.get(k)!;
        if (owner === w && insertedIds.has(w.row.id)) w.resolve({ id: w.row.id, inserted: true });
        else w.resolve({ id: insertedIds.has(owner.row.id) ? owner.row.id : (existingIds.get(k) ?? owner.row.id), inserted: false });
      }
      if (insertedIds.size > 0) this.onStored([...insertedIds]);
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  /** Writes what is gathered now, and waits for every write under way (shutdown). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inserting]);
  }
}
