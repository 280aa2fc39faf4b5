import { index, integer, jsonb, numeric, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenantRef } from './_refs.js';
import { campaigns } from './campaigns.js';

export interface AgentRefJson {
  id: string;
  name: string | null;
}

/** The unified call (contract section 4). One row per customer call, whatever its legs. */
export const calls = pgTable(
  'calls',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    connectionId: uuid('connection_id').notNull(),
    provider: text('provider').notNull(),
    /** The connector's grouping key of the call's events (unique per connection). */
    callKey: text('call_key').notNull(),
    providerCallId: text('provider_call_id').notNull(),
    direction: text('direction').notNull(),
    status: text('status').notNull(),
    externalNumber: text('external_number'),
    trackingNumber: text('tracking_number'),
    startedAt: instant('started_at').notNull(),
    answeredAt: instant('answered_at'),
    endedAt: instant('ended_at'),
    waitSeconds: integer('wait_seconds').notNull(),
    talkSeconds: integer('talk_seconds').notNull(),
    holdSeconds: integer('hold_seconds'),
    afterCallWorkSeconds: integer('after_call_work_seconds').notNull(),
    /** Whether after-call work came from the provider (else the tenant default at compute time). */
    acwReported: integer('acw_reported').notNull().default(0),
    handleSeconds: integer('handle_seconds').notNull(),
    agentId: text('agent_id'),
    agentName: text('agent_name'),
    agents: jsonb('agents').$type<AgentRefJson[]>().notNull().default([]),
    offeredAgents: jsonb('offered_agents').$type<AgentRefJson[]>().notNull().default([]),
    queueId: text('queue_id'),
    queueName: text('queue_name'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    recordingUrl: text('recording_url'),
    costAmount: numeric('cost_amount', { precision: 18, scale: 6 }),
    costCurrency: text('cost_currency'),
    /** A deleted campaign is soft-deleted, so the calls that kept it still point at a row. */
    campaignId: uuid('campaign_id').references(() => campaigns.id),
    attributedRevenue: numeric('attributed_revenue', { precision: 18, scale: 2 }).notNull().default('0'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('calls_connection_key_idx').on(t.connectionId, t.callKey),
    index('calls_tenant_started_idx').on(t.tenantId, t.startedAt, t.id),
    index('calls_tenant_updated_idx').on(t.tenantId, t.updatedAt),
    index('calls_tenant_external_idx').on(t.tenantId, t.externalNumber, t.startedAt),
    index('calls_tenant_provider_call_idx').on(t.tenantId, t.provider, t.providerCallId),
  ],
);

export type CallRow = typeof calls.$inferSelect;
