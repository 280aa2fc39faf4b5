import { date, index, numeric, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestamps } from './_helpers.js';

/**
 * Costs (contract section 5): an amount over a period of tenant-local days, both ends included,
 * optionally scoped to one campaign or one agent.
 */
export const costs = pgTable(
  'costs',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    /** Optional tenant key: re-posting the same externalId replaces the cost (idempotent uploads). */
    externalId: text('external_id'),
    category: text('category').notNull(),
    kind: text('kind').notNull(),
    amount: numeric('amount', { precision: 18, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    campaignId: uuid('campaign_id'),
    agentId: text('agent_id'),
    ...timestamps,
  },
  (t) => [
    index('costs_tenant_period_idx').on(t.tenantId, t.periodStart, t.periodEnd),
    uniqueIndex('costs_tenant_external_idx').on(t.tenantId, t.externalId),
  ],
);

export type CostRow = typeof costs.$inferSelect;
