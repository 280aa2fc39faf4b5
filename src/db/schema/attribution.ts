import { bigint, boolean, date, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';
import { tenantRef } from './_refs.js';
import { calls } from './calls.js';
import { campaigns } from './campaigns.js';
import { crmDeals } from './crm.js';

/**
 * Stored credits of the default model (last_touch, default window) per (deal, call), in cents:
 * the source of `calls.attributed_revenue`. Other models and windows are computed on the fly.
 */
export const attributionCredits = pgTable(
  'attribution_credits',
  {
    tenantId: tenantRef(),
    // A deal deleted takes its credits along (the CRM service forgets them first, so that the
    // calls' attributedRevenue follows); so does a call deleted.
    dealId: uuid('deal_id')
      .notNull()
      .references(() => crmDeals.id, { onDelete: 'cascade' }),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    cents: bigint('cents', { mode: 'bigint' }).notNull(),
    /** The deal's first touch (same on each of its credits): GET /v1/roi's days from first call to close. */
    firstTouchAt: instant('first_touch_at'),
    /**
     * Copies of the deal's closedAt and type and of the call's grouping fields (named as in
     * `calls`, so the dimension SQL of ../../modules/roi/dimensions.ts applies to this table),
     * so GET /v1/roi sums one index range of this table. Rewritten with the deal's credits, and
     * by the call listener when the call's fields change (a campaign re-assigned, an agent).
     */
    dealClosedAt: instant('deal_closed_at'),
    dealType: text('deal_type'),
    startedAt: instant('started_at'),
    campaignId: uuid('campaign_id').references(() => campaigns.id),
    agentId: text('agent_id'),
    queueName: text('queue_name'),
    provider: text('provider'),
    direction: text('direction'),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.callId] }),
    index('attribution_credits_call_idx').on(t.callId),
    index('attribution_credits_tenant_closed_idx').on(t.tenantId, t.dealClosedAt),
  ],
);

/**
 * Each won deal's first touch under the default window (the earliest touch by startedAt, then id),
 * kept with its stored credits (src/modules/roi/credits.ts): the lead figures (leadCloseRate,
 * avgDaysToConversion) read it with the call's lead flags and grouping fields, copied here as
 * they are now (as on attribution_credits), so that readers sum one index range of this table.
 */
export const dealFirstTouches = pgTable(
  'deal_first_touches',
  {
    // No foreign keys: their checks would take key-share locks on the deal and call rows inside
    // event transactions. The rows go with the deal's credits (a deal deleted is forgotten first);
    // a call folded away recomputes its number's deals in its transaction (its rows go or move).
    dealId: uuid('deal_id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    callId: uuid('call_id').notNull(),
    startedAt: instant('started_at').notNull(),
    dealClosedAt: instant('deal_closed_at').notNull(),
    /**
     * Copies of the call's grouping fields and lead flags (named as in `calls`, so the dimension
     * SQL of ../../modules/roi/dimensions.ts applies to this table): written with the row, and
     * rewritten by the call listener when the call's fields change. Joining calls instead cost
     * GET /v1/roi one random calls probe per won deal of the range (bench/roi.ts: most of a
     * 90-day answer's time).
     */
    campaignId: uuid('campaign_id'),
    agentId: text('agent_id'),
    queueName: text('queue_name'),
    provider: text('provider'),
    direction: text('direction'),
    firstTimeCaller: boolean('first_time_caller'),
    crmLead: boolean('crm_lead').notNull().default(false),
  },
  (t) => [index('deal_first_touches_tenant_closed_idx').on(t.tenantId, t.dealClosedAt), index('deal_first_touches_call_idx').on(t.callId)],
);

/** Deals whose stored credits must be recomputed (drained by the `roi-refresh` job). */
export const attributionDirtyDeals = pgTable(
  'attribution_dirty_deals',
  {
    tenantId: tenantRef(),
    dealId: uuid('deal_id').notNull(),
    markedAt: instant('marked_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.dealId] }), index('attribution_dirty_deals_marked_idx').on(t.markedAt)],
);

/**
 * Stored credits summed per tenant-local day of the deal's closedAt and call dimension (`dim`:
 * 'all' (value ''; also what time groupings read, by close day), agent, queue, campaign, provider,
 * direction; 'won': the CRM's won deals of the day), per deal type: cents, deals (each counted once per row), and the sum of
 * closedAt − first touch in ms. Rebuilt with the other materialised days (roi_dirty_days): every
 * change to credits marks the close days concerned in its own transaction.
 */
export const roiDayRevenue = pgTable(
  'roi_day_revenue',
  {
    tenantId: uuid('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    dim: text('dim').notNull(),
    value: text('value'),
    dealType: text('deal_type').notNull(),
    cents: bigint('cents', { mode: 'bigint' }).notNull(),
    deals: integer('deals').notNull(),
    toCloseMs: bigint('to_close_ms', { mode: 'bigint' }).notNull(),
  },
  (t) => [index('roi_day_revenue_tenant_dim_day_idx').on(t.tenantId, t.dim, t.day)],
);

/**
 * The stored first touches (deal_first_touches) summed per tenant-local day of the deal's closedAt
 * and dimension of the first-touch call (`dim` as in roi_day_revenue: 'all' (value ''), agent,
 * queue, campaign, provider, direction): won deals whose first touch is a lead call, deals, and the
 * sum of closedAt − first touch in ms (the lead figures of GET /v1/roi, src/modules/roi/leads.ts).
 * Rebuilt with roi_day_revenue, on the same marks.
 */
export const roiDayConversions = pgTable(
  'roi_day_conversions',
  {
    tenantId: uuid('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    dim: text('dim').notNull(),
    value: text('value'),
    leadDeals: integer('lead_deals').notNull(),
    deals: integer('deals').notNull(),
    toCloseMs: bigint('to_close_ms', { mode: 'bigint' }).notNull(),
  },
  (t) => [index('roi_day_conversions_tenant_dim_day_idx').on(t.tenantId, t.dim, t.day)],
);

/**
 * The credits per call and model last sent as `deal.attributed` for a deal (a hash): sent again
 * only when they change. Its own table, written only under the deal's attribution lock
 * (src/modules/roi/credits.ts), so an event's transaction never waits on the deal's row.
 */
export const dealAttributionSent = pgTable('deal_attribution_sent', {
  dealId: uuid('deal_id').primaryKey(),
  tenantId: uuid('tenant_id').notNull(),
  fingerprint: text('fingerprint').notNull(),
});
