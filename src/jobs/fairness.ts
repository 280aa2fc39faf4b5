/**
 * Per-tenant fairness without BullMQ Pro's groups: a tenant's n-th unfinished job of a kind is
 * enqueued with priority n, and BullMQ runs lower numbers first (FIFO within one number). A tenant
 * that queues fifty backfills therefore gets its first one in line with every other tenant's first,
 * its second with their second, and so on: a round robin, whatever the size of one backlog.
 */
import { and, count, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { backfills } from '../db/schema/index.js';

/** Priority of a backfill (or reconciliation) just created for this tenant. */
export async function backfillPriority(db: Executor, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(backfills)
    .where(and(eq(backfills.tenantId, tenantId), inArray(backfills.status, ['queued', 'running'])));
  return Math.max(1, Number(row?.n ?? 1));
}
