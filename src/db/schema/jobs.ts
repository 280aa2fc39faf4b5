import { index, integer, jsonb, pgTable, real, text, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { connectionRef, tenantRef } from './_refs.js';

/**
 * Backfill and reconciliation runs. The cursor is persisted after every stored page, so a crashed
 * run resumes where it stopped instead of starting over.
 */
export const backfills = pgTable(
  'backfills',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    connectionId: connectionRef(),
    kind: text('kind').notNull().default('backfill'), // backfill | reconcile
    windowFrom: instant('window_from').notNull(),
    windowTo: instant('window_to').notNull(),
    status: text('status').notNull().default('queued'), // queued | running | retrying | completed | failed
    /** Attempts made so far (a transient provider error is retried; the status says `retrying`). */
    attempts: integer('attempts').notNull().default(0),
    cursor: text('cursor'),
    progress: real('progress').notNull().default(0),
    pages: integer('pages').notNull().default(0),
    events: integer('events').notNull().default(0),
    error: text('error'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [index('backfills_connection_idx').on(t.connectionId, t.createdAt)],
);

export type BackfillRow = typeof backfills.$inferSelect;
