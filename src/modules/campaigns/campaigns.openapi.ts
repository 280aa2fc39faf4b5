import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { createCampaignBody, listCampaignsQuery, patchCampaignBody } from './campaigns.schemas.js';

const campaign = z.object({
  id: z.uuid(),
  name: z.string(),
  channel: z.string(),
  trackingNumbers: z.array(z.string()),
  assignments: z.array(z.object({ number: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
});
export const campaignOperations: Operation[] = [
  { method: 'post', path: '/v1/campaigns', operationId: 'createCampaign', tag: 'campaigns', auth: 'tenant', summary: 'Create a campaign with tracking numbers (optional validity periods)', body: createCampaignBody, response: campaign },
  { method: 'get', path: '/v1/campaigns', operationId: 'listCampaigns', tag: 'campaigns', auth: 'tenant', summary: 'List campaigns', query: listCampaignsQuery, response: z.object({ data: z.array(campaign) }) },
  { method: 'get', path: '/v1/campaigns/:id', operationId: 'getCampaign', tag: 'campaigns', auth: 'tenant', summary: 'One campaign with its assignment history', response: campaign },
  { method: 'patch', path: '/v1/campaigns/:id', operationId: 'updateCampaign', tag: 'campaigns', auth: 'tenant', summary: 'Rename, change channel or replace tracking numbers (left-out numbers are closed now)', body: patchCampaignBody, response: campaign },
  { method: 'delete', path: '/v1/campaigns/:id', operationId: 'deleteCampaign', tag: 'campaigns', auth: 'tenant', summary: 'Delete a campaign (its calls are re-assigned)', status: 204 },
];
