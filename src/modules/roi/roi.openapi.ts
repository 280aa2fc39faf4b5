/** OpenAPI description of GET /v1/roi. */
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
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
  costPerAcquisition: money.nullable().describe('cost / deals credited in the row'),
  avgDaysFirstCallToClose: z.number().nullable(),
  revenueByDealType: z.record(z.string(), money),
  targets: z.array(rowTargetSchema).describe('the targets that apply to this row (roiPercent), met or not'),
});
const roiResponse = z.object({
  currency: z.string(),
  basis: z.enum(['revenue', 'margin']).describe('margin: `revenue` fields hold the credited margins'),
  model: z.string(),
  windowDays: z.number().int(),
  groupBy: z.string(),
  from: z.string(),
  to: z.string(),
  total: roiFigures.extend({
    wonDeals: z.number().int(),
    unattributedRevenue: money,
    dealsWithoutMargin: z.number().int().optional().describe('basis=margin: won deals of the range without a margin and no tenant default, left out'),
  }),
  rows: z.array(roiFigures.extend({ name: z.string().nullable().optional() })),
});

export const roiOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/roi',
    operationId: 'getRoi',
    tag: 'roi',
    auth: 'tenant',
    summary: 'Attributed revenue, allocated cost and ROI by dimension, for any attribution model and window',
    description: 'from/to: ISO instants, or dates meaning 00:00 tenant time; default the last 30 days. Deals are selected by closedAt in [from, to); costs by day. Time groupings (day, week, month, quarter) hold their own costs and the revenue of the deals closed in them.',
    query: roiQuery,
    response: roiResponse,
  },
];
