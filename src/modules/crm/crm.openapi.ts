import { z } from 'zod';
import { bulkResult } from '../../http/bulk.js';
import type { Operation } from '../../http/openapi.js';
import { contactRow, dealRow, leadRow } from './crm.schemas.js';

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
const lead = z.object({
  id: z.uuid(),
  externalId: z.string(),
  contactExternalId: z.string().nullable(),
  phones: z.array(z.string()),
  matchPhones: z.array(z.string()).describe('phones and the contact’s phones: what calls are matched on'),
  source: z.string(),
  createdAt: z.string().describe('when the CRM created the lead'),
  receivedAt: z.string(),
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
  { method: 'post', path: '/v1/crm/leads', operationId: 'upsertLeads', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert leads on externalId (each marks the first call of its phones from createdAt − leadLookbackDays on)', body: z.object({ leads: z.array(leadRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/crm/leads', operationId: 'listLeads', tag: 'crm', auth: 'tenant', summary: 'Recently changed leads', query: z.object({ limit: z.number().int().min(1).max(1000).optional() }), response: z.object({ data: z.array(lead) }) },
  { method: 'get', path: '/v1/crm/leads/:externalId', operationId: 'getLead', tag: 'crm', auth: 'tenant', summary: 'One lead', response: lead },
  { method: 'delete', path: '/v1/crm/leads/:externalId', operationId: 'deleteLead', tag: 'crm', auth: 'tenant', summary: 'Delete a lead (the call it marked is no longer a CRM lead)', status: 204 },
  { method: 'get', path: '/v1/crm/contacts/:externalId', operationId: 'getContact', tag: 'crm', auth: 'tenant', summary: 'One contact', response: contact },
  { method: 'get', path: '/v1/crm/deals/:externalId', operationId: 'getDeal', tag: 'crm', auth: 'tenant', summary: 'One deal', response: deal },
  { method: 'delete', path: '/v1/crm/contacts/:externalId', operationId: 'deleteContact', tag: 'crm', auth: 'tenant', summary: 'Delete a contact', status: 204 },
  { method: 'delete', path: '/v1/crm/deals/:externalId', operationId: 'deleteDeal', tag: 'crm', auth: 'tenant', summary: 'Delete a deal (its credits go)', status: 204 },
];
