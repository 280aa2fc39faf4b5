import { jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';

/** Tenant settings that change how figures are computed (KPI definitions, pricing). */
export interface TenantSettings {
  shortAbandonSeconds?: number;
  serviceLevelSeconds?: number;
  fcrWindowDays?: number;
  defaultAfterCallWorkSeconds?: number;
  countProviderPrices?: boolean;
  [key: string]: unknown;
}

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  currency: text('currency').notNull(),
  timezone: text('timezone').notNull(),
  country: text('country'),
  /** SHA-256 of the API key; the key itself is shown once at creation. */
  apiKeyHash: text('api_key_hash').notNull().unique(),
  /** The key replaced by the last rotation, valid until `previousApiKeyExpiresAt` (the grace period). */
  previousApiKeyHash: text('previous_api_key_hash').unique(),
  previousApiKeyExpiresAt: instant('previous_api_key_expires_at'),
  settings: jsonb('settings').$type<TenantSettings>().notNull().default({}),
  ...timestamps,
});

export type TenantRow = typeof tenants.$inferSelect;
