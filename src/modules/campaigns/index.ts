/** Campaigns and their tracking numbers; the call listener that gives a call its campaign. */
export { campaignRoutes } from './campaigns.routes.js';
export { campaignOperations } from './campaigns.openapi.js';
export { CampaignsService } from './campaigns.service.js';
export { campaignListener } from './campaigns.listener.js';
