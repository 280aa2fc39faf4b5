/** KPIs: the rollups kept from the calls, and GET /v1/kpis served from them. */
export { kpiRoutes } from './kpis.routes.js';
export { computeKpis } from './kpis.service.js';
export { kpiOperations } from './kpis.openapi.js';
export { kpiCallListener, markAgentCallsDirty, markCallsDirty, type DirtyNotifier } from './invalidate.js';
export { pendingDirtyHours, refreshTenant, tenantsWithStaleDirtyHours } from './refresh.js';
export { inefficiencyRows, type Inefficiency, type InefficiencyRows } from './inefficiency.js';
