import { bigserial, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant } from './_helpers.js';

/**
 * Numbers whose later calls' `firstTimeCaller` may be stale: a call of the number appeared, moved
 * in time, changed number or left at `fromAt`. Written by the call's own transaction, drained by
 * the tenant's `kpi-refresh` job (src/modules/leads/first-time.ts). Append-only (no unique key),
 * like kpi_dirty_hours: a number calling a thousand times makes a thousand small rows, never a row
 * that every event of that number waits on.
 */
export const leadDirtyNumbers = pgTable(
  'lead_dirty_numbers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    externalNumber: text('external_number').notNull(),
    fromAt: instant('from_at').notNull(),
    markedAt: instant('marked_at').notNull().defaultNow(),
  },
  (t) => [index('lead_dirty_numbers_tenant_idx').on(t.tenantId, t.id)],
);
