/** Leads found through calls (firstTimeCaller): the call listener, and the job's refresh of marked numbers. */
export { leadListener, pendingLeadMarks, refreshFirstTimeCallers, refreshMarkedNumbers, tenantsWithStaleLeadMarks } from './first-time.js';
