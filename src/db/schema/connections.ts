import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenants } from './tenants.js';

export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    provider: text('provider').notNull(),
    name: text('name'),
    /** AES-256-GCM sealed JSON of the credentials (src/lib/crypto.ts). Never returned. */
    credentialsSealed: text('credentials_sealed').notNull(),
    /** unverified | healthy | invalid_credentials | unreachable | expiring | blacklisted | disabled |
     *  webhook_token_missing (src/modules/connections/health.ts; kept up to date by the checks). */
    health: text('health').notNull().default('unverified'),
    healthDetail: jsonb('health_detail').$type<Record<string, unknown>>(),
    healthCheckedAt: instant('health_checked_at'),
    /** What deliveries taught us about the connection (e.g. RingCentral's subscription id). */
    state: jsonb('state').$type<Record<string, string>>().notNull().default({}),
    lastEventAt: instant('last_event_at'),
    deletedAt: instant('deleted_at'),
    ...timestamps,
  },
  (t) => [index('connections_tenant_idx').on(t.tenantId)],
);

export type ConnectionRow = typeof connections.$inferSelect;
