/**
 * Marking KPI hours dirty, inside the transaction that changes the calls (so a committed change is
 * never without its dirty mark), and waking the coalesced refresh job.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import type { CallRow } from '../../db/schema/index.js';
import type { CallChange, CallChangeListener } from '../calls/index.js';
import { upsertAgentsAndQueues } from '../agents/index.js';
import { pgArray } from '../../db/sql.js';

/** The tenant-local hour key of a timestamptz column or parameter, in SQL. */
export const HOUR_KEY_FORMAT = 'YYYY-MM-DD"T"HH24';

/** Wakes the coalesced refresh job of a tenant (src/modules/kpis/refresh.ts `dirtyNotifier`). */
export type DirtyNotifier = (tenantId: string) => void;

/**
 * Mark the hours of these calls' `startedAt` dirty (tenant time). Survey uploads call this for the
 * calls they rate; the call listener below calls it for every change of a call.
 */
export async function markCallsDirty(
  tx: Executor,
  tenantId: string,
  calls: { startedAt: Date }[],
  /** Without one (surveys, campaign moves, scripts) the worker's 1-second sweep picks the hours up. */
  notify?: DirtyNotifier,
): Promise<void> {
  if (calls.length === 0) return;
  const instants = [...new Set(calls.map((c) => c.startedAt.toISOString()))].sort();
  await tx.execute(sql`
    insert into kpi_dirty_hours (tenant_id, hour_key)
    select distinct t.id, to_char(x.ts at time zone t.timezone, ${HOUR_KEY_FORMAT})
    from tenants t cross join unnest(${pgArray(instants)}::timestamptz[]) as x(ts)
    where t.id = ${tenantId}`);
  notify?.(tenantId);
}

/** A call's group in kpi_dirty_hours.call_group (the raw fields its kpi_hourly row is keyed by). */
const callGroupOf = (r: CallRow) => [r.agentId, r.queueName, r.campaignId, r.provider, r.direction];

/**
 * Mark the group of these calls in their hours dirty (tenant time): the refresh rebuilds the
 * kpi_hourly row of each group, reading only that group's calls, so the cost of a change does not
 * grow with the hour's other calls. What depends on other rows than the call's own (surveys, the
 * FCR of earlier calls, agent links, settings) marks whole hours or the other calls' groups.
 */
export async function markCallGroupsDirty(tx: Executor, tenantId: string, rows: CallRow[], notify?: DirtyNotifier): Promise<void> {
  if (rows.length === 0) return;
  await insertGroupMarks(tx, [callGroupMarks(tenantId, rows)]);
  notify?.(tenantId);
}

/** The marks of markCallGroupsDirty: (tenant, hour, group) rows for kpi_dirty_hours. */
function callGroupMarks(tenantId: string, rows: CallRow[]): SQL {
  const marks = [...new Set(rows.map((r) => JSON.stringify([r.startedAt.toISOString(), callGroupOf(r)])))].sort();
  return sql`select distinct t.id, to_char((m->>0)::timestamptz at time zone t.timezone, ${HOUR_KEY_FORMAT}), m->1
    from tenants t cross join jsonb_array_elements(${`[${marks.join(',')}]`}::jsonb) as m
    where t.id = ${tenantId}`;
}

/** Marks of several kinds in one statement (a call transaction's marks, one round trip). */
async function insertGroupMarks(tx: Executor, parts: (SQL | null)[]): Promise<void> {
  const selects = parts.filter((p): p is SQL => p !== null);
  if (selects.length === 0) return;
  await tx.execute(sql`insert into kpi_dirty_hours (tenant_id, hour_key, call_group) ${sql.join(
    selects.map((p) => sql`(${p})`),
    sql` union all `,
  )}`);
}

/** Mark the hours of these agents' calls dirty: a link between agents changes the agent they count under. */
export async function markAgentCallsDirty(tx: Executor, tenantId: string, agentIds: string[]): Promise<void> {
  if (agentIds.length === 0) return;
  await tx.execute(sql`
    insert into kpi_dirty_hours (tenant_id, hour_key)
    select distinct ${tenantId}::uuid, to_char(c.started_at at time zone t.timezone, ${HOUR_KEY_FORMAT})
    from calls c join tenants t on t.id = c.tenant_id
    where c.tenant_id = ${tenantId} and c.agent_id = any(${pgArray(agentIds)}::text[])`);
}

/** Mark every hour of the tenant that holds a call (settings or timezone changed). */
export async function markAllDirty(tx: Executor, tenantId: string): Promise<void> {
  await tx.execute(sql`
    insert into kpi_dirty_hours (tenant_id, hour_key)
    select distinct ${tenantId}::uuid, to_char(c.started_at at time zone t.timezone, ${HOUR_KEY_FORMAT})
    from calls c join tenants t on t.id = c.tenant_id
    where c.tenant_id = ${tenantId}`);
}

/**
 * FCR of an earlier call depends on later calls of the same number: a call (re)appearing, leaving or
 * moving at `startedAt` changes whether the answered inbound calls of that number in the window
 * before it were repeated. Their hours are dirty too.
 */
function earlierCallsOfNumbersMarks(tenantId: string, rows: CallRow[]): SQL | null {
  const relevant = rows.filter((r) => r.direction === 'inbound' && r.externalNumber !== null);
  if (relevant.length === 0) return null;
  const numbers = [...new Set(relevant.map((r) => r.externalNumber!))];
  const times = relevant.map((r) => r.startedAt.getTime());
  return sql`select distinct t.id, to_char(c.started_at at time zone t.timezone, ${HOUR_KEY_FORMAT}),
      jsonb_build_array(c.agent_id, c.queue_name, c.campaign_id::text, c.provider, c.direction)
    from tenants t
    join calls c on c.tenant_id = t.id
    where t.id = ${tenantId}
      and c.external_number = any(${pgArray(numbers)}::text[])
      and c.direction = 'inbound' and c.status = 'answered'
      and c.started_at <= ${new Date(Math.max(...times)).toISOString()}::timestamptz
      and c.started_at >= ${new Date(Math.min(...times)).toISOString()}::timestamptz
          - make_interval(days => coalesce((t.settings->>'fcrWindowDays')::int, 7))`;
}

/** The calls' own groups and their numbers' earlier calls, dirty: in one statement. */
async function markChangedCallsDirty(tx: Executor, tenantId: string, rows: CallRow[], notify?: DirtyNotifier): Promise<void> {
  if (rows.length === 0) return;
  await insertGroupMarks(tx, [callGroupMarks(tenantId, rows), earlierCallsOfNumbersMarks(tenantId, rows)]);
  notify?.(tenantId);
}

/** The KPI module's CallChangeListener: dirty call groups of hours (before and after) and the agent/queue names. */
export function kpiCallListener(notify?: DirtyNotifier): CallChangeListener {
  return {
    async onCallsChanged(tx: Tx, changes: CallChange[]) {
      const byTenant = new Map<string, CallChange[]>();
      for (const change of changes) byTenant.set(change.tenantId, [...(byTenant.get(change.tenantId) ?? []), change]);
      for (const [tenantId, list] of byTenant) {
        const rows = list.flatMap((c) => (c.before ? [c.before, c.after] : [c.after]));
        await markChangedCallsDirty(tx, tenantId, rows, notify);
        await upsertAgentsAndQueues(tx, tenantId, list.map((c) => c.after));
      }
    },
    // A call folded into another: its hours (and its number's earlier calls') are rebuilt without it.
    async onCallsRemoved(tx: Tx, removed) {
      for (const tenantId of new Set(removed.map((r) => r.tenantId))) {
        const rows = removed.filter((r) => r.tenantId === tenantId).map((r) => r.row);
        await markChangedCallsDirty(tx, tenantId, rows, notify);
      }
    },
  };
}
