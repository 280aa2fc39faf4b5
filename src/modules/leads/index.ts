/** Leads found through calls (firstTimeCaller): the call listener and the refresh of a number's calls. */
export { leadListener, refreshFirstTimeCallers } from './first-time.js';
