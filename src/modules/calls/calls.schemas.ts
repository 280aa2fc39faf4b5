import { z } from 'zod';
import { callStatuses, providerIds } from '../../../connectors/contract.js';

export const listCallsQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    provider: z.enum(providerIds).optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    status: z.enum(callStatuses).optional(),
    agentId: z.string().min(1).max(200).optional(),
    campaignId: z.uuid().optional(),
    queue: z.string().min(1).max(200).optional(),
    connectionId: z.uuid().optional(),
    externalNumber: z.string().min(3).max(32).optional(),
    updatedSince: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export type ListCallsQuery = z.infer<typeof listCallsQuery>;
