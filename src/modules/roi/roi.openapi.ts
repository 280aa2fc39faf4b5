/**
 * OpenAPI descriptions of the campaigns, CRM, costs and ROI routes (issue 5). Bulk bodies are
 * documented with their row schemas, although the routes validate rows one by one (a bad row is
 * rejected in `rejected[]`, not with a 400).
 */
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { createCampaignBody, listCampaignsQuery, patchCampaignBody } from '../campaigns/campaigns.schemas.js';
import { costRow, listCostsQuery } from '../costs/costs.schemas.js';
import { contactRow, dealRow } from '../crm/crm.schemas.js';
import { roiQuery } from './roi.schemas.js';

const bulkResult = z.object({ upserted: z.number().int(), rejected: z.array(z.object({ index: z.number().int(), error: z.string() })) });
const money = z.string().regex(/^-?\d+\.\d{2}$/);
const campaign = z.object({
  id: z.uuid(),
  name: z.string(),
  channel: z.string(),
  trackingNumbers: z.array(z.string()),
  assignments: z.array(z.object({ number: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
});
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
});
const roiResponse = z.object({
  currency: z.string(),
  model: z.string(),
  windowDays: z.number().int(),
  groupBy: z.string(),
  from: z.string(),
  to: z.string(),
  total: roiFigures.extend({ wonDeals: z.number().int(), unattributedRevenue: money }),
  rows: z.array(roiFigures.extend({ name: z.string().nullable().optional() })),
});

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

export const roiOperations: Operation[] = [
  { method: 'post', path: '/v1/campaigns', operationId: 'createCampaign', tag: 'campaigns', auth: 'tenant', summary: 'Create a campaign with tracking numbers (optional validity periods)', body: createCampaignBody, response: campaign },
  { method: 'get', path: '/v1/campaigns', operationId: 'listCampaigns', tag: 'campaigns', auth: 'tenant', summary: 'List campaigns', query: listCampaignsQuery, response: z.object({ data: z.array(campaign) }) },
  { method: 'get', path: '/v1/campaigns/:id', operationId: 'getCampaign', tag: 'campaigns', auth: 'tenant', summary: 'One campaign with its assignment history', response: campaign },
  { method: 'patch', path: '/v1/campaigns/:id', operationId: 'updateCampaign', tag: 'campaigns', auth: 'tenant', summary: 'Rename, change channel or replace tracking numbers (left-out numbers are closed now)', body: patchCampaignBody, response: campaign },
  { method: 'delete', path: '/v1/campaigns/:id', operationId: 'deleteCampaign', tag: 'campaigns', auth: 'tenant', summary: 'Delete a campaign (its calls are re-assigned)', status: 204 },
  { method: 'post', path: '/v1/crm/contacts', operationId: 'upsertContacts', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert contacts on externalId', body: z.object({ contacts: z.array(contactRow) }), response: bulkResult, status: 200 },
  { method: 'post', path: '/v1/crm/deals', operationId: 'upsertDeals', tag: 'crm', auth: 'tenant', summary: 'Bulk upsert deals on externalId', body: z.object({ deals: z.array(dealRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/crm/deals', operationId: 'listDeals', tag: 'crm', auth: 'tenant', summary: 'Recently changed deals', response: z.object({ data: z.array(deal) }) },
  { method: 'get', path: '/v1/crm/contacts/:externalId', operationId: 'getContact', tag: 'crm', auth: 'tenant', summary: 'One contact', response: contact },
  { method: 'get', path: '/v1/crm/deals/:externalId', operationId: 'getDeal', tag: 'crm', auth: 'tenant', summary: 'One deal', response: deal },
  { method: 'delete', path: '/v1/crm/contacts/:externalId', operationId: 'deleteContact', tag: 'crm', auth: 'tenant', summary: 'Delete a contact', status: 204 },
  { method: 'delete', path: '/v1/crm/deals/:externalId', operationId: 'deleteDeal', tag: 'crm', auth: 'tenant', summary: 'Delete a deal (its credits go)', status: 204 },
  { method: 'post', path: '/v1/costs', operationId: 'postCosts', tag: 'costs', auth: 'tenant', summary: 'Bulk post costs (externalId, when given, replaces)', body: z.object({ costs: z.array(costRow) }), response: bulkResult, status: 200 },
  { method: 'get', path: '/v1/costs', operationId: 'listCosts', tag: 'costs', auth: 'tenant', summary: 'Costs overlapping a period', query: listCostsQuery, response: z.object({ data: z.array(cost) }) },
  { method: 'delete', path: '/v1/costs/:id', operationId: 'deleteCost', tag: 'costs', auth: 'tenant', summary: 'Delete a cost', status: 204 },
  {
    method: 'get',
    path: '/v1/roi',
    operationId: 'getRoi',
    tag: 'roi',
    auth: 'tenant',
    summary: 'Attributed revenue, allocated cost and ROI by dimension, for any attribution model and window',
    description: 'from/to: ISO instants, or dates meaning 00:00 tenant time; default the last 30 days. Deals are selected by closedAt in [from, to); costs by day.',
    query: roiQuery,
    response: roiResponse,
  },
];
