/** Targets: request bodies and the KPI names a target may name (contract section 6, plus ROI %). */
import { z } from 'zod';

/** The figures of a `GET /v1/kpis` row a target can watch. */
export const kpiTargetFields = [
  'offered', 'answered', 'abandoned', 'shortAbandoned', 'missed', 'voicemail', 'abandonmentRate', 'serviceLevel',
  'asaSeconds', 'ahtSeconds', 'fcrRate', 'occupancy', 'csat', 'nps', 'costPerCall', 'callsPerHour',
] as const;
/** …and of a `GET /v1/roi` row. */
export const roiTargetFields = ['roiPercent'] as const;
export const targetKpis = [...kpiTargetFields, ...roiTargetFields] as const;
export type TargetKpi = (typeof targetKpis)[number];

export const targetPeriods = ['day', 'week', 'month'] as const;

export const scopeSchema = z
  .object({
    campaignId: z.uuid().optional(),
    agentId: z.string().min(1).max(200).optional(),
    queue: z.string().min(1).max(200).optional(),
    channel: z.string().min(1).max(100).optional(),
  })
  .strict();

const decimalValue = z.union([z.number().finite(), z.string().regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'must be a decimal number')]);

export const createTargetBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    kpi: z.enum(targetKpis),
    comparison: z.enum(['>=', '<=']),
    value: decimalValue,
    scope: scopeSchema.optional(),
    period: z.enum(targetPeriods).nullable().optional(),
    notify: z.boolean().optional(),
  })
  .strict();

export const patchTargetBody = createTargetBody.partial().strict();

export const targetView = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  kpi: z.enum(targetKpis),
  comparison: z.enum(['>=', '<=']),
  value: z.number(),
  scope: scopeSchema,
  period: z.enum(targetPeriods).nullable(),
  notify: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** What a KPI or ROI row carries for each target that applies to it. */
export const rowTargetSchema = z.object({
  id: z.uuid(),
  kpi: z.enum(targetKpis),
  comparison: z.enum(['>=', '<=']),
  value: z.number(),
  met: z.boolean().nullable().describe('null when the row has no value for the KPI'),
});

/**
 * The brief's targets, given to every new tenant: NPS above 70, CSAT above 85 %, and a service
 * level of 80 % (in the tenant's `serviceLevelSeconds`, 20 s by default). Shown, not notified,
 * until the tenant turns `notify` on.
 */
export const DEFAULT_TARGETS: { name: string; kpi: TargetKpi; comparison: '>=' | '<='; value: string }[] = [
  { name: 'NPS above 70', kpi: 'nps', comparison: '>=', value: '70' },
  { name: 'CSAT above 85 %', kpi: 'csat', comparison: '>=', value: '0.85' },
  { name: 'Service level 80 % in 20 s', kpi: 'serviceLevel', comparison: '>=', value: '0.8' },
];
