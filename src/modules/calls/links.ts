/**
 * Calls a provider joins after the fact. A Vonage `transfer` moves a leg from one conversation into
 * another (conversation_uuid_from → conversation_uuid_to): the two conversations are one call. The
 * connector reports the link (`ParsedDelivery.callLinks`); here it is stored, and:
 * - every event of the alias, stored before the link or arriving after it, is filed under the root
 *   key (chains followed: an alias of an alias);
 * - a call row already built from the alias alone leaves, through the listeners (`onCallsRemoved`),
 *   and its survey responses follow the root call.
 * Whatever the order of the deliveries, the result is the one call the provider describes.
 *
 * A concurrent transaction that stored an alias's event before the link was visible is caught when
 * the alias key is locked: src/jobs/process-event.ts re-reads the link after taking the call's
 * lock, so the event is folded into the root instead of rebuilding the alias's own call.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { callEvents, callLinks, calls, surveyResponses, type CallRow } from '../../db/schema/index.js';

export interface CallLink {
  callKey: string;
  alias: string;
}

/** How deep a chain of links is followed (a call transferred through this many conversations). */
const MAX_CHAIN = 16;

export async function storeLinks(tx: Tx, connectionId: string, links: CallLink[]): Promise<void> {
  const usable = links.filter((l) => l.alias !== l.callKey);
  if (usable.length === 0) return;
  await tx
    .insert(callLinks)
    .values(usable.map((l) => ({ connectionId, aliasKey: l.alias, callKey: l.callKey })))
    .onConflictDoNothing();
}

/** The root key of each key (itself when it is no alias). */
export async function rootsOf(tx: Tx, connectionId: string, keys: string[]): Promise<Map<string, string>> {
  const roots = new Map(keys.map((k) => [k, k]));
  let pending = [...new Set(keys)];
  for (let depth = 0; depth < MAX_CHAIN && pending.length > 0; depth++) {
    const rows = await tx
      .select({ alias: callLinks.aliasKey, root: callLinks.callKey })
      .from(callLinks)
      .where(and(eq(callLinks.connectionId, connectionId), inArray(callLinks.aliasKey, pending)));
    if (rows.length === 0) break;
    const step = new Map(rows.map((r) => [r.alias, r.root]));
    for (const [k, r] of roots) if (step.has(r)) roots.set(k, step.get(r)!);
    pending = [...new Set(rows.map((r) => r.root))];
  }
  return roots;
}

/** Every key whose chain leads to one of `roots` (aliases of aliases included). */
export async function aliasesOf(tx: Tx, connectionId: string, roots: string[]): Promise<string[]> {
  const out = new Set<string>();
  let frontier = [...new Set(roots)];
  for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
    const rows = await tx
      .select({ alias: callLinks.aliasKey })
      .from(callLinks)
      .where(and(eq(callLinks.connectionId, connectionId), inArray(callLinks.callKey, frontier)));
    frontier = rows.map((r) => r.alias).filter((a) => !out.has(a));
    for (const a of frontier) out.add(a);
  }
  return [...out];
}

/**
 * Files the alias's stored events under the root and returns the alias's own call row (to be
 * removed once the root call is recomputed), or null.
 */
export async function foldAlias(tx: Tx, connectionId: string, aliasKey: string, rootKey: string): Promise<CallRow | null> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${connectionId}:${aliasKey}`}, 0))`);
  await tx.execute(sql`
    insert into ${callEvents} (connection_id, call_key, event_key, tenant_id, source, data)
    select connection_id, ${rootKey}, event_key, tenant_id, source, data from ${callEvents}
    where connection_id = ${connectionId} and call_key = ${aliasKey}
    on conflict (connection_id, call_key, event_key) do update set data = excluded.data, source = excluded.source`);
  await tx.delete(callEvents).where(and(eq(callEvents.connectionId, connectionId), eq(callEvents.callKey, aliasKey)));
  const [row] = await tx.select().from(calls).where(and(eq(calls.connectionId, connectionId), eq(calls.callKey, aliasKey))).limit(1);
  return row ?? null;
}

/** Moves what hangs on the alias's call row to the root's, then deletes the alias's row. */
export async function retireAliasRow(tx: Tx, alias: CallRow, rootKey: string): Promise<void> {
  const [root] = await tx
    .select({ id: calls.id })
    .from(calls)
    .where(and(eq(calls.connectionId, alias.connectionId), eq(calls.callKey, rootKey)))
    .limit(1);
  if (root) {
    // One response per (call, respondedAt): a response already on the root wins.
    await tx.execute(sql`
      update ${surveyResponses} s set call_id = ${root.id}
      where s.call_id = ${alias.id}
        and not exists (select 1 from ${surveyResponses} r where r.call_id = ${root.id} and r.responded_at = s.responded_at)`);
  }
  await tx.delete(surveyResponses).where(eq(surveyResponses.callId, alias.id));
  await tx.delete(calls).where(eq(calls.id, alias.id));
}
