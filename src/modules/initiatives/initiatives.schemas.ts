/** Initiatives: request bodies and the impact answer. */
import { z } from 'zod';
import { kpiTargetFields } from '../targets/index.js';
import { scopeSchema } from '../targets/index.js';

export const createInitiativeBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    startedAt: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).describe('when the action started (a date is 00:00 tenant time)'),
    kpi: z.enum(kpiTargetFields),
    expectedChange: z
      .number()
      .finite()
      .refine((v) => v !== 0, 'must not be 0: its sign says which way the KPI should move')
      .describe("in the KPI's own unit (+0.10 for FCR +10 points, seconds, NPS points), or with relative: true a fraction of the before value (−0.20 for −20 %)"),
    relative: z.boolean().optional(),
    adjustmentDays: z.number().int().min(0).max(365),
    windowDays: z.number().int().min(1).max(365).optional(),
    scope: scopeSchema.optional(),
  })
  .strict();

export const patchInitiativeBody = createInitiativeBody.partial().strict();

export const initiativeView = z.object({
  id: z.uuid(),
  name: z.string(),
  startedAt: z.string(),
  kpi: z.enum(kpiTargetFields),
  expectedChange: z.number(),
  relative: z.boolean(),
  adjustmentDays: z.number().int(),
  windowDays: z.number().int(),
  scope: scopeSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});

const window = z.object({ from: z.string(), to: z.string(), value: z.number().nullable(), n: z.number().int().describe('calls, responses or days in the sample') });

export const impactView = z.object({
  initiative: initiativeView,
  method: z.enum(['two_proportion_z', 'welch_t']).describe('two_proportion_z: difference of two proportions, unpooled normal (Wald) interval; welch_t: difference of means, Welch t interval'),
  unit: z.enum(['call', 'response', 'day']).describe('what one observation is'),
  before: window,
  after: window,
  change: z.number().nullable(),
  interval: z.tuple([z.number(), z.number()]).nullable().describe('95 % confidence interval of the change'),
  expectedChange: z.number().describe("in the KPI's unit (a relative expectation times the before value)"),
  verdict: z.enum(['reached', 'improved', 'worsened', 'inconclusive', 'too_early']),
});
