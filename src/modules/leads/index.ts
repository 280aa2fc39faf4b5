/** Leads found through calls (firstTimeCaller): the call listener, and the job's refresh of marked numbers. */
export { leadListener, markNumbers, pendingLeadMarks, refreshFirstTimeCallers, refreshMarkedNumbers, tenantsWithStaleLeadMarks } from './first-time.js';
