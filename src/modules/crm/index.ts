/** CRM contacts and deals: what the tenant tells callroi about its customers. */
export { crmRoutes } from './crm.routes.js';
export { crmOperations } from './crm.openapi.js';
export { CrmService } from './crm.service.js';
