import { uuid } from 'drizzle-orm/pg-core';
import { connections } from './connections.js';
import { tenants } from './tenants.js';

/** The owning tenant of a row (every tenant's row references it). */
export const tenantRef = () =>
  uuid('tenant_id')
    .notNull()
    .references(() => tenants.id);

/** The connection a row came through (connections are soft-deleted, so the reference always holds). */
export const connectionRef = () =>
  uuid('connection_id')
    .notNull()
    .references(() => connections.id);
