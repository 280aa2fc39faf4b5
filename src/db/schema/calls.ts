import { boolean, index, integer, jsonb, numeric, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant, timestamps } from './_helpers.js';
import { tenantRef } from './_refs.js';
import { campaigns } from './campaigns.js';

/** The automation a call met, and who told: the provider (its own report), an automation endpoint of the tenant, or an annotation. */
export interface AutomationJson {
  source: 'provider' | 'endpoint' | 'annotation';
  id: string | null;
  name: string | null;
  evidence: string;
}

/** The customer's sentiment: from the provider's speech analytics or an annotation (`source`). */
export interface SentimentJson {
  label: 'positive' | 'neutral' | 'negative';
  score: number | null;
  source: string;
}

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
    /** 'agent' | 'automation' | null: who handled the call; 'automation' only on positive evidence (`automation`). */
    handledBy: text('handled_by'),
    /** The call met automation and was handed to (or reached) an agent. */
    escalatedFromAutomation: boolean('escalated_from_automation').notNull().default(false),
    automation: jsonb('automation').$type<AutomationJson>(),
    /** No call to or from its number in the tenant's leadLookbackDays before it; null without a number. */
    firstTimeCaller: boolean('first_time_caller'),
    /** A CRM lead marks this call (the first call of one of the lead's phones in its window; src/modules/leads/crm-leads.ts). */
    crmLead: boolean('crm_lead').notNull().default(false),
    sentiment: jsonb('sentiment').$type<SentimentJson>(),
    /** From annotations (POST /v1/calls/annotations): a transcript summary, topics, the call's outcome. */
    summary: text('summary'),
    topics: jsonb('topics').$type<string[]>(),
    outcome: text('outcome'),
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

/**
 * What the tenant says of a call (POST /v1/calls/annotations), kept apart from the call so that a
 * recompute of the call from its events applies it again. Keyed like the call's events (connection
 * and call key), the identity a recompute knows. A null field says nothing.
 */
export const callAnnotations = pgTable(
  'call_annotations',
  {
    tenantId: uuid('tenant_id').notNull(),
    connectionId: uuid('connection_id').notNull(),
    callKey: text('call_key').notNull(),
    callId: uuid('call_id').notNull(),
    sentiment: jsonb('sentiment').$type<SentimentJson>(),
    summary: text('summary'),
    topics: jsonb('topics').$type<string[]>(),
    outcome: text('outcome'),
    handledBy: text('handled_by'),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.callKey] }), index('call_annotations_tenant_call_idx').on(t.tenantId, t.callId)],
);
export type CallAnnotationRow = typeof callAnnotations.$inferSelect;
