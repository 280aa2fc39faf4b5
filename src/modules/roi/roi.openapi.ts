/** OpenAPI description of GET /v1/roi. */
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { compareModes } from '../../domain/compare.js';
import { roiQuery } from './roi.schemas.js';
import { rowTargetSchema } from '../targets/index.js';

const money = z.string().regex(/^-?\d+\.\d{2}$/);
const roiFigures = z.object({
  key: z.string().nullable(),
  revenue: money,
  cost: money,
  net: money,
  roiPercent: z.number().nullable().describe('(revenue − cost) / cost × 100, 2 decimals, rounded half away from zero; null when cost is 0'),
  calls: z.number().int(),
  deals: z.number().int(),
  directCost: money,
  indirectCost: money,
  revenuePerCall: money.nullable(),
  costPerAcquisition: money.nullable().describe('cost / acquisitions credited in the row (deals of type `new` or without a type); null without one'),
  avgDaysFirstCallToClose: z.number().nullable(),
  revenueByDealType: z.record(z.string(), money),
  leads: z.number().int().describe('calls of the row that are leads (firstTimeCaller or crmLead)'),
  leadCloseRate: z.number().min(0).nullable().describe("won deals whose first touch is a lead call of the row (time groupings: closed in the period) / leads; null without leads"),
  costPerLead: money.nullable().describe('cost / leads; null without leads'),
  avgDaysToConversion: z.number().nullable().describe("mean days from a won deal's first touch to its closedAt, over the deals whose first touch is in the row (time groupings: closed in it)"),
  repeatCalls: z.number().int().describe('the cost of inefficiency, as the KPI row of the same key (contract section 6): answered inbound calls made unresolved by a later inbound call of the number'),
  repeatCallsCost: money.nullable().describe("the repeat calls' handle seconds × the row's cost per handled second; null without cost"),
  waitCost: money.nullable().describe('wait seconds of offered calls × tenant setting waitCostPerHour / 3600; null while unset'),
  transferRate: z.number().min(0).max(1).nullable().describe('handled calls with more than one agent / handled calls; null without handled calls'),
  targets: z.array(rowTargetSchema).describe('the targets that apply to this row (roiPercent), met or not'),
});
const comparedFigures = z.object({
  revenue: money,
  cost: money,
  net: money,
  roiPercent: z.number().nullable(),
  calls: z.number().int(),
  deals: z.number().int(),
});
const figureDelta = z.union([z.number(), z.string(), z.null()]);
/** compare=…: the aligned row of the comparison window and current − compared. */
const roiCompare = z
  .object({
    key: z.string().nullable().describe('the aligned row of the comparison window: the same dimension value, or the period at the same position'),
    from: z.string().describe('start of the compared window or period (instant)'),
    to: z.string().describe('end of the compared window or period (instant, excluded)'),
    values: comparedFigures,
    delta: z
      .object({ revenue: figureDelta, cost: figureDelta, net: figureDelta, roiPercent: figureDelta, calls: figureDelta, deals: figureDelta })
      .describe('current − compared, per figure; money as a 2-decimal string; null when either is null'),
  })
  .nullable()
  .describe('null for a time row whose position the shorter comparison window does not have');
const roiResponse = z.object({
  currency: z.string(),
  basis: z.enum(['revenue', 'margin']).describe('margin: `revenue` fields hold the credited margins'),
  model: z.string(),
  windowDays: z.number().int(),
  groupBy: z.string(),
  from: z.string(),
  to: z.string(),
  compare: z.object({ mode: z.enum(compareModes), from: z.string(), to: z.string() }).optional().describe('compare=…: the mode and the comparison window'),
  total: roiFigures.extend({
    wonDeals: z.number().int(),
    unattributedRevenue: money,
    dealsWithoutMargin: z.number().int().optional().describe('basis=margin: won deals of the range without a margin and no tenant default, left out'),
    compare: roiCompare.optional(),
  }),
  rows: z.array(roiFigures.extend({ name: z.string().nullable().optional(), compare: roiCompare.optional() })),
});

export const roiOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/roi',
    operationId: 'getRoi',
    tag: 'roi',
    auth: 'tenant',
    summary: 'Attributed revenue, allocated cost and ROI by dimension, for any attribution model and window',
    description: 'from/to: ISO instants, or dates meaning 00:00 tenant time; default the last 30 days. Deals are selected by closedAt in [from, to); costs by day. Time groupings (day, week, month, quarter) hold their own costs and the revenue of the deals closed in them. `compare=previous_period|previous_year` adds to each row and the total the figures of the comparison window (rows aligned by dimension value, or by position in the period) and the differences.',
    query: roiQuery,
    response: roiResponse,
  },
];
