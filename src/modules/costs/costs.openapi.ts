import { z } from 'zod';
import { bulkResult } from '../../http/bulk.js';
import type { Operation } from '../../http/openapi.js';
import { costRow, listCostsQuery } from './costs.schemas.js';

const money = z.string().regex(/^-?\d+\.\d{2}$/);
const cost = z.object({
  id: z.uuid(),
  externalId: z.string().nullable(),
  category: z.string(),
  kind: z.enum(['direct', 'indirect']),
  amount: money,
  currency: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  campaignId: z.uuid().nullable(),
  agentId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * Bulk bodies are documented with their row schemas, although the route validates rows one by
 * one (a bad row is rejected in `rejected[]`, not with a 400).
 */
export const costOperations: Operation[] = [
  { method: 'post', path: '/v1/costs', operationId: 'postCosts', tag: 'costs', auth: 'tenant', summary: 'Bulk post costs (externalId, when given, replaces)', body: z.object({ costs: z.array(costRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/costs', operationId: 'listCosts', tag: 'costs', auth: 'tenant', summary: 'Costs overlapping a period', query: listCostsQuery, response: z.object({ data: z.array(cost) }) },
  { method: 'delete', path: '/v1/costs/:id', operationId: 'deleteCost', tag: 'costs', auth: 'tenant', summary: 'Delete a cost', status: 204 },
];
