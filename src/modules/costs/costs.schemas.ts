import { z } from 'zod';

export const costCategories = ['salaries', 'licences', 'telephony', 'training', 'maintenance', 'peaks', 'other'] as const;
export const costKinds = ['direct', 'indirect'] as const;

/** One cost row; periodStart/periodEnd are tenant-local dates, both included. */
export const costRow = z.object({
  externalId: z.string().trim().min(1).max(200).nullish(),
  category: z.enum(costCategories),
  kind: z.enum(costKinds),
  amount: z.union([z.string().max(40), z.number()]),
  currency: z.string().min(1).max(10),
  periodStart: z.iso.date(),
  periodEnd: z.iso.date(),
  campaignId: z.uuid().nullish(),
  agentId: z.string().trim().min(1).max(200).nullish(),
});

export const listCostsQuery = z
  .object({
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
