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
  },
  (t) => [uniqueIndex('alerts_identity_idx').on(t.tenantId, t.type, t.period), index('alerts_tenant_idx').on(t.tenantId, t.raisedAt)],
);
