/**
 * The ROI module: a deal's way from the CRM to GET /v1/roi, in one place.
 *
 *   deal upserted (crm) ─► dealsChanged ─► attribution_dirty_deals ┐
 *   cost posted (costs) ─► costPeriodsChanged ─► roi_dirty_days ───┤─► roi-refresh job ─► credits,
 *   agents linked (agents) ─► agentLinksChanged ─► roi_dirty_days ─┤
 *   call changed (call listener) ─► credits now, days marked ──────┘    ROI days ─► GET /v1/roi
 *
 * What other areas may use is exported here; everything else in this folder is internal.
 */
export { roiRoutes, type RoiRowFigures } from './roi.routes.js';
/** The figures of GET /v1/roi (the monthly report reads them too). */
export { computeRoi } from './roi.service.js';
export { roiOperations } from './roi.openapi.js';
export { roiCallListener, type RoiNotifier } from './calls.listener.js';
export { agentLinksChanged, costPeriodsChanged, dealsChanged, requestRoiRefresh } from './changes.js';
export { refreshRoi, tenantsWithWaitingRoiWork } from './refresh.js';
export { pendingRoiWork } from './days.store.js';
/** Cost per row key and in total over a range, as GET /v1/roi allocates it (the KPI costPerCall). */
export { allocatedCostCents } from './allocation.js';
/** The lead figures (leadCloseRate, costPerLead, avgDaysToConversion) the KPI rows share with ROI rows. */
export { leadConversions, leadFigures, noConversions, type LeadConversions } from './leads.js';
