import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
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
    const [row] = await this.db.select().from(tenants).where(eq(tenants.apiKeyHash, hash)).limit(1);
    const tenant = row ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { tenant, at: Date.now() });
    return tenant;
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
