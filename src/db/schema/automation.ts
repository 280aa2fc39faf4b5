import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';
import { tenants } from './tenants.js';

/**
 * Numbers and queues the tenant says are answered by automation (an IVR, a bot):
 * POST /v1/automation-endpoints. A call to one of them that reached no agent is self-served; one
 * that reached an agent was escalated. `number` is E.164; `queue` matches a call's queue id or name.
 */
export const automationEndpoints = pgTable(
  'automation_endpoints',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    number: text('number'),
    queue: text('queue'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [index('automation_endpoints_tenant_idx').on(t.tenantId)],
);

export type AutomationEndpointRow = typeof automationEndpoints.$inferSelect;
