/**
 * Agents and queues as first-class rows, named as the providers name them. Maintained from call
 * changes (every agent who handled or was offered the call, and its queue) and presence events.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PresenceEvent, ProviderId } from '../../../connectors/index.js';
import type { Database, Executor, Tx } from '../../db/client.js';
import { agentPresenceEvents, agents, agentSchedules, queues, type CallRow } from '../../db/schema/index.js';
import type { PresenceSink } from '../calls/index.js';

interface AgentSeen {
  id: string;
  name: string | null;
  provider: string;
}

/**
 * Insert unknown agents, rename known ones when the provider now gives a (different) name. Rows
 * that are unchanged are not written: a busy agent's row is not locked by every call transaction.
 */
export async function upsertAgents(tx: Executor, tenantId: string, seen: AgentSeen[]): Promise<void> {
  const byId = new Map<string, AgentSeen>();
  for (const a of seen) {
    const prev = byId.get(a.id);
    byId.set(a.id, { ...a, name: a.name ?? prev?.name ?? null });
  }
  if (byId.size === 0) return;
  const existing = await tx
    .select({ id: agents.id, name: agents.name })
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), inArray(agents.id, [...byId.keys()])));
  const known = new Map(existing.map((r) => [r.id, r.name]));
  const writes = [...byId.values()]
    .filter((a) => !known.has(a.id) || (a.name !== null && known.get(a.id) !== a.name))
    // One order for every writer, so two transactions never wait on each other's rows in a cycle.
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (writes.length === 0) return;
  await tx
    .insert(agents)
    .values(writes.map((a) => ({ tenantId, id: a.id, name: a.name, provider: a.provider })))
    .onConflictDoUpdate({
      target: [agents.tenantId, agents.id],
      set: { name: sql`coalesce(excluded.name, ${agents.name})`, updatedAt: sql`now()` },
    });
}

export async function upsertAgentsAndQueues(tx: Tx, tenantId: string, calls: CallRow[]): Promise<void> {
  const seen: AgentSeen[] = [];
  for (const call of calls) {
    for (const a of [...call.offeredAgents, ...call.agents]) seen.push({ id: a.id, name: a.name, provider: call.provider });
    if (call.agentId) seen.push({ id: call.agentId, name: call.agentName, provider: call.provider });
  }
  await upsertAgents(tx, tenantId, seen);

  const queueRows = new Map<string, { provider: string; key: string; queueId: string | null; name: string | null }>();
  for (const call of calls) {
    const key = call.queueId ?? call.queueName;
    if (key === null) continue;
    queueRows.set(`${call.provider}\u0000${key}`, { provider: call.provider, key, queueId: call.queueId, name: call.queueName });
  }
  for (const q of [...queueRows.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const [row] = await tx
      .select({ name: queues.name })
      .from(queues)
      .where(and(eq(queues.tenantId, tenantId), eq(queues.provider, q.provider), eq(queues.key, q.key)))
      .limit(1);
    if (row && (q.name === null || row.name === q.name)) continue;
    await tx
      .insert(queues)
      .values({ tenantId, ...q })
      .onConflictDoUpdate({
        target: [queues.tenantId, queues.provider, queues.key],
        set: { name: sql`coalesce(excluded.name, ${queues.name})`, updatedAt: sql`now()` },
      });
  }
}

/** The real PresenceSink: availability events are kept as events; intervals are derived on read. */
export const presenceStore: PresenceSink = {
  async record(tx: Tx, tenantId: string, connectionId: string, provider: ProviderId, events: PresenceEvent[]) {
    if (events.length === 0) return;
    await upsertAgents(
      tx,
      tenantId,
      events.map((e) => ({ id: e.agentId, name: e.agentName ?? null, provider })),
    );
    await tx
      .insert(agentPresenceEvents)
      .values(events.map((e) => ({ tenantId, agentId: e.agentId, at: new Date(e.at), state: e.state, connectionId })))
      .onConflictDoNothing();
  },
};

export async function listAgents(db: Database, tenantId: string) {
  return db.select().from(agents).where(eq(agents.tenantId, tenantId)).orderBy(asc(agents.id));
}

export async function getAgent(db: Executor, tenantId: string, id: string) {
  const [row] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), eq(agents.id, id)))
    .limit(1);
  return row ?? null;
}

export async function listQueues(db: Database, tenantId: string) {
  return db.select().from(queues).where(eq(queues.tenantId, tenantId)).orderBy(asc(queues.provider), asc(queues.key));
}

/** Insert staffed intervals; an interval already stored (same start and end) is a no-op. */
export async function insertSchedules(db: Database, tenantId: string, agentId: string, intervals: { startsAt: Date; endsAt: Date }[]) {
  if (intervals.length === 0) return;
  await db
    .insert(agentSchedules)
    .values(intervals.map((i) => ({ id: randomUUID(), tenantId, agentId, ...i })))
    .onConflictDoNothing();
}

export async function listSchedules(db: Database, tenantId: string, agentId: string) {
  return db
    .select({ startsAt: agentSchedules.startsAt, endsAt: agentSchedules.endsAt })
    .from(agentSchedules)
    .where(and(eq(agentSchedules.tenantId, tenantId), eq(agentSchedules.agentId, agentId)))
    .orderBy(asc(agentSchedules.startsAt));
}

/** What the tenant says of an agent: a display name and an email (null clears them). */
export async function updateAgent(db: Database, tenantId: string, id: string, patch: { displayName?: string | null; email?: string | null }) {
  const set: Partial<typeof agents.$inferInsert> = { updatedAt: new Date() };
  if (patch.displayName !== undefined) set.displayName = patch.displayName;
  if (patch.email !== undefined) set.email = patch.email;
  const [row] = await db
    .update(agents)
    .set(set)
    .where(and(eq(agents.tenantId, tenantId), eq(agents.id, id)))
    .returning();
  return row ?? null;
}

/** The agents linked to this one (the same person on other providers). */
export async function linkedAgents(db: Executor, tenantId: string, id: string): Promise<string[]> {
  const rows = await db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), eq(agents.linkedTo, id)))
    .orderBy(asc(agents.id));
  return rows.map((r) => r.id);
}

/**
 * The id an agent counts under in groupings and filters: the agent it is linked to, else its own,
 * as SQL over an agent id column (null stays null). The one definition of the link for the KPI
 * rollups, the cost allocation and the ROI.
 */
export function canonicalAgentIdSql(tenantId: SQL, agentId: SQL): SQL {
  return sql`coalesce((select l.linked_to from agents l where l.tenant_id = ${tenantId} and l.id = ${agentId}), ${agentId})`;
}

/** The same for one id, read now (a filter naming either agent of a pair). */
export async function canonicalAgentId(db: Executor, tenantId: string, agentId: string): Promise<string> {
  const [row] = await db
    .select({ linkedTo: agents.linkedTo })
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), eq(agents.id, agentId)))
    .limit(1);
  return row?.linkedTo ?? agentId;
}

/** Every link of the tenant: linked agent id → the id it counts under. */
export async function agentLinks(db: Executor, tenantId: string): Promise<Map<string, string>> {
  const rows = await db
    .select({ id: agents.id, linkedTo: agents.linkedTo })
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), sql`${agents.linkedTo} is not null`));
  return new Map(rows.map((r) => [r.id, r.linkedTo!]));
}

/** Set or clear links (in the caller's transaction, with the KPI hours of their calls marked dirty). */
export async function setLinks(tx: Tx, tenantId: string, ids: string[], linkedTo: string | null): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(agents)
    .set({ linkedTo, updatedAt: new Date() })
    .where(and(eq(agents.tenantId, tenantId), inArray(agents.id, ids)));
}
