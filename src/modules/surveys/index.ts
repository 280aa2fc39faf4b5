/** Surveys: CSAT and NPS responses linked to their calls. */
export { surveyRoutes } from './surveys.routes.js';
export { surveyOperations } from './surveys.openapi.js';
export { bulkAnswer } from './surveys.schemas.js';
