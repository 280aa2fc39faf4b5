import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, real, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';

/** Anomalies raised (once each) by the alerts job; GET /v1/alerts also computes them on the fly. */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    type: text('type').notNull(),
    /** The local day it is about (YYYY-MM-DD). */
    period: text('period').notNull(),
    value: real('value').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
    raisedAt: instant('raised_at').notNull().defaultNow(),
    /** `open` until a later judgement finds the condition gone, then `resolved`. */
    status: text('status').notNull().default('open'),
    resolvedAt: instant('resolved_at'),
    /** `day` (a complete day), `hour` (the current hour so far), `today` (the current day so far). */
    granularity: text('granularity').notNull().default('day'),
    /** What the alert is about beyond its type: a target's id for a target breach, else ''. */
    subject: text('subject').notNull().default(''),
  },
  (t) => [
    // One alert per (type, what, period): a day judged whole and the same day judged so far are two.
    uniqueIndex('alerts_identity_idx').on(t.tenantId, t.type, t.granularity, t.subject, t.period),
    index('alerts_tenant_idx').on(t.tenantId, t.raisedAt),
    // Never raised twice while open: one open intraday alert per (type, granularity, subject).
    uniqueIndex('alerts_open_idx').on(t.tenantId, t.type, t.granularity, t.subject).where(sql`status = 'open' and granularity <> 'day'`),
  ],
);
