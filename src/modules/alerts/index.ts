/** Alerts: days judged against their baseline, the hour and day so far, their open → resolved lifecycle. */
export { alertOperations, alertRoutes } from './alerts.routes.js';
export { raiseAlerts } from './alerts.service.js';
export { alertDetail, evaluateIntraday, evaluateTenant } from './intraday.js';
