import { z } from 'zod';
import { bulkResult } from '../../http/bulk.js';
import type { Operation } from '../../http/openapi.js';
import { contactRow, dealRow } from './crm.schemas.js';

const money = z.string().regex(/^-?\d+\.\d{2}$/);
const contact = z.object({
  id: z.uuid(),
  externalId: z.string(),
  phones: z.array(z.string()),
  name: z.string().nullable(),
  email: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const deal = z.object({
  id: z.uuid(),
  externalId: z.string(),
  contactExternalId: z.string().nullable(),
  phones: z.array(z.string()),
  amount: money,
  currency: z.string(),
  stage: z.enum(['won', 'lost', 'open']),
  type: z.string().nullable(),
  closedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/**
 * Bulk bodies are documented with their row schemas, although the route validates rows one by
 * one (a bad row is rejected in `rejected[]`, not with a 400).
 */
export const crmOperations: Operation[] = [
  { method: 'post', path: '/v1/crm/contacts', operationId: 'upsertContacts', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert contacts on externalId', body: z.object({ contacts: z.array(contactRow) }), response: bulkResult, status: 200 },
  { method: 'post', path: '/v1/crm/deals', operationId: 'upsertDeals', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert deals on externalId', body: z.object({ deals: z.array(dealRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/crm/deals', operationId: 'listDeals', tag: 'crm', auth: 'tenant', summary: 'Recently changed deals', response: z.object({ data: z.array(deal) }) },
  { method: 'get', path: '/v1/crm/contacts/:externalId', operationId: 'getContact', tag: 'crm', auth: 'tenant', summary: 'One contact', response: contact },
  { method: 'get', path: '/v1/crm/deals/:externalId', operationId: 'getDeal', tag: 'crm', auth: 'tenant', summary: 'One deal', response: deal },
  { method: 'delete', path: '/v1/crm/contacts/:externalId', operationId: 'deleteContact', tag: 'crm', auth: 'tenant', summary: 'Delete a contact', status: 204 },
  { method: 'delete', path: '/v1/crm/deals/:externalId', operationId: 'deleteDeal', tag: 'crm', auth: 'tenant', summary: 'Delete a deal (its credits go)', status: 204 },
];
