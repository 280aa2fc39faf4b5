import { z } from 'zod';
import { bulkResult } from '../../http/bulk.js';
import type { Operation } from '../../http/openapi.js';
import { contactRow, dealRow } from './crm.schemas.js';

/**
 * Bulk bodies are documented with their row schemas, although the route validates rows one by
 * one (a bad row is rejected in `rejected[]`, not with a 400).
 */
export const crmOperations: Operation[] = [
  { method: 'post', path: '/v1/crm/contacts', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert contacts on externalId', body: z.object({ contacts: z.array(contactRow) }), response: bulkResult, status: 200 },
  { method: 'post', path: '/v1/crm/deals', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert deals on externalId', body: z.object({ deals: z.array(dealRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/crm/deals', tag: 'crm', auth: 'tenant', summary: 'Recently changed deals' },
  { method: 'get', path: '/v1/crm/contacts/:externalId', tag: 'crm', auth: 'tenant', summary: 'One contact' },
  { method: 'get', path: '/v1/crm/deals/:externalId', tag: 'crm', auth: 'tenant', summary: 'One deal' },
  { method: 'delete', path: '/v1/crm/contacts/:externalId', tag: 'crm', auth: 'tenant', summary: 'Delete a contact', status: 204 },
  { method: 'delete', path: '/v1/crm/deals/:externalId', tag: 'crm', auth: 'tenant', summary: 'Delete a deal (its credits go)', status: 204 },
];
