import { z } from 'zod';
import { bulkResult } from '../../http/bulk.js';
import type { Operation } from '../../http/openapi.js';
import { costRow, listCostsQuery } from './costs.schemas.js';

/**
 * Bulk bodies are documented with their row schemas, although the route validates rows one by
 * one (a bad row is rejected in `rejected[]`, not with a 400).
 */
export const costOperations: Operation[] = [
  { method: 'post', path: '/v1/costs', tag: 'costs', auth: 'tenant', summary: 'Bulk post costs (externalId, when given, replaces)', body: z.object({ costs: z.array(costRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/costs', tag: 'costs', auth: 'tenant', summary: 'Costs overlapping a period', query: listCostsQuery },
  { method: 'delete', path: '/v1/costs/:id', tag: 'costs', auth: 'tenant', summary: 'Delete a cost', status: 204 },
];
