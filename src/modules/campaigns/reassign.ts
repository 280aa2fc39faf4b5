/**
 * When assignments change, the calls of the numbers concerned are given the campaign that now
 * covers their start, and every CallChangeListener hears about it (KPI rollups per campaign,
 * attribution) exactly as if the calls had been recomputed from their events.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../db/client.js';
import { calls } from '../../db/schema/index.js';
import type { CallChange, CallChangeListener } from '../calls/index.js';

const BATCH = 1000;

export async function reassignCalls(
  tx: Tx,
  tenantId: string,
  numbers: string[],
  listeners: readonly CallChangeListener[],
): Promise<number> {
  if (numbers.length === 0) return 0;
  const moved = await queryRows<{ id: string; current: string | null; campaign_id: string | null }>(
    tx,
    sql`select c.id, c.campaign_id as current, (
          select a.campaign_id from campaign_numbers a
          where a.tenant_id = c.tenant_id and a.number = c.tracking_number
            and (a.valid_from is null or a.valid_from <= c.started_at)
            and (a.valid_to is null or c.started_at < a.valid_to)
          order by a.valid_from desc nulls last, a.created_at desc limit 1
        ) as campaign_id
        from calls c
        where c.tenant_id = ${tenantId}
          and c.tracking_number in (${sql.join(numbers.map((n) => sql`${n}`), sql`, `)})`,
  );
  const changedTo = new Map<string, string | null>();
  for (const m of moved) if (m.current !== m.campaign_id) changedTo.set(m.id, m.campaign_id);
  const ids = [...changedTo.keys()].sort();
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    const beforeRows = await tx.select().from(calls).where(and(eq(calls.tenantId, tenantId), inArray(calls.id, batch))).for('update');
    const changes: CallChange[] = [];
    const now = new Date();
    for (const before of beforeRows) {
      const campaignId = changedTo.get(before.id) ?? null;
      await tx.update(calls).set({ campaignId, updatedAt: now }).where(eq(calls.id, before.id));
      changes.push({ tenantId, before, after: { ...before, campaignId, updatedAt: now } });
    }
    for (const l of listeners) await l.onCallsChanged?.(tx, changes);
  }
  return ids.length;
}
