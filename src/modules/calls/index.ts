/**
 * Calls: the unified call recomputed from its events, and the one door through which every change
 * to a call passes (the CallChangeListeners: KPI rollups, campaigns, ROI, outbound webhooks).
 */
export { callOperations, callRoutes } from './calls.routes.js';
export { callView, type CallView } from './calls.view.js';
export { recomputeCall, recomputeCalls, storeCallEvents, type CallChange, type CallChangeListener, type CallEnrichment } from './recompute.js';
export { applyDefaultAfterCallWork } from './after-call-work.js';
export { aliasesOf, foldAlias, retireAliasRow, rootsOf, storeLinks, type CallLink } from './links.js';
export type { PresenceSink } from './presence.js';
