/** Out to CRMs: subscriptions, the outbox of signed deliveries, and the events other areas emit. */
export { subscriptionOperations, subscriptionRoutes } from './subscriptions.routes.js';
export { SubscriptionsService, subscriptionEvents } from './subscriptions.service.js';
