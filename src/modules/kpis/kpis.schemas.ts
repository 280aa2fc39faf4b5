/** GET /v1/kpis: query and response (contract section 6), reused by the OpenAPI document. */
import { z } from 'zod';
import { compareModes } from '../../domain/compare.js';
import { formatField } from '../../http/csv.js';

export const kpiGroupBys = ['hour', 'day', 'week', 'month', 'quarter', 'agent', 'queue', 'campaign', 'channel', 'provider', 'direction'] as const;
export type KpiGroupBy = (typeof kpiGroupBys)[number];
/** Groupings by a period of tenant time (the rows' keys are periods, in order). */
export const kpiTimeGroupBys = ['hour', 'day', 'week', 'month', 'quarter'] as const satisfies readonly KpiGroupBy[];
export type KpiTimeGroupBy = (typeof kpiTimeGroupBys)[number];
export const isTimeGroupBy = (groupBy: KpiGroupBy): groupBy is KpiTimeGroupBy => (kpiTimeGroupBys as readonly string[]).includes(groupBy);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A tenant-local date (its 00:00 in the tenant's timezone) or an ISO 8601 instant with an offset. */
export const dateOrInstant = z.union([
  z.string().regex(DATE, 'must be YYYY-MM-DD or an ISO 8601 date-time with an offset'),
  z.iso.datetime({ offset: true }),
]);

const booleanString = z.enum(['true', 'false']).transform((v) => v === 'true');

export const kpisQuery = z
  .object({
    from: dateOrInstant.optional(),
    to: dateOrInstant.optional(),
    groupBy: z.enum(kpiGroupBys).default('day'),
    provider: z.enum(['twilio', 'ringcentral', 'vonage', 'aircall']).optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    agentId: z.string().min(1).max(200).optional(),
    campaignId: z.uuid().optional(),
    /** The queue's name (the key of groupBy=queue). */
    queue: z.string().min(1).max(200).optional(),
    /** Only the hours inside the tenant's `businessHours`; defaults to `kpisBusinessHoursOnly`. */
    businessHoursOnly: booleanString.optional(),
    /** Adds to each row and the total the same figures over an earlier window (src/domain/compare.ts). */
    compare: z.enum(compareModes).optional(),
    /** `csv`: the rows and the total as CSV (as `Accept: text/csv`). */
    format: z.enum(formatField).optional(),
  })
  .strict();

export type KpisQuery = z.infer<typeof kpisQuery>;

const fraction = z.number().min(0).max(1).nullable();

export const kpiFigures = z.object({
  offered: z.number().int(),
  answered: z.number().int(),
  abandoned: z.number().int(),
  shortAbandoned: z.number().int(),
  missed: z.number().int(),
  voicemail: z.number().int(),
  abandonmentRate: fraction,
  serviceLevel: fraction,
  asaSeconds: z.number().nullable(),
  ahtSeconds: z.number().nullable(),
  fcrRate: fraction,
  occupancy: fraction,
  csat: fraction,
  nps: z.number().min(-100).max(100).nullable(),
  costPerCall: z.string().nullable().describe('money, 2-decimal string in the tenant currency'),
  callsPerHour: z.number().nullable(),
  automatedRate: fraction.describe('self_served / (self_served + offered): inbound calls automation ended without an agent'),
  csatAutomated: fraction.describe('csat over the responses to self-served calls'),
  escalatedRate: fraction.describe('calls escalated from automation to an agent / inbound calls that met automation'),
  repeatCalls: z.number().int().describe('fcrEligible − fcrResolved: answered inbound calls made unresolved by a later inbound call of the number'),
  repeatCallsCost: z.string().nullable().describe("money: the repeat calls' handle seconds × the row's cost per handled second (costPerCall's cost / handle seconds); null without cost"),
  waitCost: z.string().nullable().describe('money: wait seconds of offered calls × tenant setting waitCostPerHour / 3600; null while unset'),
  transferRate: fraction.describe('handled calls with more than one agent / handled calls'),
  leads: z.number().int().describe("calls (both directions) that are leads: firstTimeCaller (no call of the number in the tenant's leadLookbackDays before) or crmLead (marked by a CRM lead)"),
  leadCloseRate: z.number().min(0).nullable().describe('won deals closed in the range whose first touch is a lead call (counted in the row of that touch; time groupings: of the close) / leads; null without leads, or under filters'),
  costPerLead: z.string().nullable().describe("money: the row's cost (as costPerCall's) / leads; null without leads or cost"),
  avgDaysToConversion: z.number().nullable().describe("mean days from a won deal's first touch to its closedAt, over the row's won deals with a touch (2 decimals)"),
  positiveSentimentRate: fraction.describe('calls (both directions) with a positive sentiment / calls with a sentiment'),
  sentimentScore: z.number().min(-1).max(1).nullable().describe('mean sentiment score (-1..1, 3 decimals) of the calls with a score'),
});

const figureDelta = z.union([z.number(), z.string(), z.null()]);

/** The figures of the comparison window for a row, and current − previous. */
export const kpiCompareSchema = z
  .object({
    key: z.string().nullable().describe('the aligned row of the comparison window: the same dimension value, or the period at the same position'),
    from: z.string().describe('start of the compared window or period (instant)'),
    to: z.string().describe('end of the compared window or period (instant, excluded)'),
    values: kpiFigures,
    delta: z.record(z.string(), figureDelta).describe('current − compared, per figure; money as a 2-decimal string; null when either is null'),
  })
  .nullable()
  .describe('null for a time row whose position the shorter comparison window does not have');

export const kpiRowSchema = kpiFigures.extend({ key: z.string().nullable(), compare: kpiCompareSchema.optional() });

/** Which settings produced the figures, so that two reports can be compared. */
export const kpiDefinitionsSchema = z.object({
  timezone: z.string(),
  currency: z.string(),
  groupBy: z.enum(kpiGroupBys),
  range: z.object({
    from: z.string().describe('first hour counted (instant)'),
    to: z.string().describe('end of the last hour counted (instant, excluded)'),
    note: z.string(),
  }),
  filters: z.record(z.string(), z.string()),
  shortAbandonSeconds: z.number(),
  serviceLevelSeconds: z.number(),
  serviceLevelFormula: z.string(),
  creditShortAbandons: z.boolean(),
  fcrWindowDays: z.number(),
  defaultAfterCallWorkSeconds: z.number(),
  businessHours: z
    .object({ days: z.array(z.number()), startHour: z.number(), endHour: z.number() })
    .nullable(),
  businessHoursOnly: z.boolean(),
  occupancy: z.string(),
  costPerCall: z.string(),
  leads: z.string(),
  waitCostPerHour: z.string().nullable().optional(),
  /** False while a settings change is still being applied to the stored rollups. */
  rollupsCurrent: z.boolean(),
  compare: z.object({ mode: z.enum(compareModes), from: z.string(), to: z.string() }).optional(),
});

export const kpisResponse = z.object({
  rows: z.array(kpiRowSchema),
  total: kpiRowSchema,
  definitions: kpiDefinitionsSchema,
});

export type KpisResponse = z.infer<typeof kpisResponse>;
