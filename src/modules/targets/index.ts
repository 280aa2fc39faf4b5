/** What other areas may use of targets: the lookup and the row decoration, and the defaults seeding. */
export { listTargets, seedDefaultTargets, TargetsService } from './targets.service.js';
export { targetsOfRow, withTargets, meets, type RowTarget, type TargetContext } from './apply.js';
export { targetRoutes, targetOperations } from './targets.routes.js';
export { rowTargetSchema, scopeSchema, targetKpis, kpiTargetFields, type TargetKpi } from './targets.schemas.js';
