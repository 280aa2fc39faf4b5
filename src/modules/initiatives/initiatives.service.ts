/**
 * Initiatives and their measured impact: the KPI over `windowDays` before `startedAt` against the
 * `windowDays` after `startedAt + adjustmentDays` (src/domain/impact.ts for the maths).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { Database } from '../../db/client.js';
import { initiatives, type InitiativeRow, type TenantRow } from '../../db/schema/index.js';
import { estimateChange, verdictOf, type ImpactSample } from '../../domain/impact.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { createInitiativeBody, patchInitiativeBody } from './initiatives.schemas.js';
import { unitOf, windowSample } from './samples.js';

const DAY_MS = 86_400_000;

export function initiativeView(i: InitiativeRow) {
  return {
    id: i.id,
    name: i.name,
    startedAt: i.startedAt.toISOString(),
    kpi: i.kpi,
    expectedChange: i.expectedChange,
    relative: i.relative,
    adjustmentDays: i.adjustmentDays,
    windowDays: i.windowDays,
    scope: i.scope ?? {},
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

function instantOf(value: string, tenant: TenantRow): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: tenant.timezone }).toJSDate() : new Date(value);
}

/** A per-day KPI cannot be cut by channel (the daily figures are filtered by campaign, agent or queue). */
function checkScope(kpi: string, scope: { channel?: string } | undefined): void {
  if (scope?.channel && unitOf(kpi) === 'day') {
    throw new ValidationError([{ path: 'body.scope.channel', message: `a channel scope applies to per-call and per-response KPIs, not to ${kpi}` }]);
  }
}

function sizeOf(s: ImpactSample): number {
  return s.kind === 'proportion' ? s.trials : s.n;
}

export class InitiativesService {
  constructor(private readonly db: Database) {}

  async create(tenant: TenantRow, body: z.infer<typeof createInitiativeBody>) {
    checkScope(body.kpi, body.scope);
    const [row] = await this.db
      .insert(initiatives)
      .values({
        id: randomUUID(),
        tenantId: tenant.id,
        name: body.name,
        startedAt: instantOf(body.startedAt, tenant),
        kpi: body.kpi,
        expectedChange: body.expectedChange,
        relative: body.relative ?? false,
        adjustmentDays: body.adjustmentDays,
        windowDays: body.windowDays ?? 28,
        scope: body.scope ?? {},
      })
      .returning();
    return initiativeView(row!);
  }

  async list(tenantId: string) {
    const list = await this.db.select().from(initiatives).where(eq(initiatives.tenantId, tenantId)).orderBy(asc(initiatives.startedAt), asc(initiatives.id));
    return list.map(initiativeView);
  }

  async get(tenantId: string, id: string): Promise<InitiativeRow> {
    const [row] = await this.db.select().from(initiatives).where(and(eq(initiatives.tenantId, tenantId), eq(initiatives.id, id))).limit(1);
    if (!row) throw new NotFoundError('Initiative');
    return row;
  }

  async update(tenant: TenantRow, id: string, patch: z.infer<typeof patchInitiativeBody>) {
    const current = await this.get(tenant.id, id);
    checkScope(patch.kpi ?? current.kpi, patch.scope ?? current.scope);
    const [row] = await this.db
      .update(initiatives)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.startedAt !== undefined ? { startedAt: instantOf(patch.startedAt, tenant) } : {}),
        ...(patch.kpi !== undefined ? { kpi: patch.kpi } : {}),
        ...(patch.expectedChange !== undefined ? { expectedChange: patch.expectedChange } : {}),
        ...(patch.relative !== undefined ? { relative: patch.relative } : {}),
        ...(patch.adjustmentDays !== undefined ? { adjustmentDays: patch.adjustmentDays } : {}),
        ...(patch.windowDays !== undefined ? { windowDays: patch.windowDays } : {}),
        ...(patch.scope !== undefined ? { scope: patch.scope } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(initiatives.tenantId, tenant.id), eq(initiatives.id, id)))
      .returning();
    return initiativeView(row!);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.db.delete(initiatives).where(and(eq(initiatives.tenantId, tenantId), eq(initiatives.id, id)));
  }

  async impact(tenant: TenantRow, id: string, now = new Date()) {
    return impactOf(this.db, tenant, await this.get(tenant.id, id), now);
  }
}

/** The impact of one initiative as of `now` (the after window may still be running: too_early). */
export async function impactOf(db: Database, tenant: TenantRow, i: InitiativeRow, now = new Date()) {
  const start = i.startedAt.getTime();
  const beforeFrom = new Date(start - i.windowDays * DAY_MS);
  const beforeTo = new Date(start);
  const afterFrom = new Date(start + i.adjustmentDays * DAY_MS);
  const afterTo = new Date(afterFrom.getTime() + i.windowDays * DAY_MS);
  const [before, after] = await Promise.all([
    windowSample(db, tenant, i.kpi, i.scope ?? {}, beforeFrom, beforeTo),
    windowSample(db, tenant, i.kpi, i.scope ?? {}, afterFrom, afterTo),
  ]);
  const estimate = estimateChange(before, after);
  // A relative expectation is a fraction of the before value, in the KPI's unit once known.
  const expected = i.relative ? (estimate.before === null ? 0 : i.expectedChange * estimate.before) : i.expectedChange;
  return {
    initiative: initiativeView(i),
    method: estimate.method,
    unit: unitOf(i.kpi),
    before: { from: beforeFrom.toISOString(), to: beforeTo.toISOString(), value: estimate.before, n: sizeOf(before) },
    after: { from: afterFrom.toISOString(), to: afterTo.toISOString(), value: estimate.after, n: sizeOf(after) },
    change: estimate.change,
    interval: estimate.interval,
    expectedChange: expected,
    verdict: verdictOf(estimate, expected, now.getTime() >= afterTo.getTime()),
  };
}
