/** Out to CRMs: subscriptions, the outbox of signed deliveries, and the events other areas emit. */
export { subscriptionOperations, subscriptionRoutes } from './subscriptions.routes.js';
export { COALESCE_SECONDS, emitCallsEnriched, SubscriptionsService, subscribedTo, subscriptionEvents, writeOutbox, type SubscriptionEvent } from './subscriptions.service.js';
