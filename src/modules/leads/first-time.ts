/**
 * Leads found through calls: a call is a lead (`firstTimeCaller`) when its number has not called or
 * been called — any direction, any status — in the tenant's `leadLookbackDays` before it. Calls of
 * one number are ordered by (startedAt, connectionId, callKey), so two calls at the same instant are
 * ordered too and exactly one of them can be first.
 *
 * Order-independent, like FCR: a call arriving late (or moving in time, or changing number) makes
 * the later calls of its numbers within the lookback after it recomputed here, in the same
 * transaction, and every call listener hears those changes (rollups, webhooks).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../db/client.js';
import { calls, type CallRow } from '../../db/schema/index.js';
import { pgArray } from '../../db/sql.js';
import type { CallChange, CallChangeListener } from '../calls/index.js';
import { effectiveSettings } from '../tenants/index.js';

const lookbackOf = (settings: Record<string, unknown> | null | undefined) => effectiveSettings(settings).leadLookbackDays;

/** The flag of the calls of `numbers` started at or after `from` (all of the tenant's when null), recomputed; changed calls go through the listeners. */
export async function refreshFirstTimeCallers(
  tx: Tx,
  tenantId: string,
  scope: { numbers: string[]; from: Date } | null,
  listeners: () => readonly CallChangeListener[],
): Promise<number> {
  const changed = await queryRows<{ id: string; next: boolean }>(
    tx,
    sql`select c.id, not exists (
          select 1 from calls p
          where p.tenant_id = c.tenant_id and p.external_number = c.external_number
            and p.started_at >= c.started_at - make_interval(days => coalesce((t.settings->>'leadLookbackDays')::int, 90))
            and (p.started_at, p.connection_id::text, p.call_key) < (c.started_at, c.connection_id::text, c.call_key)
        ) as next
        from calls c join tenants t on t.id = c.tenant_id
        where c.tenant_id = ${tenantId} and c.external_number is not null
          ${scope ? sql`and c.external_number = any(${pgArray(scope.numbers)}::text[]) and c.started_at >= ${scope.from.toISOString()}::timestamptz` : sql``}`,
  ).then((rows) => rows);
  const next = new Map(changed.map((r) => [r.id, r.next]));
  if (next.size === 0) return 0;
  const rows = await tx.select().from(calls).where(and(eq(calls.tenantId, tenantId), inArray(calls.id, [...next.keys()]))).orderBy(calls.id).for('update');
  const changes: CallChange[] = [];
  const now = new Date();
  for (const before of rows) {
    const flag = next.get(before.id)!;
    if (before.firstTimeCaller === flag) continue;
    await tx.update(calls).set({ firstTimeCaller: flag, updatedAt: now }).where(eq(calls.id, before.id));
    changes.push({ tenantId, before, after: { ...before, firstTimeCaller: flag, updatedAt: now } });
  }
  if (changes.length > 0) for (const l of listeners()) await l.onCallsChanged?.(tx, changes);
  return changes.length;
}

/** The later calls of the numbers of these rows, from the earliest of them on. */
function scopeOf(rows: CallRow[]): { numbers: string[]; from: Date } | null {
  const numbered = rows.filter((r) => r.externalNumber !== null);
  if (numbered.length === 0) return null;
  return {
    numbers: [...new Set(numbered.map((r) => r.externalNumber!))],
    from: new Date(Math.min(...numbered.map((r) => r.startedAt.getTime()))),
  };
}

/** `listeners`: every call listener of the hub (read when a change needs them). */
export function leadListener(listeners: () => readonly CallChangeListener[]): CallChangeListener {
  return {
    enrich: async (tx, tenant, draft, ref) => {
      if (!draft.externalNumber) return { firstTimeCaller: null };
      const [row] = await queryRows<{ seen: boolean }>(
        tx,
        sql`select exists (
              select 1 from calls p
              where p.tenant_id = ${tenant.id} and p.external_number = ${draft.externalNumber}
                and p.started_at >= ${draft.startedAt}::timestamptz - make_interval(days => ${lookbackOf(tenant.settings)})
                and (p.started_at, p.connection_id::text, p.call_key) < (${draft.startedAt}::timestamptz, ${ref.connectionId}, ${ref.callKey})
            ) as seen`,
      );
      return { firstTimeCaller: !row!.seen };
    },
    // Only a call that is new, moved in time or changed number changes the later calls' flags
    // (which is also what keeps the flag updates below from coming back here).
    onCallsChanged: async (tx, changes) => {
      for (const tenantId of new Set(changes.map((c) => c.tenantId))) {
        const moved = changes
          .filter((c) => c.tenantId === tenantId)
          .filter((c) => !c.before || c.before.startedAt.getTime() !== c.after.startedAt.getTime() || c.before.externalNumber !== c.after.externalNumber)
          .flatMap((c) => (c.before ? [c.before, c.after] : [c.after]));
        const scope = scopeOf(moved);
        if (scope) await refreshFirstTimeCallers(tx, tenantId, scope, listeners);
      }
    },
    onCallsRemoved: async (tx, removed) => {
      for (const tenantId of new Set(removed.map((r) => r.tenantId))) {
        const scope = scopeOf(removed.filter((r) => r.tenantId === tenantId).map((r) => r.row));
        if (scope) await refreshFirstTimeCallers(tx, tenantId, scope, listeners);
      }
    },
  };
}
