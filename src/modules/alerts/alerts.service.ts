/**
 * GET /v1/alerts and the alert.raised webhook: each complete day (tenant time) compared with its
 * trailing baseline (src/domain/alerts.ts), from the same KPI rollups that /v1/kpis serves.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { alerts, subscriptions, tenants, type TenantRow } from '../../db/schema/index.js';
import { alertRules, detectAnomalies, type Anomaly, type DayFigures } from '../../domain/alerts.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { computeKpis } from '../kpis/index.js';
import type { SubscriptionsService } from '../subscriptions/subscriptions.service.js';

export const alertsQuery = z
  .object({
    from: z.iso.date().optional().describe('first local day judged (default: 7 days ago)'),
    to: z.iso.date().optional().describe('local day after the last one judged (default and maximum: today, a day still running is never judged)'),
  })
  .strict();

export async function computeAlerts(db: Database, tenant: TenantRow, q: z.infer<typeof alertsQuery>, now = new Date()): Promise<Anomaly[]> {
  const today = DateTime.fromJSDate(now).setZone(tenant.timezone).startOf('day');
  let to = q.to ? DateTime.fromISO(q.to, { zone: tenant.timezone }) : today;
  if (to > today) to = today;
  const from = q.from ? DateTime.fromISO(q.from, { zone: tenant.timezone }) : to.minus({ days: 7 });
  if (from >= to) {
    if (q.from && q.to && q.from >= q.to) throw new ValidationError([{ path: 'query.from', message: 'from must be before to' }]);
    return [];
  }
  if (to.diff(from, 'days').days > 366) throw new ValidationError([{ path: 'query.from', message: 'at most 366 days at a time' }]);
  const start = from.minus({ days: alertRules.baselineDays });
  const kpis = await computeKpis(db, tenant, { from: start.toISODate()!, to: to.toISODate()!, groupBy: 'day' } as never, now);
  const byDay = new Map(kpis.rows.map((r) => [r.key, r]));
  const days: DayFigures[] = [];
  for (let d = start; d < to; d = d.plus({ days: 1 })) {
    const key = d.toISODate()!;
    const r = byDay.get(key);
    days.push({
      day: key,
      offered: r?.offered ?? 0,
      answered: r?.answered ?? 0,
      abandonmentRate: r?.abandonmentRate ?? null,
      asaSeconds: r?.asaSeconds ?? null,
    });
  }
  return detectAnomalies(days, from.toISODate()!);
}

export function alertView(a: Anomaly) {
  return { id: `${a.type}:${a.day}`, type: a.type, day: a.day, value: a.value, baseline: a.baseline, message: a.message };
}

/**
 * Periodic (worker): judge the last complete days of every tenant with an alert.raised subscription,
 * keep each alert once, and send the new ones.
 */
export async function raiseAlerts(db: Database, subs: SubscriptionsService, logger: Logger, now = new Date()): Promise<number> {
  const subscribed = await db
    .selectDistinct({ tenantId: subscriptions.tenantId })
    .from(subscriptions)
    .where(and(isNull(subscriptions.deletedAt), sql`${subscriptions.events} @> '["alert.raised"]'::jsonb`));
  let raised = 0;
  for (const { tenantId } of subscribed) {
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
    if (!tenant) continue;
    const today = DateTime.fromJSDate(now).setZone(tenant.timezone).startOf('day');
    const found = await computeAlerts(db, tenant, { from: today.minus({ days: 2 }).toISODate()!, to: today.toISODate()! }, now);
    if (found.length === 0) continue;
    await db.transaction(async (tx) => {
      const inserted = await tx
        .insert(alerts)
        .values(found.map((a) => ({ id: randomUUID(), tenantId, type: a.type, period: a.day, value: a.value, detail: alertView(a) })))
        .onConflictDoNothing({ target: [alerts.tenantId, alerts.type, alerts.period] })
        .returning();
      await subs.emit(tx, tenantId, 'alert.raised', inserted.map((r) => r.detail));
      raised += inserted.length;
    });
  }
  if (raised > 0) logger.info({ raised }, 'alerts raised');
  return raised;
}
