/** Tenants and their settings. */
export { adminTenantRoutes, tenantOperations, tenantRoutes } from './tenants.routes.js';
export { TenantsService, tenantView } from './tenants.service.js';
export { effectiveSettings } from './tenants.schemas.js';
