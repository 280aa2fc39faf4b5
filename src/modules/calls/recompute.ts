/**
 * Recompute one unified call from ALL of its stored events. Because the connector's merge is a pure
 * function of the event set, any order and any duplication of deliveries gives the same call, and
 * recomputing twice changes nothing. An advisory lock per call serialises concurrent workers.
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { connectorFor, type CallEvent, type ProviderId, type UnifiedCallDraft } from '../../../connectors/index.js';
import { queryRows, type Executor, type Tx } from '../../db/client.js';
import { callEvents, calls, type CallRow } from '../../db/schema/index.js';
import type { TenantRow } from '../../db/schema/index.js';
import { effectiveSettings } from '../tenants/index.js';
import { afterCallWorkOf } from './after-call-work.js';
import { handlingOf, type HandledBy } from '../../domain/automation.js';
import { stableStringify } from '../../../connectors/shared/events.js';
import { pgArray, rowFrom } from '../../db/sql.js';

export interface CallChange {
  tenantId: string;
  before: CallRow | null;
  after: CallRow;
}

/**
 * What listeners add to a draft before the write: fields they own on the row (campaignId), and the
 * tenant's own evidence of who handled the call (src/domain/automation.ts), which the call's
 * status and `handledBy` are derived from here.
 */
export interface CallEnrichment extends Partial<Pick<CallRow, 'campaignId' | 'firstTimeCaller' | 'crmLead'>> {
  /** The automation endpoint (number or queue) the call came in on. */
  automationEndpoint?: { id: string; label: string } | null;
  /** Who an annotation of the call says handled it. */
  annotatedHandledBy?: HandledBy | null;
  /** What annotations of the call say (POST /v1/calls/annotations); their sentiment wins over the provider's. */
  annotation?: Partial<Pick<CallRow, 'sentiment' | 'summary' | 'topics' | 'outcome'>>;
}

/** Derived data (rollups, attribution, campaigns) hooks in here; called inside the transaction. */
export interface CallChangeListener {
  /**
   * Fields the listener owns on the call row (e.g. campaignId), resolved before the write. In a
   * batch without `enrichMany`, run per call before any of the batch's calls is written.
   */
  enrich?(tx: Tx, tenant: TenantRow, draft: UnifiedCallDraft, ref: { connectionId: string; callKey: string }): Promise<CallEnrichment>;
  /**
   * The same for several calls of one connection in one statement (a worker's batch): one
   * enrichment per item, in order, before any of them is written (they are written together). A
   * listener that reads the calls table reads it as it will be once the items are written: the
   * rows of the items' refs replaced by the items (src/modules/leads/first-time.ts).
   */
  enrichMany?(tx: Tx, tenant: TenantRow, items: readonly { draft: UnifiedCallDraft; ref: { connectionId: string; callKey: string } }[]): Promise<CallEnrichment[]>;
  onCallsChanged?(tx: Tx, changes: CallChange[]): Promise<void>;
  /** Calls that no longer exist on their own (folded into another call, ./links.ts), already deleted. */
  onCallsRemoved?(tx: Tx, removed: { tenantId: string; row: CallRow }[]): Promise<void>;
}

export async function storeCallEvents(
  tx: Executor,
  tenantId: string,
  connectionId: string,
  events: CallEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await tx.execute(eventsInsert(tenantId, connectionId, events));
}

/**
 * storeCallEvents' statement. The rows travel as one jsonb parameter, inserted in the order given
 * (the callers' lock order): a multi-row VALUES costs a parameter per field to build and send
 * (BENCHMARKS.md, process section).
 */
function eventsInsert(tenantId: string, connectionId: string, events: CallEvent[]): SQL {
  // REST reads of a leg replace the earlier read of that leg (same key, newer data); webhook events
  // are keyed by content, so replacing them is a no-op.
  const unique = new Map(events.map((e) => [`${e.callKey}\u0000${e.key}`, e]));
  const rows = JSON.stringify([...unique.values()].map((e) => ({ call_key: e.callKey, event_key: e.key, source: e.source, data: e.data })));
  return sql`insert into call_events (tenant_id, connection_id, call_key, event_key, source, data)
    select ${tenantId}::uuid, ${connectionId}::uuid, r.call_key, r.event_key, r.source, r.data
    from jsonb_to_recordset(${rows}::jsonb) as r(call_key text, event_key text, source text, data jsonb)
    on conflict (connection_id, call_key, event_key) do update set data = excluded.data, source = excluded.source`;
}

const COMPARED: (keyof CallRow)[] = [
  'providerCallId', 'direction', 'status', 'externalNumber', 'trackingNumber', 'startedAt', 'answeredAt',
  'endedAt', 'waitSeconds', 'talkSeconds', 'holdSeconds', 'afterCallWorkSeconds', 'handleSeconds', 'agentId',
  'agentName', 'agents', 'offeredAgents', 'queueId', 'queueName', 'tags', 'recordingUrl', 'costAmount',
  'costCurrency', 'campaignId', 'handledBy', 'escalatedFromAutomation', 'automation', 'sentiment', 'summary',
  'topics', 'outcome', 'firstTimeCaller', 'crmLead',
];

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  // jsonb comes back with its keys in PostgreSQL's order, not the draft's: compare key-order free.
  if (typeof a === 'object' || typeof b === 'object') return stableStringify(a) === stableStringify(b);
  return a === b;
}

export async function recomputeCall(
  tx: Tx,
  tenant: TenantRow,
  connection: { id: string; provider: ProviderId },
  callKey: string,
  listeners: CallChangeListener[],
): Promise<CallChange | null> {
  const [change] = await recomputeCalls(tx, tenant, connection, [callKey], listeners);
  if (!change) return null;
  for (const l of listeners) await l.onCallsChanged?.(tx, [change]);
  return change;
}

/**
 * Recompute several calls of one connection: their locks (in key order, the order every writer
 * takes them; the statement that takes them stores the new events `store`), their events and
 * their current rows are read in three statements for all of them, then each call is merged and enriched, and the calls that changed are written in one statement.
 * Only the listeners' `enrich` runs here; the caller runs their change hooks over the changes
 * returned (once, or per call as recomputeCall). Nothing in between writes another call's row, so
 * the rows read first are still current.
 */
export async function recomputeCalls(
  tx: Tx,
  tenant: TenantRow,
  connection: { id: string; provider: ProviderId },
  callKeys: readonly string[],
  enrichers: readonly Pick<CallChangeListener, 'enrich' | 'enrichMany'>[],
  /**
   * New events of these calls (a worker's batch), stored under the calls' locks by the statement
   * that takes them: one round trip less per batch. Only where no link can move a call's events
   * once locked (a connector that joins calls stores them first: src/jobs/process-event.ts).
   */
  store: CallEvent[] = [],
): Promise<CallChange[]> {
  const keys = [...new Set(callKeys)].sort();
  if (keys.length === 0) return [];
  const keyList = pgArray(keys);
  // unnest yields the (sorted) keys in order, so the locks are taken in that order. A `with` insert
  // that the query does not read runs once the query is done: after every lock is held.
  const stored = store.length > 0 ? sql`with stored as (${eventsInsert(tenant.id, connection.id, store)}) ` : sql``;
  await tx.execute(sql`${stored}select pg_advisory_xact_lock(hashtextextended(${connection.id}::text || ':' || k, 0)) from unnest(${keyList}::text[]) as k`);
  // One statement at a time: a transaction is one connection, which runs them one after another
  // anyway. Plain SQL written once (below): drizzle's builder rebuilt the 45-column select of the
  // calls on every batch, the worker's hottest query building.
  const eventRows = await queryRows<{ call_key: string; event_key: string; source: CallEvent['source']; data: CallEvent['data'] }>(
    tx,
    sql`${EVENTS_OF_CALLS}${connection.id}${AND_CALL_KEY_IN}${keyList}${END_KEYS}`,
  );
  const rows = await queryRows<Record<string, unknown>>(tx, sql`${ROWS_OF_CALLS}${connection.id}${AND_CALL_KEY_IN}${keyList}${END_KEYS}`);
  const eventsOf = new Map<string, CallEvent[]>();
  for (const r of eventRows) {
    const list = eventsOf.get(r.call_key) ?? [];
    list.push({ callKey: r.call_key, key: r.event_key, source: r.source, data: r.data });
    eventsOf.set(r.call_key, list);
  }
  const rowOf = new Map(rows.map((raw) => {
    const r = rowFrom(calls, raw);
    return [r.callKey, r];
  }));
  const merge = connectorFor(connection.provider).merge;
  const drafts = keys.flatMap((callKey) => {
    const draft = merge(eventsOf.get(callKey) ?? []);
    return draft ? [{ draft, ref: { connectionId: connection.id, callKey } }] : [];
  });
  // Listeners that enrich a batch at once do it now, for every call; the others per call below.
  // Either way before any of the batch's calls is written.
  const batched: (CallEnrichment[] | null)[] = [];
  for (const l of enrichers) batched.push(l.enrichMany && drafts.length > 1 ? await l.enrichMany(tx, tenant, drafts) : null);
  const writes: { before: CallRow | undefined; values: CallValues }[] = [];
  for (const [i, { draft, ref }] of drafts.entries()) {
    let extra: CallEnrichment = {};
    for (const [j, l] of enrichers.entries()) {
      const got = batched[j] ? batched[j][i]! : l.enrich ? await l.enrich(tx, tenant, draft, ref) : {};
      extra = { ...extra, ...got };
    }
    const values = callValues(tenant, connection, ref.callKey, draft, extra);
    const before = rowOf.get(ref.callKey);
    if (!before || !unchanged(before, values)) writes.push({ before, values });
  }
  return writeCalls(tx, tenant.id, writes);
}

/** recomputeCalls' two reads around their two parameters (connection id, call keys), SQL names from the schema. */
const EVENTS_OF_CALLS = sql.raw(
  `select ${[callEvents.callKey, callEvents.eventKey, callEvents.source, callEvents.data].map((c) => `"${c.name}"`).join(', ')} from call_events where "${callEvents.connectionId.name}" = `,
);
const ROWS_OF_CALLS = sql.raw(`select * from calls where "${calls.connectionId.name}" = `);
const AND_CALL_KEY_IN = sql.raw(`::uuid and "${calls.callKey.name}" = any(`);
const END_KEYS = sql.raw('::text[])');

type CallValues = ReturnType<typeof callValues>;

/** The row of one call from its merged events and enrichment (every column recompute owns). */
function callValues(
  tenant: TenantRow,
  connection: { id: string; provider: ProviderId },
  callKey: string,
  draft: UnifiedCallDraft,
  extra: CallEnrichment,
) {
  const settings = effectiveSettings(tenant.settings);
  const handling = handlingOf({
    direction: draft.direction,
    status: draft.status,
    agentCount: draft.agents.length,
    provider: draft.automation,
    annotated: extra.annotatedHandledBy ?? null,
    endpoint: extra.automationEndpoint ?? null,
  });
  const acw = afterCallWorkOf(handling.status as UnifiedCallDraft['status'], draft.afterCallWorkSeconds, settings.defaultAfterCallWorkSeconds);
  return {
    tenantId: tenant.id,
    connectionId: connection.id,
    provider: connection.provider,
    callKey,
    providerCallId: draft.providerCallId,
    direction: draft.direction,
    status: handling.status,
    externalNumber: draft.externalNumber,
    trackingNumber: draft.trackingNumber,
    startedAt: new Date(draft.startedAt),
    answeredAt: draft.answeredAt ? new Date(draft.answeredAt) : null,
    endedAt: draft.endedAt ? new Date(draft.endedAt) : null,
    waitSeconds: draft.waitSeconds,
    talkSeconds: draft.talkSeconds,
    holdSeconds: draft.holdSeconds,
    afterCallWorkSeconds: acw,
    acwReported: draft.afterCallWorkSeconds === null ? 0 : 1,
    handleSeconds: draft.talkSeconds + (draft.holdSeconds ?? 0) + acw,
    agentId: draft.agent?.id ?? null,
    agentName: draft.agent?.name ?? null,
    agents: draft.agents,
    offeredAgents: draft.offeredAgents ?? [],
    queueId: draft.queue?.id ?? null,
    queueName: draft.queue?.name ?? null,
    tags: draft.tags,
    recordingUrl: draft.recordingUrl,
    costAmount: draft.telephonyCost?.amount ?? null,
    costCurrency: draft.telephonyCost?.currency ?? null,
    campaignId: extra.campaignId ?? null,
    handledBy: handling.handledBy,
    escalatedFromAutomation: handling.escalatedFromAutomation,
    automation: handling.automation,
    firstTimeCaller: extra.firstTimeCaller ?? null,
    crmLead: extra.crmLead ?? false,
    sentiment: extra.annotation?.sentiment ?? draft.sentiment ?? null,
    summary: extra.annotation?.summary ?? null,
    topics: extra.annotation?.topics ?? null,
    outcome: extra.annotation?.outcome ?? null,
  };
}

/** Whether the call's row `before` already holds `values` (then it is not written). */
function unchanged(before: CallRow, values: CallValues): boolean {
  // Normalise numeric strings the way PostgreSQL returns them before comparing.
  const candidate = { ...before, ...values, costAmount: values.costAmount === null ? null : new Decimal(values.costAmount).toFixed(6) };
  return COMPARED.every((k) => same(before[k], candidate[k]));
}

/** The calls table's columns, by property: the rows written as JSON by their SQL names. */
const CALL_COLUMNS = getTableColumns(calls);

/** The upsert's SQL around its one parameter, built once per set of columns (always the same: callValues). */
const upsertSql = new Map<string, { head: string; tail: string }>();

function upsertOf(keys: string[]): { head: string; tail: string } {
  const id = keys.join(',');
  let got = upsertSql.get(id);
  if (!got) {
    const names = keys.map((k) => `"${CALL_COLUMNS[k as keyof typeof CALL_COLUMNS].name}"`);
    // A new row has no updated_at in its JSON: the column's default (now()), as a plain insert gives.
    const selected = names.map((n) => (n === '"updated_at"' ? `coalesce(r.${n}, now())` : `r.${n}`));
    got = {
      head: `insert into calls (${names.join(', ')}) select ${selected.join(', ')} from jsonb_populate_recordset(null::calls, `,
      tail: `::jsonb) as r on conflict (connection_id, call_key) do update set ${names
        .filter((n) => n !== '"id"')
        .map((n) => `${n} = excluded.${n}`)
        .join(', ')} where calls.id = excluded.id returning *`,
    };
    upsertSql.set(id, got);
  }
  return got;
}

/**
 * Write the calls that changed (an existing row, `before`) or are new, in one statement: an insert
 * of every row, whose conflict on (connection, call key) updates the existing ones. A new row gets
 * a fresh id and the columns' defaults (createdAt, updatedAt); an existing one keeps its id and
 * createdAt, and its updatedAt moves. The update applies only to the row read before (same id): a
 * row that appeared since (no `before`) comes back missing, and that fails the transaction as the
 * plain insert's unique violation did. The changes come back in the order of `writes`.
 *
 * The rows travel as ONE jsonb parameter (jsonb_populate_recordset over the table's own row type),
 * not a multi-row VALUES of ~40 parameters a row: building and sending those was most of the
 * worker's query-building time (BENCHMARKS.md, process section).
 */
async function writeCalls(tx: Tx, tenantId: string, writes: { before: CallRow | undefined; values: CallValues }[]): Promise<CallChange[]> {
  if (writes.length === 0) return [];
  const now = new Date();
  // Every column recompute owns, id and updatedAt; not the others (attributedRevenue is
  // attribution's; createdAt stays).
  const keys = ['id', ...Object.keys(writes[0]!.values), 'updatedAt'];
  const json = writes.map(({ before, values }) => {
    const row: Record<string, unknown> = { id: before ? before.id : randomUUID(), updated_at: before ? now : null };
    for (const [k, v] of Object.entries(values)) row[CALL_COLUMNS[k as keyof typeof CALL_COLUMNS].name] = v;
    return row;
  });
  const { head, tail } = upsertOf(keys);
  const returned = await queryRows<Record<string, unknown>>(tx, sql`${sql.raw(head)}${JSON.stringify(json)}${sql.raw(tail)}`);
  const written = new Map<string, CallRow>();
  for (const r of returned) written.set(r.call_key as string, rowFrom(calls, r));
  return writes.map(({ before, values }) => {
    const after = written.get(values.callKey);
    if (!after) throw new Error(`call ${values.callKey} of connection ${values.connectionId} was written by another transaction under its lock`);
    return { tenantId, before: before ?? null, after };
  });
}
