import { boolean, doublePrecision, index, integer, jsonb, numeric, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenantRef } from './_refs.js';

/** Where a target or an initiative applies; every field optional, all given ones must match. */
export interface ScopeJson {
  campaignId?: string;
  agentId?: string;
  queue?: string;
  channel?: string;
}

/**
 * A KPI target (`nps >= 70`), optionally scoped and tied to a period; `notify` raises alerts on a
 * breach. The value is exact decimal (a cost per call target is money).
 */
export const targets = pgTable(
  'targets',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    name: text('name'),
    kpi: text('kpi').notNull(),
    comparison: text('comparison').notNull(),
    value: numeric('value', { precision: 24, scale: 6, mode: 'string' }).notNull(),
    scope: jsonb('scope').$type<ScopeJson>().notNull().default({}),
    period: text('period'),
    notify: boolean('notify').notNull().default(false),
    ...timestamps,
  },
  (t) => [index('targets_tenant_idx').on(t.tenantId)],
);

/** An action taken to move a KPI, with the change expected and the time it needs to show. */
export const initiatives = pgTable(
  'initiatives',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    startedAt: instant('started_at').notNull(),
    kpi: text('kpi').notNull(),
    expectedChange: doublePrecision('expected_change').notNull(),
    relative: boolean('relative').notNull().default(false),
    adjustmentDays: integer('adjustment_days').notNull(),
    windowDays: integer('window_days').notNull().default(28),
    scope: jsonb('scope').$type<ScopeJson>().notNull().default({}),
    ...timestamps,
  },
  (t) => [index('initiatives_tenant_idx').on(t.tenantId, t.startedAt)],
);

export type TargetRow = typeof targets.$inferSelect;
export type InitiativeRow = typeof initiatives.$inferSelect;

/** The monthly reports announced (report.ready), once per tenant and month. */
export const reportsSent = pgTable(
  'reports_sent',
  {
    tenantId: tenantRef(),
    month: text('month').notNull(),
    sentAt: instant('sent_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month] })],
);
