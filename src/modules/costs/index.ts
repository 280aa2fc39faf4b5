/** Costs: the tenant's cost CRUD. The allocation of costs to rows is the ROI module's. */
export { costRoutes } from './costs.routes.js';
export { costOperations } from './costs.openapi.js';
export { CostsService } from './costs.service.js';
