import { bigint, bigserial, boolean, date, index, integer, numeric, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenantRef } from './_refs.js';
import { campaigns } from './campaigns.js';

/**
 * Costs (contract section 5): an amount over a period of tenant-local days, both ends included,
 * optionally scoped to one campaign or one agent.
 */
export const costs = pgTable(
  'costs',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    /** Optional tenant key: re-posting the same externalId replaces the cost (idempotent uploads). */
    externalId: text('external_id'),
    category: text('category').notNull(),
    kind: text('kind').notNull(),
    amount: numeric('amount', { precision: 18, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    campaignId: uuid('campaign_id').references(() => campaigns.id),
    agentId: text('agent_id'),
    ...timestamps,
  },
  (t) => [
    index('costs_tenant_period_idx').on(t.tenantId, t.periodStart, t.periodEnd),
    uniqueIndex('costs_tenant_external_idx').on(t.tenantId, t.externalId),
  ],
);

export type CostRow = typeof costs.$inferSelect;

/**
 * Materialised cost allocation (contract section 7), one set of rows per tenant-local day,
 * rebuilt by the `roi-refresh` job for the days marked in roi_dirty_days. Each pool of a day
 * (costs of one scope and kind, prorated to that day) is spread over the day's handled calls of
 * its scope, and the cents are summed per call dimension: `dim` names the dimension ('all',
 * agent, queue, campaign, provider, direction) and `value` the call's key in it. A pool without
 * calls is stored with value null in every dim. Reading a grouping is then a sum over few rows:
 * the scope decides the row when the grouping names it (campaign/channel, agent).
 */
export const costDayShares = pgTable(
  'cost_day_shares',
  {
    tenantId: uuid('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    kind: text('kind').notNull(),
    scopeCampaignId: uuid('scope_campaign_id'),
    scopeAgentId: text('scope_agent_id'),
    dim: text('dim').notNull(),
    /** For dim 'all': '' when spread over calls, null when the day had none. */
    value: text('value'),
    cents: bigint('cents', { mode: 'bigint' }).notNull(),
  },
  (t) => [index('cost_day_shares_tenant_dim_day_idx').on(t.tenantId, t.dim, t.day)],
);

/** Calls started per tenant-local day and call dimension (same dims as cost_day_shares). */
export const roiDayCalls = pgTable(
  'roi_day_calls',
  {
    tenantId: uuid('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    dim: text('dim').notNull(),
    value: text('value'),
    calls: integer('calls').notNull(),
    /** Of those, the leads (firstTimeCaller or crmLead). */
    leads: integer('leads').notNull().default(0),
  },
  (t) => [index('roi_day_calls_tenant_dim_day_idx').on(t.tenantId, t.dim, t.day)],
);

/**
 * Days whose materialised rows must be rebuilt: a log of marks (one per change, never updated,
 * so a webhook's transaction never waits on the job that drains them), as kpi_dirty_hours.
 */
export const roiDirtyDays = pgTable(
  'roi_dirty_days',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    /**
     * Only the day's revenue changed (a deal won, changed or deleted; credits moved): its cost
     * shares and call counts are current, so readers compute only its revenue on the fly.
     */
    revenueOnly: boolean('revenue_only').notNull().default(false),
    markedAt: instant('marked_at').notNull().defaultNow(),
  },
  (t) => [index('roi_dirty_days_tenant_day_idx').on(t.tenantId, t.day), index('roi_dirty_days_marked_idx').on(t.markedAt)],
);

/** The timezone the tenant's materialised days were cut in: another one means a full rebuild. */
export const roiBasis = pgTable('roi_basis', {
  tenantId: uuid('tenant_id').primaryKey(),
  timezone: text('timezone').notNull(),
});
