/**
 * Outbound webhooks to CRMs, per the Standard Webhooks spec (https://www.standardwebhooks.com):
 * `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 with the subscription's
 * `whsec_` secret), retried with backoff, every attempt visible in the delivery log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { queryRows, type Database, type Tx } from '../../db/client.js';
import { calls, deliveries, subscriptions, type DeliveryRow, type SubscriptionRow } from '../../db/schema/index.js';
import type { SecretBox } from '../../lib/crypto.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { OutboundRefusedError, type OutboundGuard } from '../../lib/outbound/index.js';
import type { CallChange, CallChangeListener } from '../calls/index.js';
import { callView } from '../calls/index.js';
import { isUuid } from '../../lib/ids.js';
import { metrics } from '../../lib/metrics.js';

export const subscriptionEvents = ['call.enriched', 'deal.attributed', 'alert.raised', 'alert.resolved', 'report.ready'] as const;
export type SubscriptionEvent = (typeof subscriptionEvents)[number];

/**
 * At most one delivery per subscription and coalesce key (a call, a deal) this often: changes that
 * come faster wait in the outbox, and only the newest is sent, with the latest state.
 */
export const COALESCE_SECONDS = 5;

/**
 * Outbox write, inside the transaction that made the change (the one way every area emits). With
 * `coalesceKeyOf`, a row per payload is appended (never updated: no event transaction waits on
 * another's row); the deliverer sends only the newest row of a key (src: deliver below).
 */
export async function writeOutbox(
  tx: Tx,
  tenantId: string,
  eventType: SubscriptionEvent,
  payloads: Record<string, unknown>[],
  coalesceKeyOf?: (data: Record<string, unknown>) => string,
): Promise<void> {
  if (payloads.length === 0) return;
  const subs = await tx
    .select({ id: subscriptions.id, events: subscriptions.events })
    .from(subscriptions)
    .where(and(eq(subscriptions.tenantId, tenantId), isNull(subscriptions.deletedAt)));
  const targets = subs.filter((s) => s.events.includes(eventType));
  if (targets.length === 0) return;
  await tx.insert(deliveries).values(
    targets.flatMap((s) =>
      payloads.map((data) => ({
        id: randomUUID(),
        tenantId,
        subscriptionId: s.id,
        eventType,
        payload: { type: eventType, timestamp: new Date().toISOString(), data },
        coalesceKey: coalesceKeyOf ? coalesceKeyOf(data) : null,
      })),
    ),
  );
}

/** Whether a live subscription of the tenant takes `eventType` (emitters skip building payloads nobody takes). */
export async function subscribedTo(tx: Tx, tenantId: string, eventType: SubscriptionEvent): Promise<boolean> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`select count(*)::int as n from subscriptions where tenant_id = ${tenantId} and deleted_at is null and events ? ${eventType}`,
  );
  return (row?.n ?? 0) > 0;
}

/** call.enriched for these calls, as they are now in the transaction (one row per call, coalesced per call). */
export async function emitCallsEnriched(tx: Tx, tenantId: string, callIds: readonly string[]): Promise<void> {
  if (callIds.length === 0 || !(await subscribedTo(tx, tenantId, 'call.enriched'))) return;
  const rows = await tx.select().from(calls).where(and(eq(calls.tenantId, tenantId), inArray(calls.id, [...callIds])));
  await writeOutbox(tx, tenantId, 'call.enriched', rows.filter((r) => r.status !== 'in_progress').map((r) => callView(r)), callKey);
}

const callKey = (data: Record<string, unknown>) => `call:${String(data.id)}`;

export const createSubscriptionBody = z
  .object({
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000),
    events: z.array(z.enum(subscriptionEvents)).min(1).max(subscriptionEvents.length),
  })
  .strict();

/** Seconds to wait after each failed attempt (the spec's suggested schedule); then `failed`. */
export const RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000];
/** A receiver gets this long to answer one delivery. */
const DELIVERY_TIMEOUT_MS = 15_000;
/**
 * Failed attempts in a row (over all of a subscription's deliveries, no success between) after which
 * the endpoint is paused, as Svix disables a failing endpoint: its deliveries wait, nothing is
 * dropped, and it stops taking worker time from every other tenant until it is resumed.
 */
export const PAUSE_AFTER_FAILURES = 20;
/**
 * Fair claim: each sweep takes at most this many due deliveries per subscription and per tenant, and
 * gives the n-th of each tenant priority n, so tenants' deliveries interleave in the queue (a round
 * robin) however large one tenant's backlog is.
 */
export const DUE_PER_TENANT = 10;


export function subscriptionView(s: SubscriptionRow) {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    status: s.pausedAt ? ('paused' as const) : ('active' as const),
    pausedAt: s.pausedAt?.toISOString() ?? null,
    pausedReason: s.pausedReason ?? null,
    createdAt: s.createdAt.toISOString(),
  };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    payload: d.payload,
  };
}

export class SubscriptionsService {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly logger: Logger,
    private readonly outbound: OutboundGuard,
    /** Seconds per retry step; tests shrink it. */
    private readonly retryScale = 1,
  ) {
    this.post = outbound.fetch({ timeoutMs: DELIVERY_TIMEOUT_MS });
  }

  /** The guarded fetch deliveries use (checked again at connect time, whatever creation said). */
  private readonly post: typeof fetch;

  async create(tenantId: string, input: z.infer<typeof createSubscriptionBody>) {
    // The hub will POST there on the tenant's behalf: no loopback, private or metadata targets.
    const refused = await this.outbound.vet(input.url);
    if (refused) {
      throw new ValidationError([{ path: 'body.url', message: refused }], `This URL cannot receive webhooks: ${refused}.`);
    }
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const [row] = await this.db
      .insert(subscriptions)
      .values({ id: randomUUID(), tenantId, url: input.url, events: [...new Set(input.events)], secretSealed: this.box.encrypt(secret) })
      .returning();
    // The secret is shown once, like an API key; it is stored sealed.
    return { ...subscriptionView(row!), secret };
  }

  async list(tenantId: string) {
    const rows = await this.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.tenantId, tenantId), isNull(subscriptions.deletedAt)))
      .orderBy(subscriptions.createdAt);
    return rows.map(subscriptionView);
  }

  async get(tenantId: string, id: string): Promise<SubscriptionRow> {
    const [row] = isUuid(id)
      ? await this.db
          .select()
          .from(subscriptions)
          .where(and(eq(subscriptions.tenantId, tenantId), eq(subscriptions.id, id), isNull(subscriptions.deletedAt)))
          .limit(1)
      : [];
    if (!row) throw new NotFoundError('Subscription');
    return row;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.db.transaction(async (tx) => {
      await tx.update(subscriptions).set({ deletedAt: new Date() }).where(eq(subscriptions.id, id));
      // Nothing will claim them any more: close them now, so they are not counted as pending.
      await tx
        .update(deliveries)
        .set({ status: 'failed', lastError: 'subscription deleted', updatedAt: new Date() })
        .where(and(eq(deliveries.subscriptionId, id), eq(deliveries.status, 'pending')));
    });
  }

  /** A paused endpoint takes deliveries again: its waiting deliveries are due now. */
  async resume(tenantId: string, id: string): Promise<SubscriptionRow> {
    await this.get(tenantId, id);
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(subscriptions)
        .set({ pausedAt: null, pausedReason: null, consecutiveFailures: 0, updatedAt: new Date() })
        .where(eq(subscriptions.id, id))
        .returning();
      await tx
        .update(deliveries)
        .set({ nextAttemptAt: new Date(), updatedAt: new Date() })
        .where(and(eq(deliveries.subscriptionId, id), eq(deliveries.status, 'pending')));
      return row!;
    });
  }

  async deliveryLog(tenantId: string, id: string, limit: number) {
    await this.get(tenantId, id);
    const rows = await this.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.subscriptionId, id))
      .orderBy(desc(deliveries.createdAt))
      .limit(limit);
    return rows.map(deliveryView);
  }

  /** Outbox write, inside the transaction that made the change (./writeOutbox). */
  async emit(tx: Tx, tenantId: string, eventType: SubscriptionEvent, payloads: Record<string, unknown>[]): Promise<void> {
    await writeOutbox(tx, tenantId, eventType, payloads);
  }

  /** call.enriched: a call that has ended (or changed after it ended) goes to the CRMs. */
  listener(): CallChangeListener {
    return {
      onCallsChanged: async (tx: Tx, changes: CallChange[]) => {
        const ended = changes.filter((c) => c.after.status !== 'in_progress');
        for (const tenantId of new Set(ended.map((c) => c.tenantId))) {
          await writeOutbox(
            tx,
            tenantId,
            'call.enriched',
            ended.filter((c) => c.tenantId === tenantId).map((c) => callView(c.after)),
            callKey,
          );
        }
      },
    };
  }

  /**
   * Due deliveries, a few per active subscription and per tenant, each with its round within its
   * tenant (1, 2, …): enqueued with that priority, the first due delivery of every tenant runs before
   * the second of any. Reads O(active subscriptions × DUE_PER_TENANT) rows whatever the backlog.
   */
  async due(limit = 500, perTenant = DUE_PER_TENANT): Promise<{ id: string; round: number }[]> {
    return queryRows<{ id: string; round: number }>(
      this.db,
      sql`select id, round from (
            select d.id, d.next_attempt_at,
                   row_number() over (partition by s.tenant_id order by d.rn, d.next_attempt_at)::int as round
            from subscriptions s
            cross join lateral (
              select d.id, d.next_attempt_at, row_number() over (order by d.next_attempt_at) as rn
              from deliveries d
              where d.subscription_id = s.id and d.status = 'pending' and d.next_attempt_at <= now()
              order by d.next_attempt_at
              limit ${perTenant}
            ) d
            where s.deleted_at is null and s.paused_at is null
          ) x
          where round <= ${perTenant}
          order by round, next_attempt_at
          limit ${limit}`,
    );
  }

  /**
   * Deliveries of the tenant due now (GET /v1/status), and those held back a few seconds by the
   * per-call spacing before their first attempt (they are the latest news of a call, not a retry);
   * a paused endpoint's wait for its resume.
   */
  async pendingFor(tenantId: string): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.db,
      sql`select count(*)::int as n from (
            select 1 from deliveries d join subscriptions s on s.id = d.subscription_id
            where d.tenant_id = ${tenantId} and d.status = 'pending' and (d.next_attempt_at <= now() or (d.coalesce_key is not null and d.attempts = 0))
              and s.paused_at is null and s.deleted_at is null
            limit 10000) x`,
    );
    return row?.n ?? 0;
  }

  /**
   * A coalesced row's turn (one subscription, one call or deal), under a lock of that pair: a newer
   * pending row of the pair supersedes this one (it carries later state); older pending rows are
   * superseded by this one; an attempt of the pair less than COALESCE_SECONDS ago postpones it. A
   * call.enriched row is sent with the call as it is now. Returns the payload to send, or null.
   */
  private async claimCoalesced(d: DeliveryRow): Promise<Record<string, unknown> | null> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`delivery/${d.subscriptionId}/${d.coalesceKey}`}, 0))`);
      const pending = await tx
        .select({ id: deliveries.id, createdAt: deliveries.createdAt })
        .from(deliveries)
        .where(and(eq(deliveries.subscriptionId, d.subscriptionId), eq(deliveries.coalesceKey, d.coalesceKey!), eq(deliveries.status, 'pending')))
        .orderBy(desc(deliveries.createdAt), desc(deliveries.id));
      const newest = pending[0];
      if (!newest) return null; // delivered or closed meanwhile
      const now = new Date();
      if (newest.id !== d.id) {
        if (pending.some((p) => p.id === d.id)) {
          await tx.update(deliveries).set({ status: 'superseded', lastError: `superseded by ${newest.id}`, updatedAt: now }).where(eq(deliveries.id, d.id));
        }
        return null;
      }
      const older = pending.slice(1).map((p) => p.id);
      if (older.length > 0) {
        await tx.update(deliveries).set({ status: 'superseded', lastError: `superseded by ${d.id}`, updatedAt: now }).where(inArray(deliveries.id, older));
      }
      const [last] = await queryRows<{ at: string | null }>(
        tx,
        sql`select max(sent_at)::text as at from deliveries where subscription_id = ${d.subscriptionId} and coalesce_key = ${d.coalesceKey}`,
      );
      const notBefore = last?.at ? new Date(new Date(last.at).getTime() + COALESCE_SECONDS * 1000) : null;
      if (notBefore && notBefore > now) {
        await tx.update(deliveries).set({ nextAttemptAt: notBefore, updatedAt: now }).where(eq(deliveries.id, d.id));
        return null;
      }
      let payload = d.payload;
      if (d.eventType === 'call.enriched' && typeof (d.payload.data as { id?: unknown } | undefined)?.id === 'string') {
        const [call] = await tx.select().from(calls).where(eq(calls.id, (d.payload.data as { id: string }).id)).limit(1);
        // The latest state of the call (a call folded into another since keeps what was written).
        if (call) payload = { ...d.payload, data: callView(call) };
      }
      await tx.update(deliveries).set({ sentAt: now, payload, updatedAt: now }).where(eq(deliveries.id, d.id));
      return payload;
    });
  }

  /** One attempt. Never throws for the receiver's failures: they are recorded and rescheduled. */
  async deliver(deliveryId: string): Promise<void> {
    const [d] = await this.db.select().from(deliveries).where(eq(deliveries.id, deliveryId)).limit(1);
    if (!d || d.status !== 'pending') return;
    const [sub] = await this.db.select().from(subscriptions).where(eq(subscriptions.id, d.subscriptionId)).limit(1);
    if (!sub || sub.deletedAt) {
      await this.db.update(deliveries).set({ status: 'failed', lastError: 'subscription deleted', updatedAt: new Date() }).where(eq(deliveries.id, d.id));
      return;
    }
    // Queued before the pause: it waits with the others.
    if (sub.pausedAt) return;
    const payload = d.coalesceKey ? await this.claimCoalesced(d) : d.payload;
    if (!payload) return;
    const body = JSON.stringify(payload);
    const timestamp = new Date();
    const signature = new Webhook(this.box.decrypt(sub.secretSealed)).sign(d.id, timestamp, body);
    let statusCode: number | null = null;
    let error: string | null = null;
    let refused = false;
    try {
      const res = await this.post(sub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'callroi-webhooks/1',
          'webhook-id': d.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
        // A redirect is the receiver's answer, not an invitation to go elsewhere.
        redirect: 'manual',
      });
      statusCode = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `receiver answered ${res.status}`;
    } catch (err) {
      refused = err instanceof OutboundRefusedError;
      error = (err as Error).message.slice(0, 500);
    }
    const attempts = d.attempts + 1;
    if (!error) {
      await this.db
        .update(deliveries)
        .set({ status: 'delivered', attempts, lastStatusCode: statusCode, lastError: null, deliveredAt: new Date(), updatedAt: new Date() })
        // Still pending: a subscription deleted meanwhile has closed it, and it stays closed.
        .where(and(eq(deliveries.id, d.id), eq(deliveries.status, 'pending')));
      if (sub.consecutiveFailures > 0) await this.db.update(subscriptions).set({ consecutiveFailures: 0 }).where(eq(subscriptions.id, sub.id));
      metrics.outboundDeliveries.inc({ outcome: 'delivered' });
      return;
    }
    const [counted] = await this.db
      .update(subscriptions)
      .set({ consecutiveFailures: sql`${subscriptions.consecutiveFailures} + 1` })
      .where(eq(subscriptions.id, sub.id))
      .returning({ failures: subscriptions.consecutiveFailures, pausedAt: subscriptions.pausedAt });
    if (counted && counted.failures >= PAUSE_AFTER_FAILURES && !counted.pausedAt && !refused) {
      const reason = `paused after ${counted.failures} failed attempts in a row (last: ${error}); POST /v1/subscriptions/${sub.id}/resume to deliver again`;
      await this.db.update(subscriptions).set({ pausedAt: new Date(), pausedReason: reason.slice(0, 1000), updatedAt: new Date() }).where(eq(subscriptions.id, sub.id));
      this.logger.warn({ subscriptionId: sub.id, tenantId: sub.tenantId, failures: counted.failures }, 'webhook endpoint paused');
      error = `${error}; endpoint ${reason}`.slice(0, 1000);
    }
    // A refused target stays refused: failed at once, the reason in the delivery log.
    const wait = refused ? undefined : RETRY_SCHEDULE_SECONDS[attempts - 1];
    metrics.outboundDeliveries.inc({ outcome: wait === undefined ? 'failed' : 'retry' });
    this.logger.info({ deliveryId: d.id, attempts, error }, 'webhook delivery failed');
    await this.db
      .update(deliveries)
      .set({
        status: wait === undefined ? 'failed' : 'pending',
        attempts,
        lastStatusCode: statusCode,
        lastError: error,
        nextAttemptAt: new Date(Date.now() + (wait ?? 0) * 1000 * this.retryScale),
        updatedAt: new Date(),
      })
      .where(and(eq(deliveries.id, d.id), eq(deliveries.status, 'pending')));
  }
}
