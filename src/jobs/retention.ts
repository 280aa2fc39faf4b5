/**
 * retention: raw webhook deliveries are the inbox, not the record. Once processed, a delivery's
 * facts live in call_events and the unified call (kept forever); its raw body is deleted after
 * INBOX_RETENTION_DAYS. A failed delivery is kept for reprocessing until it is processed, or for
 * FAILED_RETENTION_DAYS. Pending deliveries are never deleted.
 *
 * Ingestion is never blocked: rows go in small batches, each its own short statement on old rows
 * only (new deliveries insert other rows), rows another transaction holds are skipped (SKIP LOCKED),
 * and each batch walks the (connection_id, status, received_at) index of one connection.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../db/client.js';
import { metrics } from '../lib/metrics.js';

/** Failed deliveries wait this long for a fix and a reprocess (at least the retention itself). */
export const FAILED_RETENTION_DAYS = 90;

export interface RetentionOptions {
  retentionDays: number;
  /** Rows per delete statement. */
  batchSize?: number;
  /** Pause between batches, so that a large backlog does not hog the database. */
  pauseMs?: number;
  now?: Date;
}

/** Delete what retention allows; returns the number of rows deleted. */
export async function pruneInbox(db: Database, opts: RetentionOptions): Promise<number> {
  const batchSize = opts.batchSize ?? 500;
  const pauseMs = opts.pauseMs ?? 50;
  const now = (opts.now ?? new Date()).getTime();
  const cutoffs = [
    { status: 'processed', before: new Date(now - opts.retentionDays * 86_400_000) },
    { status: 'failed', before: new Date(now - Math.max(FAILED_RETENTION_DAYS, opts.retentionDays) * 86_400_000) },
  ];
  // Deleted connections included: their deliveries age out the same way.
  const owners = await queryRows<{ id: string }>(db, sql`select id from connections`);
  let deleted = 0;
  for (const { id } of owners) {
    for (const { status, before } of cutoffs) {
      for (;;) {
        const rows = await queryRows<{ id: string }>(
          db,
          sql`delete from webhook_events where id in (
                select id from webhook_events
                where connection_id = ${id} and status = ${status} and received_at < ${before}
                order by received_at
                limit ${batchSize}
                for update skip locked)
              returning id`,
        );
        deleted += rows.length;
        if (rows.length > 0) metrics.inboxPruned.inc({ status }, rows.length);
        if (rows.length < batchSize) break;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
  }
  return deleted;
}
