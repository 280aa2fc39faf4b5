/** Annotations of calls (sentiment, summary, topics, outcome, handledBy) and the listener that applies them in every recompute. */
export { annotationOperations, annotationRoutes } from './annotations.routes.js';
export { AnnotationsService, annotationListener } from './annotations.service.js';
