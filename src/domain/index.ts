/** The pure domain math (no I/O): money, allocation, attribution, cost pro-rating, KPIs. */
export * from './money.js';
export * from './allocation.js';
export type { Instant } from './instant.js';
export * from './attribution/models.js';
export * from './costs/prorate.js';
export * from './kpis/definitions.js';
export * from './kpis/fcr.js';
export * from './kpis/buckets.js';
