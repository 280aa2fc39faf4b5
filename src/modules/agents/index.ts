/**
 * What other areas may use of the agents area. The link between two agents (the same person on two
 * providers): `canonicalAgentIdSql` is the id a call's agent counts under, as SQL — the one definition
 * for groupings by agent (KPI rollups, cost allocation, ROI) — and `canonicalAgentId` the same for one
 * id read now (a filter naming either agent of a pair applies to both).
 */
export { agentLinks, canonicalAgentId, canonicalAgentIdSql, presenceStore, upsertAgentsAndQueues } from './agents.repo.js';
export { agentRoutes, type LinksChanged } from './agents.routes.js';
export { agentOperations } from './agents.openapi.js';
