import { index, jsonb, numeric, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenantRef } from './_refs.js';

/** CRM contacts pushed by the tenant (contract section 5), upserted on externalId. */
export const crmContacts = pgTable(
  'crm_contacts',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    externalId: text('external_id').notNull(),
    name: text('name'),
    email: text('email'),
    /** E.164, normalised with the tenant country as default region. */
    phones: jsonb('phones').$type<string[]>().notNull().default([]),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('crm_contacts_tenant_external_idx').on(t.tenantId, t.externalId),
    // "Which contacts have this number" (a call arrives): jsonb containment through GIN.
    index('crm_contacts_phones_idx').using('gin', t.phones),
  ],
);

/** CRM deals, upserted on externalId. Amounts are exact decimals in the tenant's one currency. */
export const crmDeals = pgTable(
  'crm_deals',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    externalId: text('external_id').notNull(),
    contactExternalId: text('contact_external_id'),
    phones: jsonb('phones').$type<string[]>().notNull().default([]),
    amount: numeric('amount', { precision: 18, scale: 2 }).notNull(),
    /** The deal's margin ("bénéfice net"): an amount, or a percent of `amount` (at most one is set). */
    margin: numeric('margin', { precision: 18, scale: 2 }),
    marginPercent: numeric('margin_percent', { precision: 9, scale: 4 }),
    currency: text('currency').notNull(),
    stage: text('stage').notNull(),
    type: text('type'),
    closedAt: instant('closed_at'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('crm_deals_tenant_external_idx').on(t.tenantId, t.externalId),
    index('crm_deals_tenant_stage_closed_idx').on(t.tenantId, t.stage, t.closedAt),
    index('crm_deals_tenant_contact_idx').on(t.tenantId, t.contactExternalId),
    index('crm_deals_phones_idx').using('gin', t.phones),
  ],
);

/**
 * CRM leads, upserted on externalId (POST /v1/crm/leads). A lead marks one call: the first call of
 * one of its `matchPhones` started at or after `leadCreatedAt` − the tenant's leadLookbackDays
 * (src/modules/leads/crm-leads.ts; contract section 6).
 */
export const crmLeads = pgTable(
  'crm_leads',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    externalId: text('external_id').notNull(),
    contactExternalId: text('contact_external_id'),
    /** As posted, E.164. */
    phones: jsonb('phones').$type<string[]>().notNull().default([]),
    /** `phones` and its contact's phones: what calls are matched on (kept up to date when the contact changes). */
    matchPhones: jsonb('match_phones').$type<string[]>().notNull().default([]),
    source: text('source').notNull(),
    /** When the CRM created the lead (the API's `createdAt`). */
    leadCreatedAt: instant('lead_created_at').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('crm_leads_tenant_external_idx').on(t.tenantId, t.externalId),
    index('crm_leads_tenant_contact_idx').on(t.tenantId, t.contactExternalId),
    // "Which leads have this number" (a call arrives, a number is refreshed): jsonb containment through GIN.
    index('crm_leads_match_phones_idx').using('gin', t.matchPhones),
  ],
);

export type CrmLeadRow = typeof crmLeads.$inferSelect;
export type CrmContactRow = typeof crmContacts.$inferSelect;
export type CrmDealRow = typeof crmDeals.$inferSelect;
