import { randomUUID } from 'node:crypto';
import { and, eq, gt, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database } from '../../db/client.js';
import { tenants, type TenantRow } from '../../db/schema/index.js';
import { hashApiKey, newApiKey } from '../../lib/crypto.js';
import { seedDefaultTargets } from '../targets/index.js';
import { createTenantBody, effectiveSettings, patchTenantBody } from './tenants.schemas.js';

export function tenantView(t: TenantRow) {
  return {
    id: t.id,
    name: t.name,
    currency: t.currency,
    timezone: t.timezone,
    country: t.country,
    settings: effectiveSettings(t.settings),
    createdAt: t.createdAt.toISOString(),
  };
}

export class TenantsService {
  /** API key lookups are cached briefly: every API request authenticates. */
  private readonly cache = new Map<string, { tenant: TenantRow | null; at: number }>();

  constructor(private readonly db: Database) {}

  async create(input: z.infer<typeof createTenantBody>) {
    const apiKey = newApiKey();
    const row = await this.db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(tenants)
        .values({ id: randomUUID(), ...input, apiKeyHash: hashApiKey(apiKey), settings: {} })
        .returning();
      // The brief's targets, shown (not notified) from the first day.
      await seedDefaultTargets(tx, inserted!.id);
      return inserted!;
    });
    return { ...tenantView(row), apiKey };
  }

  async findByApiKey(apiKey: string): Promise<TenantRow | null> {
    const hash = hashApiKey(apiKey);
    const cached = this.cache.get(hash);
    if (cached && Date.now() - cached.at < 5_000) return cached.tenant;
    const [row] = await this.db
      .select()
      .from(tenants)
      .where(
        or(
          eq(tenants.apiKeyHash, hash),
          and(eq(tenants.previousApiKeyHash, hash), gt(tenants.previousApiKeyExpiresAt, sql`now()`)),
        ),
      )
      .limit(1);
    const tenant = row ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { tenant, at: Date.now() });
    return tenant;
  }

  /**
   * A new key; the current one keeps working for `graceSeconds` (clients switch over without an
   * outage), or stops at once with 0. Rotating again replaces that previous key. Other API processes
   * cache key lookups for up to 5 seconds, so a revocation reaches them within that.
   */
  async rotateKey(tenantId: string, graceSeconds: number): Promise<{ apiKey: string; previousKeyExpiresAt: string | null }> {
    const apiKey = newApiKey();
    const expires = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
    await this.db
      .update(tenants)
      .set({
        previousApiKeyHash: expires ? sql`${tenants.apiKeyHash}` : null,
        previousApiKeyExpiresAt: expires,
        apiKeyHash: hashApiKey(apiKey),
        updatedAt: new Date(),
      })
      .where(eq(tenants.id, tenantId));
    this.cache.clear();
    return { apiKey, previousKeyExpiresAt: expires?.toISOString() ?? null };
  }

  /** End the grace period of the key replaced by the last rotation now. */
  async revokePreviousKey(tenantId: string): Promise<void> {
    await this.db.update(tenants).set({ previousApiKeyHash: null, previousApiKeyExpiresAt: null, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
    this.cache.clear();
  }

  async get(id: string): Promise<TenantRow | null> {
    const [row] = await this.db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
    return row ?? null;
  }

  async update(tenant: TenantRow, patch: z.infer<typeof patchTenantBody>): Promise<TenantRow> {
    const settings = patch.settings ? { ...tenant.settings, ...patch.settings } : tenant.settings;
    const [row] = await this.db
      .update(tenants)
      .set({
        ...(patch.name ? { name: patch.name } : {}),
        ...(patch.timezone ? { timezone: patch.timezone } : {}),
        ...(patch.country ? { country: patch.country } : {}),
        settings,
        updatedAt: new Date(),
      })
      .where(eq(tenants.id, tenant.id))
      .returning();
    this.cache.clear();
    return row!;
  }
}
