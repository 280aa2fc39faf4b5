import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';

/** A CRM's outbound webhook subscription (contract section 8). The signing secret is sealed. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    url: text('url').notNull(),
    events: jsonb('events').$type<string[]>().notNull(),
    secretSealed: text('secret_sealed').notNull(),
    /** Failed attempts in a row (any delivery); a success resets it. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /** Set when the endpoint looks dead: its deliveries wait (not lost) until it is resumed. */
    pausedAt: instant('paused_at'),
    pausedReason: text('paused_reason'),
    deletedAt: instant('deleted_at'),
    ...timestamps,
  },
  (t) => [index('subscriptions_tenant_idx').on(t.tenantId)],
);

/**
 * The outbox and delivery log: a row is written in the same transaction as the change it reports,
 * then delivered (and retried with backoff) by the worker. status: pending → delivered | failed |
 * superseded (a later row of the same subscription and coalesce key carries the newer state).
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    subscriptionId: uuid('subscription_id').notNull(),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    nextAttemptAt: instant('next_attempt_at').notNull().defaultNow(),
    deliveredAt: instant('delivered_at'),
    /**
     * What the row reports on (`call:<id>`, `deal:<id>`): of a subscription's pending rows with one
     * key only the newest is sent, and at most once per COALESCE_SECONDS (subscriptions.service).
     * Null: every row is its own event (alerts, reports).
     */
    coalesceKey: text('coalesce_key'),
    /** When an attempt of this row started (the per-key spacing reads it). */
    sentAt: instant('sent_at'),
    ...timestamps,
  },
  (t) => [
    index('deliveries_subscription_key_idx').on(t.subscriptionId, t.coalesceKey, t.createdAt).where(sql`coalesce_key is not null`),
    index('deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('deliveries_subscription_idx').on(t.subscriptionId, t.createdAt),
    // The fair claim takes the next few due rows of each subscription (subscriptions.service due()).
    index('deliveries_subscription_due_idx').on(t.subscriptionId, t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
