/** Targets: CRUD, the brief's defaults for a new tenant, and the lookup rows are decorated with. */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database, Executor } from '../../db/client.js';
import { targets, type TargetRow } from '../../db/schema/index.js';
import { NotFoundError } from '../../lib/errors.js';
import { createTargetBody, DEFAULT_TARGETS, patchTargetBody } from './targets.schemas.js';

export function targetView(t: TargetRow) {
  return {
    id: t.id,
    name: t.name,
    kpi: t.kpi,
    comparison: t.comparison,
    value: Number(t.value),
    scope: t.scope ?? {},
    period: t.period,
    notify: t.notify,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

/** Called in the transaction that creates a tenant. */
export async function seedDefaultTargets(tx: Executor, tenantId: string): Promise<void> {
  await tx.insert(targets).values(DEFAULT_TARGETS.map((t) => ({ id: randomUUID(), tenantId, ...t, scope: {}, notify: false })));
}

export async function listTargets(db: Executor, tenantId: string): Promise<TargetRow[]> {
  return db.select().from(targets).where(eq(targets.tenantId, tenantId)).orderBy(asc(targets.createdAt), asc(targets.id));
}

export class TargetsService {
  constructor(private readonly db: Database) {}

  async create(tenantId: string, body: z.infer<typeof createTargetBody>) {
    const [row] = await this.db
      .insert(targets)
      .values({
        id: randomUUID(),
        tenantId,
        name: body.name ?? null,
        kpi: body.kpi,
        comparison: body.comparison,
        value: String(body.value),
        scope: body.scope ?? {},
        period: body.period ?? null,
        notify: body.notify ?? false,
      })
      .returning();
    return targetView(row!);
  }

  async list(tenantId: string) {
    return (await listTargets(this.db, tenantId)).map(targetView);
  }

  async get(tenantId: string, id: string) {
    const [row] = await this.db.select().from(targets).where(and(eq(targets.tenantId, tenantId), eq(targets.id, id))).limit(1);
    if (!row) throw new NotFoundError('Target');
    return row;
  }

  async update(tenantId: string, id: string, patch: z.infer<typeof patchTargetBody>) {
    await this.get(tenantId, id);
    const [row] = await this.db
      .update(targets)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.kpi !== undefined ? { kpi: patch.kpi } : {}),
        ...(patch.comparison !== undefined ? { comparison: patch.comparison } : {}),
        ...(patch.value !== undefined ? { value: String(patch.value) } : {}),
        ...(patch.scope !== undefined ? { scope: patch.scope } : {}),
        ...(patch.period !== undefined ? { period: patch.period } : {}),
        ...(patch.notify !== undefined ? { notify: patch.notify } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(targets.tenantId, tenantId), eq(targets.id, id)))
      .returning();
    return targetView(row!);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.db.delete(targets).where(and(eq(targets.tenantId, tenantId), eq(targets.id, id)));
  }
}
