import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenantRef } from './_refs.js';

/**
 * A marketing campaign (contract section 5); `channel` is its marketing source (google_ads, …).
 * Deleting one sets `deletedAt` (the API then answers 404 for it): the costs and the history that
 * name it keep a row to point at.
 */
export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    channel: text('channel').notNull(),
    deletedAt: instant('deleted_at'),
    ...timestamps,
  },
  (t) => [index('campaigns_tenant_idx').on(t.tenantId, t.createdAt)],
);

/**
 * One assignment of a tracking number to a campaign over [validFrom, validTo) (null = open end).
 * History is kept: moving a number closes the old period instead of deleting it, so calls made
 * before the move keep their campaign.
 */
export const campaignNumbers = pgTable(
  'campaign_numbers',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    number: text('number').notNull(),
    validFrom: instant('valid_from'),
    validTo: instant('valid_to'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('campaign_numbers_tenant_number_idx').on(t.tenantId, t.number),
    index('campaign_numbers_campaign_idx').on(t.campaignId),
  ],
);

export type CampaignRow = typeof campaigns.$inferSelect;
export type CampaignNumberRow = typeof campaignNumbers.$inferSelect;
