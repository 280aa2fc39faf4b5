export { monthlyReport, type MonthlyReport } from './reports.service.js';
export { reportRoutes, reportOperations } from './reports.routes.js';
export { sendMonthlyReports } from './ready.js';
