/**
 * process-event: stored deliveries → call events → the calls they touch.
 *
 * The jobs a worker runs at the same time are gathered into batches (src/lib/micro-batch.ts): one
 * transaction stores the events of the whole batch, recomputes each touched call ONCE (a call's
 * several callbacks usually arrive together), runs the call listeners once over every change, and
 * marks the events processed with one UPDATE. Per-event round trips to PostgreSQL were the worker's
 * cost (see BENCHMARKS.md, process section). Call locks are taken in one global order, so two
 * batches never wait on each other in a cycle. If a batch's transaction fails, each of its events
 * is processed again alone, exactly as before batching, so one bad event never holds the others and
 * BullMQ's per-job retries and failure marking stay per event.
 * A worker killed mid-job rolls the transaction back; the events stay `pending` and are taken again
 * (BullMQ stalled-job recovery, or the sweeper).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { ZodError } from 'zod';
import { connectorFor, DeliveryShapeError, type ProviderId } from '../../../connectors/index.js';
import type { Database, Tx } from '../../db/client.js';
import { connections, tenants, webhookEvents } from '../../db/schema/index.js';
import type { Logger } from '../../lib/logger.js';
import { recomputeCall, storeCallEvents, type CallChange, type CallChangeListener } from '../../modules/calls/recompute.js';
import type { PresenceSink } from '../../modules/calls/presence.js';
import type { ConnectionsService } from '../../modules/connections/connections.service.js';
import { MicroBatcher } from '../../lib/micro-batch.js';
import { queueSettings, type Processor } from '../definitions.js';

interface ProcessDeps {
  db: Database;
  logger: Logger;
  listeners: CallChangeListener[];
  presence: PresenceSink;
  connections: ConnectionsService;
}

/** Largest batch: bounded so one transaction's locks and statement sizes stay small. */
const BATCH_MAX_EVENTS = 64;
/** How long the first job of a batch waits for others (they arrive together from one enqueue). */
const BATCH_WAIT_MS = 3;

function isShapeError(err: unknown): boolean {
  return err instanceof DeliveryShapeError || err instanceof ZodError || err instanceof SyntaxError;
}

type Parsed = ReturnType<ReturnType<typeof connectorFor>['parse']>;

/**
 * One batch: returns, per event id, true when the batch dealt with it (processed, marked failed for
 * an unreadable shape, or no longer pending) and false when it must be processed alone.
 */
async function processBatch(deps: ProcessDeps, ids: string[]): Promise<boolean[]> {
  const { db, logger } = deps;
  const unique = [...new Set(ids)];
  const events = await db
    .select()
    .from(webhookEvents)
    .where(and(inArray(webhookEvents.id, unique), eq(webhookEvents.status, 'pending')));
  const handled = new Set(unique.filter((id) => !events.some((e) => e.id === id)));
  const work: { event: (typeof events)[number]; parsed: Parsed }[] = [];
  for (const event of events) {
    try {
      const connection = await deps.connections.forWebhook(event.provider, event.connectionId);
      const parsed = connectorFor(event.provider as ProviderId).parse(
        { rawBody: event.body, headers: event.headers, query: event.query, receivedAt: event.receivedAt },
        connection?.credentials,
      );
      work.push({ event, parsed });
    } catch (err) {
      if (!isShapeError(err)) continue; // processed alone, where the error takes its usual course
      await markShapeFailed(deps, event.id, event.provider, err as Error);
      handled.add(event.id);
    }
  }
  if (work.length > 0) {
    try {
      await db.transaction(async (tx) => {
        const tenantIds = [...new Set(work.map((w) => w.event.tenantId))];
        const tenantRows = await tx.select().from(tenants).where(inArray(tenants.id, tenantIds));
        const tenantById = new Map(tenantRows.map((t) => [t.id, t]));
        // A vanished tenant is a per-event failure: leave those events to the single path.
        const live = work.filter((w) => tenantById.has(w.event.tenantId));
        const byConnection = new Map<string, { tenantId: string; provider: ProviderId; events: Parsed['calls'] }>();
        for (const { event, parsed } of live) {
          const entry = byConnection.get(event.connectionId) ?? { tenantId: event.tenantId, provider: event.provider as ProviderId, events: [] };
          entry.events.push(...parsed.calls);
          byConnection.set(event.connectionId, entry);
        }
        // One global order for every row and lock this transaction takes.
        const connectionIds = [...byConnection.keys()].sort();
        for (const connectionId of connectionIds) {
          const entry = byConnection.get(connectionId)!;
          entry.events.sort((a, b) => (a.callKey + '\u0000' + a.key < b.callKey + '\u0000' + b.key ? -1 : 1));
          await storeCallEvents(tx, entry.tenantId, connectionId, entry.events);
        }
        // Listeners' enrich runs per call inside recomputeCall; their change hooks run once below.
        const enrichOnly = deps.listeners.filter((l) => l.enrich).map((l) => ({ enrich: l.enrich!.bind(l) }));
        const changes: CallChange[] = [];
        for (const connectionId of connectionIds) {
          const entry = byConnection.get(connectionId)!;
          const tenant = tenantById.get(entry.tenantId)!;
          for (const callKey of [...new Set(entry.events.map((e) => e.callKey))].sort()) {
            const change = await recomputeCall(tx, tenant, { id: connectionId, provider: entry.provider }, callKey, enrichOnly);
            if (change) changes.push(change);
          }
        }
        if (changes.length > 0) for (const l of deps.listeners) await l.onCallsChanged?.(tx, changes);
        for (const { event, parsed } of live) await applySideEffects(tx, deps, event, parsed);
        const liveIds = live.map((w) => w.event.id);
        await tx
          .update(webhookEvents)
          .set({ status: 'processed', error: null, attempts: sql`${webhookEvents.attempts} + 1`, processedAt: new Date() })
          .where(inArray(webhookEvents.id, liveIds));
        for (const id of liveIds) handled.add(id);
      });
    } catch (err) {
      for (const { event } of work) handled.delete(event.id);
      logger.debug({ events: work.length, err: (err as Error).message }, 'batch failed; its events are processed one by one');
    }
  }
  return ids.map((id) => handled.has(id));
}

async function markShapeFailed(deps: ProcessDeps, eventId: string, provider: string, err: Error): Promise<void> {
  // Valid delivery, unreadable shape: keep it, visible and reprocessable after a fix.
  await deps.db
    .update(webhookEvents)
    .set({ status: 'failed', error: err.message.slice(0, 2000), attempts: sql`${webhookEvents.attempts} + 1`, processedAt: new Date() })
    .where(eq(webhookEvents.id, eventId));
  deps.logger.warn({ eventId, provider, err: err.message }, 'delivery shape not understood');
}

/** What a delivery says besides its calls: the connection's state and agents' presence. */
async function applySideEffects(
  tx: Tx,
  deps: ProcessDeps,
  event: { tenantId: string; connectionId: string; provider: string },
  parsed: Parsed,
): Promise<void> {
  if (parsed.connectionState) {
    // Written only when it changes: this row is shared by every event of the connection.
    await tx
      .update(connections)
      .set({ state: sql`${connections.state} || ${JSON.stringify(parsed.connectionState)}::jsonb` })
      .where(and(eq(connections.id, event.connectionId), sql`not (${connections.state} @> ${JSON.stringify(parsed.connectionState)}::jsonb)`));
  }
  if (parsed.presence.length > 0) await deps.presence.record(tx, event.tenantId, event.connectionId, event.provider as ProviderId, parsed.presence);
}

export function processEventProcessor(deps: ProcessDeps): Processor<'process-event'> {
  const batcher = new MicroBatcher<string, boolean>((ids) => processBatch(deps, ids), BATCH_MAX_EVENTS, BATCH_WAIT_MS);
  return async ({ eventId }, job) => {
    if (await batcher.submit(eventId)) return;
    await processOne(deps, eventId, job);
  };
}

/** One event alone, in its own transaction: the path of an event whose batch failed. */
async function processOne(deps: ProcessDeps, eventId: string, job: { attempt: number }): Promise<void> {
  const { db, logger } = deps;
  const [event] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId)).limit(1);
  if (!event || event.status !== 'pending') return;
  const provider = event.provider as ProviderId;
  const connector = connectorFor(provider);

  let parsed;
  try {
    const connection = await deps.connections.forWebhook(provider, event.connectionId);
    parsed = connector.parse(
      { rawBody: event.body, headers: event.headers, query: event.query, receivedAt: event.receivedAt },
      connection?.credentials,
    );
  } catch (err) {
    if (isShapeError(err)) return markShapeFailed(deps, eventId, provider, err as Error);
    throw err;
  }

  try {
    await db.transaction(async (tx) => {
      const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, event.tenantId)).limit(1);
      if (!tenant) throw new DeliveryShapeError('tenant no longer exists');
      await storeCallEvents(tx, event.tenantId, event.connectionId, parsed.calls);
      const keys = [...new Set(parsed.calls.map((e) => e.callKey))].sort();
      for (const callKey of keys) {
        await recomputeCall(tx, tenant, { id: event.connectionId, provider }, callKey, deps.listeners);
      }
      await applySideEffects(tx, deps, event, parsed);
      await tx
        .update(webhookEvents)
        .set({ status: 'processed', error: null, attempts: sql`${webhookEvents.attempts} + 1`, processedAt: new Date() })
        .where(eq(webhookEvents.id, eventId));
    });
  } catch (err) {
    // Out of retries: mark it failed (visible, reprocessable) rather than leave it pending forever.
    if (job.attempt >= queueSettings['process-event'].attempts || err instanceof DeliveryShapeError) {
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
