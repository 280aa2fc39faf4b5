import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';
import { connectionRef, tenantRef } from './_refs.js';

/**
 * The durable webhook inbox: one row per provider delivery, committed before the provider gets its
 * 2xx. `dedupe_key` is the provider's event identity, so a re-delivery is a no-op insert.
 * status: pending → processed | failed (a shape the connector could not read; reprocessable).
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    connectionId: connectionRef(),
    provider: text('provider').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    query: jsonb('query').$type<Record<string, string>>().notNull(),
    body: text('body').notNull(),
    receivedAt: instant('received_at').notNull().defaultNow(),
    processedAt: instant('processed_at'),
  },
  (t) => [
    uniqueIndex('webhook_events_dedupe_idx').on(t.connectionId, t.dedupeKey),
    index('webhook_events_pending_idx').on(t.receivedAt).where(sql`status = 'pending'`),
    index('webhook_events_connection_status_idx').on(t.connectionId, t.status, t.receivedAt),
    index('webhook_events_tenant_status_idx').on(t.tenantId, t.status),
  ],
);

/**
 * Normalised facts per call, from webhooks and from the REST API alike. A call is always recomputed
 * from all of its events, which is what makes the merge order-independent and idempotent.
 */
export const callEvents = pgTable(
  'call_events',
  {
    connectionId: connectionRef(),
    callKey: text('call_key').notNull(),
    eventKey: text('event_key').notNull(),
    tenantId: tenantRef(),
    source: text('source').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.callKey, t.eventKey] })],
);

export type WebhookEventRow = typeof webhookEvents.$inferSelect;

/**
 * Calls a provider joins after the fact (a Vonage transfer moves a leg into another conversation):
 * the events of `alias_key`, stored or still to come, belong to the call `call_key` (which may itself
 * be an alias: chains are followed).
 */
export const callLinks = pgTable(
  'call_links',
  {
    connectionId: connectionRef(),
    aliasKey: text('alias_key').notNull(),
    callKey: text('call_key').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.aliasKey] }), index('call_links_call_idx').on(t.connectionId, t.callKey)],
);
