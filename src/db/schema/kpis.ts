import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, smallint, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';

/**
 * KPI rollups: additive sums per tenant × tenant-local hour × the finest grain of every KPI
 * dimension (agent, queue, campaign, provider, direction). Days, weeks and months are derived from
 * the hour key ('YYYY-MM-DDTHH', tenant time), the channel from the campaign; any groupBy and any
 * filter of GET /v1/kpis is one GROUP BY over this table. Dimensions absent on a call are '' (not
 * NULL) so that they can be part of the primary key.
 *
 * The rows of an hour are always rebuilt from the calls table as a whole (never incremented), which
 * is what keeps them equal to a recomputation from the calls.
 */
/** The additive KPI sums (src/domain/kpis/definitions.ts KpiSums), the same in every rollup table. */
export const kpiSumColumns = () => ({
    calls: integer('calls').notNull(),
    offered: integer('offered').notNull(),
    answered: integer('answered').notNull(),
    abandoned: integer('abandoned').notNull(),
    shortAbandoned: integer('short_abandoned').notNull(),
    shortAbandonedWithinSl: integer('short_abandoned_within_sl').notNull(),
    missed: integer('missed').notNull(),
    voicemail: integer('voicemail').notNull(),
    answeredWithinSl: integer('answered_within_sl').notNull(),
    waitSumAnswered: bigint('wait_sum_answered', { mode: 'number' }).notNull(),
    handledCount: integer('handled_count').notNull(),
    handleSumHandled: bigint('handle_sum_handled', { mode: 'number' }).notNull(),
    fcrEligible: integer('fcr_eligible').notNull(),
    fcrResolved: integer('fcr_resolved').notNull(),
    csatCount: integer('csat_count').notNull(),
    csatPositive: integer('csat_positive').notNull(),
    npsCount: integer('nps_count').notNull(),
    npsPromoters: integer('nps_promoters').notNull(),
    npsDetractors: integer('nps_detractors').notNull(),
    /** Inbound calls handled by automation that reached no agent (status self_served). */
    selfServed: integer('self_served').notNull().default(0),
    /** Inbound calls that met automation (provider report, automation endpoint or annotation). */
    automationMet: integer('automation_met').notNull().default(0),
    /** Of those, the ones escalated to an agent. */
    automationEscalated: integer('automation_escalated').notNull().default(0),
    /** CSAT responses to self-served calls, and the 4s and 5s among them. */
    csatAutomatedCount: integer('csat_automated_count').notNull().default(0),
    csatAutomatedPositive: integer('csat_automated_positive').notNull().default(0),
    /** handleSeconds of the repeat calls of unresolved calls, waitSeconds of offered calls, handled calls with more than one agent. */
    repeatHandleSum: bigint('repeat_handle_sum', { mode: 'number' }).notNull().default(0),
    waitSumOffered: bigint('wait_sum_offered', { mode: 'number' }).notNull().default(0),
    transferred: integer('transferred').notNull().default(0),
    /** Calls whose number is a first-time caller (leads). */
    leads: integer('leads').notNull().default(0),
    /** Calls with a sentiment, and the positive ones (positiveSentimentRate). */
    sentimentCount: integer('sentiment_count').notNull().default(0),
    sentimentPositive: integer('sentiment_positive').notNull().default(0),
    /** Calls with a sentiment score, and the sum of their scores in thousandths (sentimentScore, exact). */
    sentimentScoreCount: integer('sentiment_score_count').notNull().default(0),
    sentimentScoreMilliSum: bigint('sentiment_score_milli_sum', { mode: 'number' }).notNull().default(0),
});

/** The sum fields in column order, and their SQL column names: the one list every rollup query derives its columns from. */
export type KpiSumField = keyof ReturnType<typeof kpiSumColumns>;
export const kpiSumFields = Object.keys(kpiSumColumns()) as KpiSumField[];

export const kpiHourly = pgTable(
  'kpi_hourly',
  {
    tenantId: uuid('tenant_id').notNull(),
    hourKey: text('hour_key').notNull(),
    agentId: text('agent_id').notNull(),
    queue: text('queue').notNull(),
    campaignId: text('campaign_id').notNull(),
    provider: text('provider').notNull(),
    direction: text('direction').notNull(),
    ...kpiSumColumns(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hourKey, t.agentId, t.queue, t.campaignId, t.provider, t.direction] })],
);

/**
 * Coarse rollups that the common KPI queries read: per tenant × tenant-local day × one dimension
 * (kind 'all' with value '', or 'agent' | 'queue' | 'campaign' | 'provider' | 'direction' with the
 * dimension's value, '' when the call has none). Each row is the kpi_hourly rows of that day summed
 * over every other dimension, so a query that groups by day/week/month or by one dimension, with at
 * most that dimension filtered, reads ~one row per day and value instead of ~one row per call.
 *
 * `handled_hours` is the number of distinct local clock hours of that day with at least one handled
 * call for that value (callsPerHour's denominator): hours belong to one day, so it adds up across
 * days. It does not add up across values, which is why `channel` (a set of campaigns) and any
 * combination of two dimensions read kpi_hourly.
 *
 * Month rows live in the same table: kind 'm.<kind>', day 'YYYY-MM', the sums of that month's day
 * rows (handled hours add up across days, so also across a month). A dimension grouping over a long
 * range reads month rows, minus the day rows of the month outside the range.
 *
 * Derived from kpi_hourly only, by the same refresh transaction, for the days (and months) of the
 * dirty hours.
 */
export const kpiDaily = pgTable(
  'kpi_daily',
  {
    tenantId: uuid('tenant_id').notNull(),
    kind: text('kind').notNull(),
    day: text('day').notNull(),
    value: text('value').notNull(),
    ...kpiSumColumns(),
    handledHours: integer('handled_hours').notNull(),
  },
  (t) => [
    // groupBy day/week/month (kind 'all') and groupBy <dimension> over a day range.
    primaryKey({ columns: [t.tenantId, t.kind, t.day, t.value] }),
    // One filtered value over a day range (e.g. agentId=… groupBy=day).
    index('kpi_daily_value_idx').on(t.tenantId, t.kind, t.value, t.day),
  ],
);

/**
 * Hours whose rollup rows are stale. Append-only (no unique key): writers never wait on each other
 * or on the refresh job; 10 000 events touching one hour are 10 000 small rows but one recompute.
 */
export const kpiDirtyHours = pgTable(
  'kpi_dirty_hours',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    hourKey: text('hour_key').notNull(),
    /**
     * A call change marks only its call's group of the hour: [agentId, queueName, campaignId,
     * provider, direction] as the call row has them, and the refresh rebuilds only the kpi_hourly
     * row of that group (the hour's other calls are not read again). Null: the whole hour.
     */
    callGroup: jsonb('call_group').$type<[string | null, string | null, string | null, string, string]>(),
    markedAt: instant('marked_at').notNull().defaultNow(),
  },
  (t) => [index('kpi_dirty_hours_tenant_idx').on(t.tenantId, t.id)],
);

/** The settings the tenant's rollups were built with; a different fingerprint → full rebuild. */
export const kpiState = pgTable('kpi_state', {
  tenantId: uuid('tenant_id').primaryKey(),
  fingerprint: text('fingerprint').notNull(),
  rebuiltAt: instant('rebuilt_at').notNull().defaultNow(),
});

/** POST /v1/surveys. One row per (call, respondedAt): re-sending a response replaces it. */
export const surveyResponses = pgTable(
  'survey_responses',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    callId: uuid('call_id').notNull(),
    csat: smallint('csat'),
    nps: smallint('nps'),
    respondedAt: instant('responded_at').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('survey_responses_call_idx').on(t.tenantId, t.callId, t.respondedAt)],
);

/**
 * Agents as providers name them, maintained from call changes and presence events, with what the
 * tenant says of them: a display name, an email, and `linkedTo`, the id of the agent this one is the
 * same person as (on another provider). A linked agent's calls, schedules and costs count under
 * `linkedTo` in the KPI rollups and the ROI (`canonicalAgentIdSql` in src/modules/agents).
 */
export const agents = pgTable(
  'agents',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: text('id').notNull(),
    name: text('name'),
    provider: text('provider').notNull(),
    displayName: text('display_name'),
    email: text('email'),
    linkedTo: text('linked_to'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index('agents_linked_to_idx').on(t.tenantId, t.linkedTo)],
);

/** Queues as providers name them; `key` is the provider's queue id, else its name. */
export const queues = pgTable(
  'queues',
  {
    tenantId: uuid('tenant_id').notNull(),
    provider: text('provider').notNull(),
    key: text('key').notNull(),
    queueId: text('queue_id'),
    name: text('name'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.provider, t.key] })],
);

/** Tenant-supplied staffed intervals (POST /v1/agents/{id}/schedules), [startsAt, endsAt). */
export const agentSchedules = pgTable(
  'agent_schedules',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    agentId: text('agent_id').notNull(),
    startsAt: instant('starts_at').notNull(),
    endsAt: instant('ends_at').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('agent_schedules_interval_idx').on(t.tenantId, t.agentId, t.startsAt, t.endsAt),

  ],
);

/**
 * Availability changes from providers (Aircall user.opened/closed…). Stored as events, not
 * intervals: intervals are derived at read time (each event to the next one of the same agent), so
 * duplicated and out-of-order deliveries change nothing.
 */
export const agentPresenceEvents = pgTable(
  'agent_presence_events',
  {
    tenantId: uuid('tenant_id').notNull(),
    agentId: text('agent_id').notNull(),
    at: instant('at').notNull(),
    state: text('state').notNull(),
    connectionId: uuid('connection_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.agentId, t.at, t.state] })],
);

export type KpiHourlyRow = typeof kpiHourly.$inferSelect;

/** The SQL column name of each sum field (the same in kpi_hourly and kpi_daily). */
export const kpiSumColumnNames: Record<KpiSumField, string> = Object.fromEntries(kpiSumFields.map((f) => [f, kpiHourly[f].name])) as Record<KpiSumField, string>;
export type AgentRow = typeof agents.$inferSelect;
