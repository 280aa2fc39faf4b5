/**
 * Leads found through calls: a call is a lead (`firstTimeCaller`) when its number has not called or
 * been called — any direction, any status — in the tenant's `leadLookbackDays` before it. Calls of
 * one number are ordered by (startedAt, connectionId, callKey), so two calls at the same instant are
 * ordered too and exactly one of them can be first.
 *
 * Order-independent, like FCR: a call's own flag is computed when the call is written (`enrich`, or
 * `enrichMany` for a worker's batch: its number's earlier calls as they will be once the batch is
 * written, no lock). A call arriving late (or moving in time, changing number, or folded away) only
 * leaves a mark for its number (lead_dirty_numbers) in its own transaction; the tenant's
 * `kpi-refresh` job drains the marks and rewrites the later calls' flags through the call listeners
 * (rollups, webhooks) before it rebuilds the hours.
 *
 * Why not in the event's transaction: a number that calls often would make every event of it lock
 * all the number's later calls, outside the batch's lock order — workers then wait on and deadlock
 * with each other (seen under faults: events left pending after a PostgreSQL restart). The job
 * takes the calls' advisory locks in the batches' global order (connection, call key), so it waits
 * at most for one event transaction and never deadlocks with one.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor, type Tx } from '../../db/client.js';
import type { UnifiedCallDraft } from '../../../connectors/index.js';
import { calls, type CallRow, type TenantRow } from '../../db/schema/index.js';
import type { CallChange, CallChangeListener, CallEnrichment } from '../calls/index.js';

/**
 * "No call `p` of the tenant's calls meets `cond`", as SQL: the one thing the two rules below ask of
 * the calls. The job asks it of the calls table as it is (noneInCalls); a batch about to be written
 * asks it of the table as it will be after its writes (noneOnceWritten, leadFlags). `cond` refers
 * to `p` by the calls table's column names.
 */
type NoCall = (cond: SQL) => SQL;

const noneInCalls: NoCall = (cond) => sql`not exists (select 1 from calls p where ${cond})`;

/**
 * The same once a batch `b` (a CTE of tenant_id, external_number, started_at, connection_id,
 * call_key: the calls about to be written) is written: its calls replace the rows of the same
 * (connection, call key). Two tests rather than one over a UNION ALL, so that each keeps its plan:
 * the table's an index lookup on calls_tenant_external_idx (PostgreSQL does not parameterise a
 * UNION by the CRM lead's phones, and scanned the tenant's calls instead).
 */
const noneOnceWritten: NoCall = (cond) => sql`(
  not exists (select 1 from calls p where ${cond} and (p.connection_id, p.call_key) not in (select b.connection_id, b.call_key from b))
  and not exists (select 1 from b p where ${cond}))`;

/**
 * Whether a CRM lead marks call `c` (tenant `t`): a lead of the tenant has the call's number among
 * its match phones, the call started at or after the lead's createdAt − leadLookbackDays, and no
 * call of any of the lead's phones started in that window before it (same order as below). Depends
 * on the set of calls and leads only, never on their arrival order. The phones as `= any(array)`,
 * not `in (select …)`: an index condition on calls_tenant_external_idx, where `in` made PostgreSQL
 * scan the tenant's calls before `c`.
 */
function crmLeadRule(none: NoCall): SQL {
  return sql`exists (
  select 1 from crm_leads l
  where l.tenant_id = c.tenant_id and l.match_phones ? c.external_number
    and c.started_at >= l.lead_created_at - make_interval(days => coalesce((t.settings->>'leadLookbackDays')::int, 90))
    and ${none(sql`p.tenant_id = c.tenant_id and p.external_number = any(array(select jsonb_array_elements_text(l.match_phones)))
        and p.started_at >= l.lead_created_at - make_interval(days => coalesce((t.settings->>'leadLookbackDays')::int, 90))
        and (p.started_at, p.connection_id::text, p.call_key) < (c.started_at, c.connection_id::text, c.call_key)`)}
)`;
}

/**
 * The scope grown by the other phones of the CRM leads that have one of its numbers: a call of one
 * phone may take a lead's mark from a later call of another phone of the same lead.
 */
async function withLeadPhones(tx: Tx, tenantId: string, scope: { number: string; from: Date }[]): Promise<{ number: string; from: Date }[]> {
  const rows = await queryRows<{ number: string; from: string }>(
    tx,
    sql`select p.phone as number, min(s."from") as from
        from jsonb_to_recordset(${JSON.stringify(scope)}::jsonb) as s(number text, "from" timestamptz)
        join crm_leads l on l.tenant_id = ${tenantId} and l.match_phones ? s.number
        cross join lateral jsonb_array_elements_text(l.match_phones) as p(phone)
        group by p.phone`,
  );
  const from = new Map(scope.map((s) => [s.number, s.from]));
  for (const r of rows) {
    const at = new Date(r.from);
    const known = from.get(r.number);
    if (!known || at < known) from.set(r.number, at);
  }
  return [...from].map(([number, at]) => ({ number, from: at }));
}

/** Marks taken per pass of the job (a transaction): bounded so that one pass stays short. */
const MARKS_PER_PASS = 2000;

/** Whether a call of `number` is first in the lookback before (startedAt, connectionId, callKey): SQL for one call `c` of tenant `t`. */
function firstTimeRule(none: NoCall): SQL {
  return none(sql`p.tenant_id = c.tenant_id and p.external_number = c.external_number
    and p.started_at >= c.started_at - make_interval(days => coalesce((t.settings->>'leadLookbackDays')::int, 90))
    and (p.started_at, p.connection_id::text, p.call_key) < (c.started_at, c.connection_id::text, c.call_key)`);
}

/** The two rules over the calls table as it is: the job's. */
const firstTimeSql = firstTimeRule(noneInCalls);
const crmLeadSql = crmLeadRule(noneInCalls);

/**
 * Recompute the flag of the tenant's calls of `scope`'s numbers started at or after each number's
 * `from` (every call of the tenant when null); the calls whose flag changes are rewritten under
 * their locks and go through `listeners`. Returns how many changed.
 */
export async function refreshFirstTimeCallers(
  tx: Tx,
  tenantId: string,
  scope: { number: string; from: Date }[] | null,
  listeners: () => readonly CallChangeListener[],
): Promise<number> {
  if (scope && scope.length === 0) return 0;
  if (scope) scope = await withLeadPhones(tx, tenantId, scope);
  const scoped = scope
    ? sql`join (select * from jsonb_to_recordset(${JSON.stringify(scope)}::jsonb) as s(number text, "from" timestamptz)) s
            on c.external_number = s.number and c.started_at >= s."from"`
    : sql``;
  const stale = await queryRows<{ id: string; connection_id: string; call_key: string }>(
    tx,
    sql`select c.id, c.connection_id, c.call_key
        from calls c join tenants t on t.id = c.tenant_id ${scoped}
        where c.tenant_id = ${tenantId} and c.external_number is not null
          and (c.first_time_caller is distinct from ${firstTimeSql} or c.crm_lead is distinct from ${crmLeadSql})`,
  );
  if (stale.length === 0) return 0;
  // The batches' global lock order: connection, then call key (src/jobs/process-event.ts). One
  // statement; the keys sorted here and locked in array order (ordinality), not by a collation.
  stale.sort((a, b) => (a.connection_id === b.connection_id ? (a.call_key < b.call_key ? -1 : a.call_key > b.call_key ? 1 : 0) : a.connection_id < b.connection_id ? -1 : 1));
  const keys = JSON.stringify(stale.map((r) => `${r.connection_id}:${r.call_key}`));
  await tx.execute(sql`select count(pg_advisory_xact_lock(hashtextextended(k.value, 0)))
    from (select value, n from jsonb_array_elements_text(${keys}::jsonb) with ordinality as e(value, n) order by n) k`);
  // Under the locks, read again: an event may have rewritten (or moved) a call since.
  const ids = stale.map((r) => r.id);
  const fresh = await queryRows<{ id: string; next: boolean; crm: boolean }>(
    tx,
    sql`select c.id, ${firstTimeSql} as next, ${crmLeadSql} as crm from calls c join tenants t on t.id = c.tenant_id
        where c.tenant_id = ${tenantId} and c.id = any(${`{${ids.join(',')}}`}::uuid[])`,
  );
  const next = new Map(fresh.map((r) => [r.id, r]));
  const rows = await tx.select().from(calls).where(and(eq(calls.tenantId, tenantId), inArray(calls.id, [...next.keys()]))).orderBy(calls.id).for('update');
  const changes: CallChange[] = [];
  const now = new Date();
  for (const before of rows) {
    const flags = next.get(before.id)!;
    const flag = before.externalNumber === null ? null : flags.next;
    const crmLead = before.externalNumber !== null && flags.crm;
    if (before.firstTimeCaller === flag && before.crmLead === crmLead) continue;
    await tx.update(calls).set({ firstTimeCaller: flag, crmLead, updatedAt: now }).where(eq(calls.id, before.id));
    changes.push({ tenantId, before, after: { ...before, firstTimeCaller: flag, crmLead, updatedAt: now } });
  }
  if (changes.length > 0) for (const l of listeners()) await l.onCallsChanged?.(tx, changes);
  return changes.length;
}

/** Drain the tenant's marks, a pass at a time, inside the job's transaction (src/modules/kpis/refresh.ts). */
export async function refreshMarkedNumbers(tx: Tx, tenantId: string, listeners: () => readonly CallChangeListener[]): Promise<number> {
  let changed = 0;
  for (;;) {
    const taken = await queryRows<{ number: string; from: string }>(
      tx,
      sql`with taken as (
            delete from lead_dirty_numbers where id in (
              select id from lead_dirty_numbers where tenant_id = ${tenantId} order by id limit ${MARKS_PER_PASS})
            returning external_number, from_at)
          select external_number as number, min(from_at) as from from taken group by external_number`,
    );
    if (taken.length === 0) return changed;
    changed += await refreshFirstTimeCallers(tx, tenantId, taken.map((t) => ({ number: t.number, from: new Date(t.from) })), listeners);
  }
}

/** Tenants with marks older than `olderThanMs` (their job's wake-up was lost): the sweep's. */
export async function tenantsWithStaleLeadMarks(db: Executor, olderThanMs: number): Promise<string[]> {
  const rows = await queryRows<{ tenant_id: string }>(
    db,
    sql`select distinct tenant_id from lead_dirty_numbers where marked_at < now() - make_interval(secs => ${olderThanMs / 1000})`,
  );
  return rows.map((r) => r.tenant_id);
}

/** Marks waiting for the tenant's job. */
export async function pendingLeadMarks(db: Executor, tenantId: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(db, sql`select count(*) as n from (select 1 from lead_dirty_numbers where tenant_id = ${tenantId} limit 10000) d`);
  return Number(row?.n ?? 0);
}

async function mark(tx: Tx, tenantId: string, rows: CallRow[]): Promise<void> {
  await markNumbers(tx, tenantId, rows.filter((r) => r.externalNumber !== null).map((r) => ({ number: r.externalNumber!, from: r.startedAt })));
}

/**
 * Leave marks for the tenant's `kpi-refresh` job: the flags of these numbers' calls started at or
 * after `from` may be stale. In the caller's transaction; the caller wakes the job after commit
 * (a lost wake-up is swept: tenantsWithStaleLeadMarks). CRM leads call it when their phones or
 * createdAt change.
 */
export async function markNumbers(tx: Executor, tenantId: string, numbers: readonly { number: string; from: Date }[]): Promise<void> {
  if (numbers.length === 0) return;
  const earliest = new Map<string, number>();
  for (const r of numbers) earliest.set(r.number, Math.min(earliest.get(r.number) ?? Infinity, r.from.getTime()));
  const marks = [...earliest].map(([number, at]) => ({ number, from: new Date(at).toISOString() }));
  await tx.execute(sql`
    insert into lead_dirty_numbers (tenant_id, external_number, from_at)
    select ${tenantId}::uuid, m.number, m."from"
    from jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) as m(number text, "from" timestamptz)`);
}

/**
 * The flags of calls about to be written (one connection's batch, or one call), in one statement:
 * by the two rules the job applies (firstTimeRule, crmLeadRule), for each call as a row `c` of the
 * batch, against the calls table as it will be after the batch's writes (noneOnceWritten) — so a batch
 * gives its calls the flags that writing them one by one, in any order, and then running the job
 * would. The call's own flags only (other calls' are the job's): read, never locked.
 */
async function leadFlags(
  tx: Tx,
  tenant: TenantRow,
  items: readonly { draft: UnifiedCallDraft; ref: { connectionId: string; callKey: string } }[],
): Promise<CallEnrichment[]> {
  const flags: CallEnrichment[] = items.map(() => ({ firstTimeCaller: null, crmLead: false }));
  if (!items.some(({ draft }) => draft.externalNumber)) return flags;
  // As the row will hold it: startedAt through a Date, as recompute writes it (milliseconds).
  const batch = items.map(({ draft, ref }, i) => ({
    i,
    external_number: draft.externalNumber ?? null,
    started_at: new Date(draft.startedAt).toISOString(),
    connection_id: ref.connectionId,
    call_key: ref.callKey,
  }));
  const rows = await queryRows<{ i: number; first: boolean; crm: boolean }>(
    tx,
    sql`with b as (
          select ${tenant.id}::uuid as tenant_id, r.*
          from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as r(i int, external_number text, started_at timestamptz, connection_id uuid, call_key text))
        select c.i, ${firstTimeRule(noneOnceWritten)} as first, ${crmLeadRule(noneOnceWritten)} as crm
        from b c join tenants t on t.id = c.tenant_id
        where c.external_number is not null`,
  );
  for (const r of rows) flags[r.i] = { firstTimeCaller: r.first, crmLead: r.crm };
  return flags;
}

/**
 * The call listener. It needs no wake-up of its own: every change that marks a number also marks
 * the call's hours dirty (src/modules/kpis/invalidate.ts), which wakes the same job.
 */
export const leadListener: CallChangeListener = {
  enrich: async (tx, tenant, draft, ref) => (await leadFlags(tx, tenant, [{ draft, ref }]))[0]!,
  enrichMany: (tx, tenant, items) => leadFlags(tx, tenant, items),
  // Only a call that is new, moved in time or changed number changes the later calls' flags
  // (which is also what keeps the job's flag updates from marking again).
  onCallsChanged: async (tx, changes) => {
    for (const tenantId of new Set(changes.map((c) => c.tenantId))) {
      const moved = changes
        .filter((c) => c.tenantId === tenantId)
        .filter((c) => !c.before || c.before.startedAt.getTime() !== c.after.startedAt.getTime() || c.before.externalNumber !== c.after.externalNumber)
        .flatMap((c) => (c.before ? [c.before, c.after] : [c.after]));
      await mark(tx, tenantId, moved);
    }
  },
  onCallsRemoved: async (tx, removed) => {
    for (const tenantId of new Set(removed.map((r) => r.tenantId))) {
      await mark(tx, tenantId, removed.filter((r) => r.tenantId === tenantId).map((r) => r.row));
    }
  },
};
