/** Connections: a tenant's provider accounts, their credentials (encrypted), health and backfills. */
export { connectionOperations, connectionRoutes } from './connections.routes.js';
export { ConnectionsService, type WebhookConnection } from './connections.service.js';
export { providerFailure } from './provider-errors.js';
