/**
 * Job `process-event`: stored deliveries → call events → the calls they touch.
 *
 * One job carries up to a batch of consecutive deliveries, gathered by the API from its inbox
 * commits (src/jobs/event-jobs.ts), so a burst of deliveries costs the queue a job per hundred, not
 * one per delivery: each job is several Redis round trips on both sides (BENCHMARKS.md, process
 * section), and a call's callbacks, which come close together, mostly land in one job.
 *
 * The events of the jobs a worker runs at the same time are gathered into batches (up to 50 ms
 * from when the API began gathering them),
 * at most two running at once while the next gathers (src/lib/micro-batch.ts, group commit): one
 * transaction stores the events of the whole batch, recomputes each touched call ONCE (a call's
 * callbacks usually arrive together), runs the call listeners once over every change, and claims
 * the events and marks them processed with one UPDATE. Per-event round trips to PostgreSQL were
 * the worker's cost, and per-batch statements still are (BENCHMARKS.md, process section). Call locks are taken in one global order, so two batches never
 * wait on each other in a cycle. If a batch's transaction fails, each of its events is processed
 * again alone, exactly as an event always was, so one bad event never holds the others and BullMQ's
 * per-job retries and failure marking stay per event.
 *
 * A worker killed mid-job rolls the transaction back; the events stay `pending` and are taken again
 * (BullMQ stalled-job recovery, or the sweeper, src/jobs/maintenance.ts, which also brings back an
 * event whose every attempt failed while the database was away).
 */
import { and, eq, sql } from 'drizzle-orm';
import { z, ZodError } from 'zod';
import { connectorFor, DeliveryShapeError, type CallEvent, type ParsedDelivery, type ProviderId } from '../../connectors/index.js';
import { queryRows, type Database, type Tx } from '../db/client.js';
import { pgArray, rowFrom } from '../db/sql.js';
import { connections, tenants, webhookEvents, type TenantRow, type WebhookEventRow } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { metrics } from '../lib/metrics.js';
import { MicroBatcher } from '../lib/micro-batch.js';
import {
  aliasesOf,
  foldAlias,
  recomputeCalls,
  retireAliasRow,
  rootsOf,
  storeCallEvents,
  storeLinks,
  type CallChange,
  type CallChangeListener,
  type PresenceSink,
} from '../modules/calls/index.js';
import { providerFailure, type ConnectionsService } from '../modules/connections/index.js';
import type { ConnectorContextFactory } from './context.js';
import type { JobProcessor, JobSettings } from './job.js';

export const payload = z
  .object({
    /** The events of up to a batch of deliveries (src/jobs/event-jobs.ts, or the sweeper, or a reprocess). */
    eventIds: z.array(z.uuid()).min(1).max(1000).optional(),
    /** A job enqueued by a version that queued one job per event (a rolling upgrade). */
    eventId: z.uuid().optional(),
    /**
     * When the API began gathering these events into the job (ms since the epoch, its clock:
     * src/jobs/event-jobs.ts): that time counts towards the worker's gathering. Without it (the
     * sweeper, a reprocess, an older API) the events are old enough to go at once.
     */
    gatheredAt: z.number().int().nonnegative().optional(),
  })
  .refine((p) => p.eventIds !== undefined || p.eventId !== undefined, { message: 'eventIds is required' });

/** The events a job carries, whichever version enqueued it. */
export function eventsOf(p: z.infer<typeof payload>): string[] {
  return p.eventIds ?? [p.eventId!];
}

export const settings: JobSettings = {
  // How many jobs (of up to EVENTS_PER_BATCH events) a worker takes at once is the operator's WORKER_CONCURRENCY; their
  // events are regrouped into transactions of at most EVENTS_PER_BATCH (below), so a high number
  // costs no more connections than the batches it makes.
  concurrency: 'WORKER_CONCURRENCY',
  // 500 ms doubling over 8 tries: about a minute of database trouble is ridden out in one round;
  // longer outages are the sweeper's (a new round once the database is back).
  attempts: 8,
  backoffMs: 500,
};

/**
 * Largest batch, and largest job the API makes (src/jobs/event-jobs.ts): bounded so that one
 * transaction's locks and statements stay small.
 */
export const EVENTS_PER_BATCH = 100;
/**
 * How long a batch that is not full waits for more events, counted from its oldest one (a full batch
 * goes at once). A batch costs a worker ~6 ms of CPU whatever its size (held diagnostic,
 * bench/process.ts: 0.145 ms per event in batches of 100, 0.20 in 50, 0.33 in 25), so gathering
 * for a few tens of milliseconds halves the CPU of a worker that is keeping up. Measured: steady
 * 2,150/s, 43 events per batch and 0.26 ms per event with 3 ms, 95 and 0.21 ms with 50 ms, call
 * visible p99 146 and 130 ms; two workers' bursts, 50 and 79 events per batch. Counted from when
 * the API began gathering the job's events (its `gatheredAt`: a job that gathered that long is a
 * batch at once), so it is at most this much latency on a quiet hub, against figures promised
 * within seconds.
 */
const BATCH_WAIT_MS = 50;
/**
 * Batches one worker runs at once; the events that arrive meanwhile gather for the next (group
 * commit, src/lib/micro-batch.ts). A batch's statements go out one after another, so a second one
 * keeps the process busy while the first waits for PostgreSQL; more only cut the work into smaller
 * batches, each paying a batch's fixed cost. Measured (bench/process.ts, burst, one worker, 3 ms
 * wait): with no limit, 42–53 events per batch and 0.21–0.24 ms of CPU per event; with 2, 93–98 and
 * 0.17–0.18 ms, the backlog drained ~20 % faster. A delivery that needs a provider fetch is never in a batch
 * (processBatch), so a slow provider cannot hold these slots.
 */
const BATCHES_IN_FLIGHT = 2;

interface ProcessDeps {
  db: Database;
  logger: Logger;
  listeners: CallChangeListener[];
  presence: PresenceSink;
  connections: ConnectionsService;
  /** For connectors that fetch what a delivery points at (`follow`). */
  context: ConnectorContextFactory;
}

interface Parsed {
  event: WebhookEventRow;
  parsed: ParsedDelivery;
}

function isShapeError(err: unknown): boolean {
  return err instanceof DeliveryShapeError || err instanceof ZodError || err instanceof SyntaxError;
}

export function processor(deps: ProcessDeps): JobProcessor<typeof payload> {
  const batcher = new MicroBatcher<string, boolean>((ids) => processBatch(deps, ids), EVENTS_PER_BATCH, BATCH_WAIT_MS, BATCHES_IN_FLIGHT);
  return async (p, job) => {
    const ids = eventsOf(p);
    // The batch's clock started when the API began gathering them (a few ms of clock skew between
    // hosts moves it by as much); all of the job's events join the gathering at once.
    const waited = p.gatheredAt === undefined ? Infinity : Date.now() - p.gatheredAt;
    const handled = await Promise.all(batcher.submitAll(ids, waited));
    // The events of a batch that failed: each alone, with its own outcome. One that fails for a
    // reason worth retrying fails the job after the others were tried; the retry skips those
    // already processed (they are no longer pending).
    let retry: unknown = null;
    for (const [i, id] of ids.entries()) {
      if (handled[i]) continue;
      try {
        await processOne(deps, id, job);
      } catch (err) {
        retry ??= err;
      }
    }
    if (retry) throw retry;
  };
}

/** Keeps a valid delivery that cannot be used, visible and reprocessable after a fix (status failed). */
async function markFailed(deps: ProcessDeps, event: WebhookEventRow, reason: string): Promise<void> {
  await deps.db
    .update(webhookEvents)
    .set({ status: 'failed', error: reason.slice(0, 2000), attempts: sql`${webhookEvents.attempts} + 1`, processedAt: new Date() })
    .where(eq(webhookEvents.id, event.id));
}

/**
 * Reads a stored delivery with its connector, and fetches what it points at (`follow`: a REST call
 * to the provider, made here, before any transaction). An unreadable shape or a provider refusing
 * the fetch (401, 403, 404: it will refuse again) marks the delivery failed (returns null); a
 * provider that did not answer (429, 5xx, network) throws, so the job is tried again. Without
 * `fetch`, a delivery that points at something answers 'fetch' instead (it is processed alone).
 */
async function parseEvent(deps: ProcessDeps, event: WebhookEventRow, fetch: boolean): Promise<ParsedDelivery | null | 'fetch'> {
  const provider = event.provider as ProviderId;
  const connector = connectorFor(provider);
  let connection: Awaited<ReturnType<ConnectionsService['forWebhook']>>;
  let parsed: ParsedDelivery;
  try {
    connection = await deps.connections.forWebhook(event.provider, event.connectionId);
    parsed = connector.parse(
      { rawBody: event.body, headers: event.headers, query: event.query, receivedAt: event.receivedAt },
      connection?.credentials,
    );
  } catch (err) {
    if (!isShapeError(err)) throw err;
    // Valid delivery, unreadable shape: keep it, visible and reprocessable after a fix.
    await markFailed(deps, event, (err as Error).message);
    deps.logger.warn({ eventId: event.id, provider: event.provider, err: (err as Error).message }, 'delivery shape not understood');
    return null;
  }
  if (!parsed.pointers?.length || !connector.follow) return parsed;
  if (!fetch) return 'fetch';
  if (!connection) {
    await markFailed(deps, event, 'the connection is gone: what the delivery points at cannot be fetched');
    return null;
  }
  try {
    const fetched = await connector.follow(parsed.pointers, connection.credentials, deps.context(provider));
    return { ...parsed, calls: [...parsed.calls, ...fetched] };
  } catch (err) {
    const failure = providerFailure(err, provider);
    if (!failure.permanent) throw err;
    await markFailed(deps, event, failure.reason);
    deps.logger.warn({ eventId: event.id, provider, reason: failure.reason }, 'provider refused what the delivery points at');
    return null;
  }
}

/**
 * Stores the events of some deliveries and recomputes the calls they touch, in `tx`; returns the
 * changes for the listeners (called by the caller, once). Calls joined by a provider's link are
 * folded into one (src/modules/calls/links.ts).
 */
async function applyDeliveries(tx: Tx, deps: ProcessDeps, tenantById: Map<string, TenantRow>, work: Parsed[]): Promise<CallChange[]> {
  const byConnection = new Map<string, { tenantId: string; provider: ProviderId; events: CallEvent[]; links: { callKey: string; alias: string }[] }>();
  for (const { event, parsed } of work) {
    const entry = byConnection.get(event.connectionId) ?? { tenantId: event.tenantId, provider: event.provider as ProviderId, events: [], links: [] };
    entry.events.push(...parsed.calls);
    entry.links.push(...(parsed.callLinks ?? []));
    byConnection.set(event.connectionId, entry);
  }
  // Listeners' enrich (or enrichMany) runs inside recomputeCalls before the calls are written; their
  // change hooks run once, by the caller.
  const enrichOnly = deps.listeners.filter((l) => l.enrich).map((l) => ({ enrich: l.enrich!.bind(l), enrichMany: l.enrichMany?.bind(l) }));
  const changes: CallChange[] = [];
  // One global order for every row and lock a transaction takes: connections, then call keys.
  for (const connectionId of [...byConnection.keys()].sort()) {
    const entry = byConnection.get(connectionId)!;
    const tenant = tenantById.get(entry.tenantId)!;
    const connection = { id: connectionId, provider: entry.provider };
    await storeLinks(tx, connectionId, entry.links);
    let events = entry.events;
    let keys = [...new Set(events.map((e) => e.callKey))];
    const retired: { alias: Awaited<ReturnType<typeof foldAlias>>; root: string }[] = [];
    if (connectorFor(entry.provider).joinsCalls) {
      const roots = await rootsOf(tx, connectionId, [...keys, ...entry.links.flatMap((l) => [l.callKey, l.alias])]);
      events = events.map((e) => ({ ...e, callKey: roots.get(e.callKey) ?? e.callKey }));
      keys = [...new Set([...events.map((e) => e.callKey), ...entry.links.map((l) => roots.get(l.callKey)!)])];
      // Whatever an alias holds (events stored before its link, a call row built from them alone)
      // joins its root.
      for (const alias of (await aliasesOf(tx, connectionId, keys)).sort()) {
        const root = (await rootsOf(tx, connectionId, [alias])).get(alias)!;
        retired.push({ alias: await foldAlias(tx, connectionId, alias, root), root });
      }
    }
    events.sort((a, b) => (a.callKey === b.callKey ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.callKey < b.callKey ? -1 : 1));
    // Where calls are joined, the events are stored before their calls are locked (a fold under the
    // lock below moves them with the alias's); elsewhere recomputeCalls stores them with its locks.
    const joins = connectorFor(entry.provider).joinsCalls === true;
    if (joins) await storeCallEvents(tx, entry.tenantId, connectionId, events);
    const recompute = new Set<string>();
    for (const callKey of keys.sort()) {
      if (joins) {
        // Under the call's lock, the link is read again: a transaction that committed a link while
        // this one waited (its event was filed here before the link was visible) is caught now.
        await lockCall(tx, connectionId, callKey);
        const root = (await rootsOf(tx, connectionId, [callKey])).get(callKey)!;
        if (root !== callKey) {
          retired.push({ alias: await foldAlias(tx, connectionId, callKey, root), root });
          recompute.add(root);
          continue;
        }
      }
      recompute.add(callKey);
    }
    // The batch's calls of this connection together: one statement each for their locks, events and rows.
    changes.push(...(await recomputeCalls(tx, tenant, connection, [...recompute], enrichOnly, joins ? [] : events)));
    const gone = retired.filter((r) => r.alias !== null);
    for (const r of gone) await retireAliasRow(tx, r.alias!, r.root);
    if (gone.length > 0) {
      const removed = gone.map((r) => ({ tenantId: entry.tenantId, row: r.alias! }));
      for (const l of deps.listeners) await l.onCallsRemoved?.(tx, removed);
    }
  }
  return changes;
}

async function lockCall(tx: Tx, connectionId: string, callKey: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${connectionId}:${callKey}`}, 0))`);
}

/** What a delivery says besides its calls: the connection's state and agents' presence. */
async function applySideEffects(tx: Tx, deps: ProcessDeps, { event, parsed }: Parsed): Promise<void> {
  if (parsed.connectionState) {
    // Written only when it changes: this row is shared by every event of the connection.
    await tx
      .update(connections)
      .set({ state: sql`${connections.state} || ${JSON.stringify(parsed.connectionState)}::jsonb` })
      .where(and(eq(connections.id, event.connectionId), sql`not (${connections.state} @> ${JSON.stringify(parsed.connectionState)}::jsonb)`));
  }
  if (parsed.presence.length > 0) await deps.presence.record(tx, event.tenantId, event.connectionId, event.provider as ProviderId, parsed.presence);
}

/**
 * The ids among `ids` still pending, their rows locked until the transaction ends (taken in id
 * order) and marked processed, and their tenants, in one statement: the transaction commits them
 * processed with its work, or rolls the mark back with it. An event whose tenant is gone is
 * claimed without one.
 */
async function claimPending(tx: Tx, ids: string[]): Promise<{ claimed: Set<string>; tenantById: Map<string, TenantRow> }> {
  const claimed = new Set<string>();
  const tenantById = new Map<string, TenantRow>();
  if (ids.length === 0) return { claimed, tenantById };
  const rows = await queryRows<Record<string, unknown> & { claimed_ids: string[]; id: string | null }>(
    tx,
    sql`with claimed as (
          update ${webhookEvents} w set status = 'processed', error = null, attempts = w.attempts + 1, processed_at = clock_timestamp()
          from (select id from ${webhookEvents} where id = any(${pgArray(ids)}::uuid[]) and status = 'pending' order by id for update) c
          where w.id = c.id
          returning w.id, w.tenant_id)
        select c.claimed_ids, t.*
        from (select tenant_id, array_agg(id) as claimed_ids from claimed group by tenant_id) c
        left join ${tenants} t on t.id = c.tenant_id`,
  );
  for (const r of rows) {
    for (const id of r.claimed_ids) claimed.add(id);
    if (r.id !== null) tenantById.set(r.id, rowFrom(tenants, r));
  }
  return { claimed, tenantById };
}

/**
 * Everything of `work` in one transaction; throws when anything fails (nothing is kept then).
 * Returns the ids it dealt with: applied, or found no longer pending.
 */
async function applyInTransaction(deps: ProcessDeps, work: Parsed[]): Promise<string[]> {
  return deps.db.transaction(async (tx) => {
    // The events are claimed first, in id order: an event in two jobs at once (a sweep or a
    // reprocess racing its first job) is applied by one transaction; the other finds it processed.
    const { claimed, tenantById } = await claimPending(tx, work.map((w) => w.event.id));
    const gone = work.filter((w) => !claimed.has(w.event.id)).map((w) => w.event.id);
    work = work.filter((w) => claimed.has(w.event.id));
    // Claimed is marked processed: an event whose tenant is gone fails the batch, and alone it
    // fails for good (processOne), as an unreadable delivery does.
    if (work.some((w) => !tenantById.has(w.event.tenantId))) {
      throw work.length === 1 ? new DeliveryShapeError('tenant no longer exists') : new Error('an event of the batch has no tenant');
    }
    const changes = await applyDeliveries(tx, deps, tenantById, work);
    if (changes.length > 0) for (const l of deps.listeners) await l.onCallsChanged?.(tx, changes);
    for (const w of work) await applySideEffects(tx, deps, w);
    return [...work.map((w) => w.event.id), ...gone];
  });
}

/**
 * One batch: per event id, true when the batch dealt with it (processed, failed for an unreadable
 * shape, or no longer pending) and false when it must be processed alone.
 */
async function processBatch(deps: ProcessDeps, ids: string[]): Promise<boolean[]> {
  const unique = [...new Set(ids)];
  metrics.eventBatchEvents.observe(unique.length);
  const events = await deps.db
    .select()
    .from(webhookEvents)
    .where(and(sql`${webhookEvents.id} = any(${pgArray(unique)}::uuid[])`, eq(webhookEvents.status, 'pending')));
  const found = new Set(events.map((e) => e.id));
  const handled = new Set(unique.filter((id) => !found.has(id)));
  const work: Parsed[] = [];
  for (const event of events) {
    let parsed: ParsedDelivery | null | 'fetch';
    try {
      parsed = await parseEvent(deps, event, false);
    } catch {
      continue; // processed alone, where the error takes its usual course
    }
    // What the delivery points at is fetched from the provider when it is processed alone, outside
    // the batches: a provider taking seconds to answer holds no other event.
    if (parsed === 'fetch') continue;
    if (parsed) work.push({ event, parsed });
    else handled.add(event.id);
  }
  if (work.length > 0) {
    try {
      for (const id of await applyInTransaction(deps, work)) handled.add(id);
    } catch (err) {
      deps.logger.debug({ events: work.length, err: (err as Error).message }, 'batch failed; its events are processed one by one');
    }
  }
  return ids.map((id) => handled.has(id));
}

/** One event alone, in its own transaction: the path of an event whose batch failed. */
async function processOne(deps: ProcessDeps, eventId: string, job: { attempt: number }): Promise<void> {
  const { db, logger } = deps;
  const [event] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId)).limit(1);
  if (!event || event.status !== 'pending') return;
  const parsed = await parseEvent(deps, event, true);
  if (!parsed || parsed === 'fetch') return;
  try {
    await applyInTransaction(deps, [{ event, parsed }]);
  } catch (err) {
    // Out of retries: mark it failed (visible, reprocessable) rather than leave it pending forever.
    // If the database is what failed, this throws too: the event stays pending for the sweeper.
    if (job.attempt >= settings.attempts || err instanceof DeliveryShapeError) {
      await db
        .update(webhookEvents)
        .set({ status: 'failed', error: (err as Error).message.slice(0, 2000), attempts: sql`${webhookEvents.attempts} + 1` })
        .where(eq(webhookEvents.id, eventId));
      logger.error({ eventId, err: (err as Error).message }, 'event failed for good');
      return;
    }
    throw err;
  }
}
