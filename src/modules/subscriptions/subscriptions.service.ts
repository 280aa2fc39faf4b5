/**
 * Outbound webhooks to CRMs, per the Standard Webhooks spec (https://www.standardwebhooks.com):
 * `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 with the subscription's
 * `whsec_` secret), retried with backoff, every attempt visible in the delivery log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, isNull, lte, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import type { Database, Tx } from '../../db/client.js';
import { deliveries, subscriptions, type DeliveryRow, type SubscriptionRow } from '../../db/schema/index.js';
import type { SecretBox } from '../../lib/crypto.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { CallChange, CallChangeListener } from '../calls/recompute.js';
import { callView } from '../calls/calls.view.js';
import { isUuid } from '../../lib/ids.js';
import { metrics } from '../../lib/metrics.js';

export const subscriptionEvents = ['call.enriched', 'alert.raised'] as const;

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


export function subscriptionView(s: SubscriptionRow) {
  return { id: s.id, url: s.url, events: s.events, createdAt: s.createdAt.toISOString() };
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
    /** Seconds per retry step; tests shrink it. */
    private readonly retryScale = 1,
  ) {}

  async create(tenantId: string, input: z.infer<typeof createSubscriptionBody>) {
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
    await this.db.update(subscriptions).set({ deletedAt: new Date() }).where(eq(subscriptions.id, id));
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

  /** Outbox write, inside the transaction that made the change. */
  async emit(tx: Tx, tenantId: string, eventType: (typeof subscriptionEvents)[number], payloads: Record<string, unknown>[]): Promise<void> {
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
        })),
      ),
    );
  }

  /** call.enriched: a call that has ended (or changed after it ended) goes to the CRMs. */
  listener(): CallChangeListener {
    return {
      onCallsChanged: async (tx: Tx, changes: CallChange[]) => {
        const ended = changes.filter((c) => c.after.status !== 'in_progress');
        for (const tenantId of new Set(ended.map((c) => c.tenantId))) {
          await this.emit(
            tx,
            tenantId,
            'call.enriched',
            ended.filter((c) => c.tenantId === tenantId).map((c) => callView(c.after)),
          );
        }
      },
    };
  }

  async due(limit = 200): Promise<string[]> {
    const rows = await this.db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.status, 'pending'), lte(deliveries.nextAttemptAt, new Date())))
      .orderBy(asc(deliveries.nextAttemptAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  async pendingFor(tenantId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(deliveries)
      .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.status, 'pending'), lte(deliveries.nextAttemptAt, new Date())));
    return row?.n ?? 0;
  }

  /** One attempt. Never throws for the receiver's failures: they are recorded and rescheduled. */
  async deliver(deliveryId: string, fetchImpl: typeof fetch = fetch): Promise<void> {
    const [d] = await this.db.select().from(deliveries).where(eq(deliveries.id, deliveryId)).limit(1);
    if (!d || d.status !== 'pending') return;
    const [sub] = await this.db.select().from(subscriptions).where(eq(subscriptions.id, d.subscriptionId)).limit(1);
    if (!sub || sub.deletedAt) {
      await this.db.update(deliveries).set({ status: 'failed', lastError: 'subscription deleted', updatedAt: new Date() }).where(eq(deliveries.id, d.id));
      return;
    }
    const body = JSON.stringify(d.payload);
    const timestamp = new Date();
    const signature = new Webhook(this.box.decrypt(sub.secretSealed)).sign(d.id, timestamp, body);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetchImpl(sub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'callroi-webhooks/1',
          'webhook-id': d.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(15_000),
        redirect: 'manual',
      });
      statusCode = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `receiver answered ${res.status}`;
    } catch (err) {
      error = (err as Error).message.slice(0, 500);
    }
    const attempts = d.attempts + 1;
    if (!error) {
      await this.db
        .update(deliveries)
        .set({ status: 'delivered', attempts, lastStatusCode: statusCode, lastError: null, deliveredAt: new Date(), updatedAt: new Date() })
        .where(eq(deliveries.id, d.id));
      metrics.outboundDeliveries.inc({ outcome: 'delivered' });
      return;
    }
    const wait = RETRY_SCHEDULE_SECONDS[attempts - 1];
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
      .where(eq(deliveries.id, d.id));
  }
}
