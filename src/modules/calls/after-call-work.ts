/**
 * After-call work (contract section 4) is on handled (answered) calls only: as the provider
 * reports it, else the tenant's default; 0 on a call never answered, whatever was reported.
 * `handleSeconds` = talk + hold + after-call work follows.
 *
 * A change of the tenant's default changes the calls whose provider reports none. Those calls are
 * rewritten here through the call listeners, like any other change to a call: KPI hours, ROI days
 * (cost shares follow handleSeconds) and outbound `call.enriched` all hear about it.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { calls, type CallRow } from '../../db/schema/index.js';
import { idList } from '../../db/sql.js';
import type { CallChange, CallChangeListener } from './recompute.js';

/** A call's after-call work from its status, what the provider reported, and the tenant's default. */
export function afterCallWorkOf(status: string, reported: number | null, tenantDefault: number): number {
  if (status !== 'answered') return 0;
  return reported ?? tenantDefault;
}

const BATCH = 1000;

/**
 * Give every call of the tenant without a reported after-call work the after-call work the
 * default `acw` implies now, a batch at a time, each batch heard by the listeners.
 * Returns the number of calls changed.
 */
export async function applyDefaultAfterCallWork(tx: Tx, tenantId: string, acw: number, listeners: readonly CallChangeListener[]): Promise<number> {
  const expected = sql`(case when ${calls.status} = 'answered' then ${acw}::int else 0 end)`;
  let changed = 0;
  for (;;) {
    // A rewritten call no longer matches the filter: each round takes the next calls.
    const before = await tx
      .select()
      .from(calls)
      .where(sql`${calls.tenantId} = ${tenantId} and ${calls.acwReported} = 0 and ${calls.afterCallWorkSeconds} <> ${expected}`)
      .orderBy(calls.id)
      .limit(BATCH)
      .for('update');
    if (before.length === 0) return changed;
    const after: CallRow[] = await tx
      .update(calls)
      .set({
        afterCallWorkSeconds: expected,
        handleSeconds: sql`${calls.talkSeconds} + coalesce(${calls.holdSeconds}, 0) + ${expected}`,
        updatedAt: new Date(),
      })
      .where(sql`${calls.id} in (${idList(before.map((c) => c.id))}::uuid)`)
      .returning();
    const byId = new Map(after.map((c) => [c.id, c]));
    const changes: CallChange[] = before.map((b) => ({ tenantId, before: b, after: byId.get(b.id)! }));
    for (const l of listeners) await l.onCallsChanged?.(tx, changes);
    changed += changes.length;
  }
}
