/** Automated handling: the tenant's automation endpoints and the call listener that applies them. */
export { automationOperations, automationRoutes } from './automation.routes.js';
export { AutomationService, automationListener } from './automation.service.js';
