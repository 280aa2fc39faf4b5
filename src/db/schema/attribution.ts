import { bigint, index, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';

/**
 * Stored credits of the default model (last_touch, default window) per (deal, call), in cents:
 * the source of `calls.attributed_revenue`. Other models and windows are computed on the fly.
 */
export const attributionCredits = pgTable(
  'attribution_credits',
  {
    tenantId: uuid('tenant_id').notNull(),
    dealId: uuid('deal_id').notNull(),
    callId: uuid('call_id').notNull(),
    cents: bigint('cents', { mode: 'bigint' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.dealId, t.callId] }), index('attribution_credits_call_idx').on(t.callId)],
);

/** Deals whose stored credits must be recomputed (drained by the `attribution` job). */
export const attributionDirtyDeals = pgTable(
  'attribution_dirty_deals',
  {
    tenantId: uuid('tenant_id').notNull(),
    dealId: uuid('deal_id').notNull(),
    markedAt: instant('marked_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.dealId] })],
);
