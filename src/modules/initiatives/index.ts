/** What other areas may use of initiatives (the monthly report reads their impact). */
export { InitiativesService, impactOf, initiativeView } from './initiatives.service.js';
export { initiativeRoutes, initiativeOperations } from './initiatives.routes.js';
