export * from './tenants.js';
export * from './connections.js';
export * from './inbox.js';
export * from './calls.js';
export * from './jobs.js';
