import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { connectorFor, providerIds, type ProviderId } from '../../../connectors/index.js';
import type { Database } from '../../db/client.js';
import { backfills, connections, webhookEvents, type BackfillRow, type ConnectionRow } from '../../db/schema/index.js';
import { backfillPriority } from '../../jobs/fairness.js';
import type { ConnectorContextFactory } from '../../jobs/context.js';
import type { SecretBox } from '../../lib/crypto.js';
import { AppError, BadRequestError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { assessHealth, uncheckedHealth, type HealthVerdict } from './health.js';
import { isUuid } from '../../lib/ids.js';

export const createConnectionBody = z
  .object({
    provider: z.enum(providerIds),
    name: z.string().trim().min(1).max(200).optional(),
    credentials: z.record(z.string(), z.unknown()),
  })
  .strict();

/** Rename, and rotate or complete credentials: the given fields replace the stored ones, the others
 *  stay (an Aircall webhook token can be added alone). The id and the webhook URL never change. */
export const updateConnectionBody = z
  .object({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.credentials !== undefined, { message: 'give name or credentials' });

/** `?verify=true`: ask the provider before storing (create and update). */
export const verifyQuery = z.object({ verify: z.enum(['true', 'false']).optional() }).strict();

/** How long this process trusts a cached webhook connection (credentials rotated elsewhere, deletions). */
const WEBHOOK_CACHE_MS = 10_000;

/** How often a connection's lastEventAt is written at most (per process): deliveries come in bursts. */
const SEEN_EVERY_MS = 60_000;

export interface WebhookConnection {
  id: string;
  tenantId: string;
  provider: ProviderId;
  credentials: unknown;
}


export class ConnectionsService {
  /** Webhook hot path: a connection and its decrypted credentials, cached for a few seconds. */
  private readonly cache = new Map<string, { value: WebhookConnection | null; at: number }>();
  /** Loads of forWebhook under way, by id. */
  private readonly loading = new Map<string, Promise<WebhookConnection | null>>();
  /** When this process last wrote each connection's lastEventAt. */
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly publicBaseUrl: string,
  ) {}

  webhookUrl(c: Pick<ConnectionRow, 'provider' | 'id'>): string {
    return `${this.publicBaseUrl}/webhooks/${c.provider}/${c.id}`;
  }

  view(c: ConnectionRow) {
    return {
      id: c.id,
      provider: c.provider,
      name: c.name,
      webhookUrl: this.webhookUrl(c),
      health: c.health,
      healthDetail: c.healthDetail ?? null,
      healthCheckedAt: c.healthCheckedAt?.toISOString() ?? null,
      lastEventAt: c.lastEventAt?.toISOString() ?? null,
      createdAt: c.createdAt.toISOString(),
    };
  }

  private parseCredentials(provider: ProviderId, credentials: unknown): unknown {
    const parsed = connectorFor(provider).credentials.safeParse(credentials);
    if (!parsed.success) {
      throw new ValidationError(
        parsed.error.issues.map((i) => ({ path: ['body', 'credentials', ...i.path.map(String)].join('.'), message: i.message })),
        `The credentials are not valid for ${provider}.`,
      );
    }
    return parsed.data;
  }

  /** With `verify`, the provider is asked first: credentials it refuses are not stored (422). */
  private async initialHealth(provider: ProviderId, creds: unknown, verify: ConnectorContextFactory | null): Promise<HealthVerdict> {
    if (!verify) return uncheckedHealth(provider, creds);
    const verdict = await assessHealth(provider, creds, verify(provider), null);
    if (verdict.health === 'invalid_credentials') {
      throw new AppError(422, 'invalid_credentials', `${provider} refused the credentials: ${String(verdict.detail.message)}`, {
        providerStatus: verdict.detail.providerStatus,
        providerAnswer: verdict.detail.providerAnswer,
      });
    }
    return verdict;
  }

  async create(tenantId: string, input: z.infer<typeof createConnectionBody>, verify: ConnectorContextFactory | null = null) {
    const creds = this.parseCredentials(input.provider, input.credentials);
    const health = await this.initialHealth(input.provider, creds, verify);
    const [row] = await this.db
      .insert(connections)
      .values({
        id: randomUUID(),
        tenantId,
        provider: input.provider,
        name: input.name ?? null,
        credentialsSealed: this.box.encrypt(JSON.stringify(creds)),
        health: health.health,
        healthDetail: health.detail,
        healthCheckedAt: verify ? new Date() : null,
      })
      .returning();
    return row!;
  }

  async update(tenantId: string, id: string, input: z.infer<typeof updateConnectionBody>, verify: ConnectorContextFactory | null = null) {
    const row = await this.get(tenantId, id);
    const provider = row.provider as ProviderId;
    const set: Partial<typeof connections.$inferInsert> = { updatedAt: new Date() };
    if (input.name !== undefined) set.name = input.name;
    if (input.credentials !== undefined) {
      const creds = this.parseCredentials(provider, { ...(this.credentialsOf(row) as object), ...input.credentials });
      const health = await this.initialHealth(provider, creds, verify);
      Object.assign(set, {
        credentialsSealed: this.box.encrypt(JSON.stringify(creds)),
        health: health.health,
        healthDetail: health.detail,
        healthCheckedAt: verify ? new Date() : null,
      });
    }
    const [updated] = await this.db.update(connections).set(set).where(eq(connections.id, row.id)).returning();
    // This process's webhooks use the new secret at once; other API processes within 10 s (cache).
    this.forget(id);
    return updated!;
  }

  async list(tenantId: string): Promise<ConnectionRow[]> {
    return this.db
      .select()
      .from(connections)
      .where(and(eq(connections.tenantId, tenantId), isNull(connections.deletedAt)))
      .orderBy(connections.createdAt);
  }

  async get(tenantId: string, id: string): Promise<ConnectionRow> {
    const row = isUuid(id)
      ? (
          await this.db
            .select()
            .from(connections)
            .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id), isNull(connections.deletedAt)))
            .limit(1)
        )[0]
      : undefined;
    if (!row) throw new NotFoundError('Connection');
    return row;
  }

  /** Soft delete: its calls stay; its webhooks answer 404 from now on. */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.db.update(connections).set({ deletedAt: new Date(), updatedAt: new Date() }).where(eq(connections.id, id));
    this.forget(id);
  }

  credentialsOf(row: ConnectionRow): unknown {
    return JSON.parse(this.box.decrypt(row.credentialsSealed));
  }

  /**
   * forWebhook's answer when this process has it cached (no await on the accept path), or
   * undefined when it must be loaded. Only well-formed ids are ever cached.
   */
  cachedForWebhook(provider: string, id: string): WebhookConnection | null | undefined {
    const cached = this.cache.get(id);
    if (!cached || Date.now() - cached.at >= WEBHOOK_CACHE_MS) return undefined;
    return cached.value && cached.value.provider === provider ? cached.value : null;
  }

  async forWebhook(provider: string, id: string): Promise<WebhookConnection | null> {
    const hit = this.cachedForWebhook(provider, id);
    if (hit !== undefined) return hit;
    if (!isUuid(id)) return null;
    // Deliveries arriving together while the entry is missing or stale share one SELECT.
    let loading = this.loading.get(id);
    if (!loading) {
      const load = this.loadForWebhook(id).finally(() => {
        if (this.loading.get(id) === load) this.loading.delete(id);
      });
      this.loading.set(id, load);
      loading = load;
    }
    const value = await loading;
    return value && value.provider === provider ? value : null;
  }

  /** A changed or deleted connection: the next delivery reads it again (a load under way is not reused). */
  private forget(id: string): void {
    this.cache.delete(id);
    this.loading.delete(id);
  }

  private async loadForWebhook(id: string): Promise<WebhookConnection | null> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(eq(connections.id, id), isNull(connections.deletedAt)))
      .limit(1);
    const value: WebhookConnection | null = row
      ? { id: row.id, tenantId: row.tenantId, provider: row.provider as ProviderId, credentials: this.credentialsOf(row) }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { value, at: Date.now() });
    return value;
  }

  async listEvents(tenantId: string, connectionId: string, q: { status?: string; limit: number; before?: string }) {
    await this.get(tenantId, connectionId);
    const rows = await this.db
      .select({
        id: webhookEvents.id,
        status: webhookEvents.status,
        attempts: webhookEvents.attempts,
        error: webhookEvents.error,
        receivedAt: webhookEvents.receivedAt,
        processedAt: webhookEvents.processedAt,
        dedupeKey: webhookEvents.dedupeKey,
        body: webhookEvents.body,
      })
      .from(webhookEvents)
      .where(
        and(
          eq(webhookEvents.connectionId, connectionId),
          q.status ? eq(webhookEvents.status, q.status) : undefined,
          q.before ? lt(webhookEvents.receivedAt, new Date(q.before)) : undefined,
        ),
      )
      .orderBy(desc(webhookEvents.receivedAt))
      .limit(q.limit);
    return rows.map((r) => ({
      ...r,
      receivedAt: r.receivedAt.toISOString(),
      processedAt: r.processedAt?.toISOString() ?? null,
    }));
  }

  /** Put a failed (or processed) event back to pending; the caller enqueues it. */
  async resetEvent(tenantId: string, connectionId: string, eventId: string): Promise<string> {
    await this.get(tenantId, connectionId);
    if (!isUuid(eventId)) throw new NotFoundError('Event');
    const [row] = await this.db
      .update(webhookEvents)
      .set({ status: 'pending', error: null })
      .where(and(eq(webhookEvents.id, eventId), eq(webhookEvents.connectionId, connectionId)))
      .returning({ id: webhookEvents.id });
    if (!row) throw new NotFoundError('Event');
    return row.id;
  }

  async createBackfill(tenantId: string, connectionId: string, window: { from: Date; to: Date }, kind = 'backfill'): Promise<BackfillRow> {
    const row = await this.get(tenantId, connectionId);
    if (!connectorFor(row.provider as ProviderId).backfill) {
      throw new BadRequestError(`${row.provider} connections cannot backfill.`, undefined, 'not_supported');
    }
    const [b] = await this.db
      .insert(backfills)
      .values({ id: randomUUID(), tenantId, connectionId, kind, windowFrom: window.from, windowTo: window.to })
      .returning();
    return b!;
  }

  /** Queue priority of a backfill just created: fair across tenants (jobs/fairness.ts). */
  backfillPriority(tenantId: string): Promise<number> {
    return backfillPriority(this.db, tenantId);
  }

  async getBackfill(tenantId: string, id: string): Promise<BackfillRow> {
    const row = isUuid(id)
      ? (await this.db.select().from(backfills).where(and(eq(backfills.tenantId, tenantId), eq(backfills.id, id))).limit(1))[0]
      : undefined;
    if (!row) throw new NotFoundError('Backfill job');
    return row;
  }

  async listBackfills(tenantId: string, connectionId: string): Promise<BackfillRow[]> {
    await this.get(tenantId, connectionId);
    return this.db
      .select()
      .from(backfills)
      .where(and(eq(backfills.connectionId, connectionId), or(eq(backfills.kind, 'backfill'), eq(backfills.kind, 'reconcile'))))
      .orderBy(desc(backfills.createdAt))
      .limit(50);
  }

  /**
   * Ask the provider whether the credentials work and how the connection's webhooks are doing
   * (renewing what needs renewing), and keep the answer as its health (./health.ts).
   */
  async check(row: ConnectionRow, context: ConnectorContextFactory): Promise<ConnectionRow> {
    const provider = row.provider as ProviderId;
    const verdict = await assessHealth(provider, this.credentialsOf(row), context(provider), {
      ...row.state,
      webhookUrl: this.webhookUrl(row),
    });
    const [updated] = await this.db
      .update(connections)
      .set({ health: verdict.health, healthDetail: verdict.detail, healthCheckedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(connections.id, row.id), isNull(connections.deletedAt)))
      .returning();
    return updated ?? row;
  }

  /** The scheduled check (CONNECTION_CHECK_MINUTES): every connection, one at a time. */
  async checkAll(context: ConnectorContextFactory): Promise<number> {
    const rows = await this.db.select().from(connections).where(isNull(connections.deletedAt));
    for (const row of rows) await this.check(row, context);
    return rows.length;
  }

  async markSeen(connectionId: string): Promise<void> {
    await this.db.update(connections).set({ lastEventAt: sql`now()` }).where(eq(connections.id, connectionId));
  }

  /**
   * A delivery was stored for this connection: keep lastEventAt, written at most once a minute per
   * connection and process, never awaited by the webhook (its answer does not wait for this write).
   */
  noteDelivery(connectionId: string): void {
    const now = Date.now();
    const last = this.seenAt.get(connectionId);
    if (last !== undefined && now - last < SEEN_EVERY_MS) return;
    if (this.seenAt.size > 10_000) this.seenAt.clear();
    this.seenAt.set(connectionId, now);
    this.markSeen(connectionId).catch(() => {
      // The database is busy or down: the next delivery tries again.
      this.seenAt.delete(connectionId);
    });
  }
}

export function backfillView(b: BackfillRow) {
  return {
    jobId: b.id,
    connectionId: b.connectionId,
    kind: b.kind,
    from: b.windowFrom.toISOString(),
    to: b.windowTo.toISOString(),
    status: b.status,
    /** Attempts made; while `retrying`, the next one is scheduled (transient provider errors). */
    attempts: b.attempts,
    progress: b.progress,
    pages: b.pages,
    events: b.events,
    error: b.error,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}
