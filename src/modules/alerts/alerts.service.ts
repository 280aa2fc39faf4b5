/**
 * GET /v1/alerts and the alert.raised webhook: each complete day (tenant time) compared with its
 * trailing baseline (src/domain/alerts.ts), from the same KPI rollups that /v1/kpis serves.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { formatField } from '../../http/csv.js';
import type { Database } from '../../db/client.js';
import { alerts, subscriptions, tenants, type TenantRow } from '../../db/schema/index.js';
import { alertRules, detectAnomalies, type Anomaly, type DayFigures } from '../../domain/alerts.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { computeKpis } from '../kpis/index.js';
import { alertDetail } from './intraday.js';
import type { SubscriptionsService } from '../subscriptions/index.js';

export const alertsQuery = z
  .object({
    from: z.iso.date().optional().describe('first local day judged (default: 7 days ago)'),
    to: z.iso.date().optional().describe('local day after the last one judged (default and maximum: today, a day still running is never judged)'),
    status: z
      .enum(['open', 'resolved', 'all'])
      .optional()
      .describe('the alerts raised so far (complete days, the current hour and day so far, target breaches) with their lifecycle, instead of judging the days on the fly'),
    format: z.enum(formatField).optional().describe('csv: the same alerts as CSV (as Accept: text/csv)'),
  })
  .strict();

/** Stored alerts, newest first: what GET /v1/alerts?status= lists. */
export async function listStoredAlerts(db: Database, tenantId: string, status: 'open' | 'resolved' | 'all', range?: { from: Date; to: Date }) {
  const rows = await db
    .select()
    .from(alerts)
    .where(
      and(
        eq(alerts.tenantId, tenantId),
        status === 'all' ? undefined : eq(alerts.status, status),
        range ? sql`${alerts.raisedAt} >= ${range.from.toISOString()}::timestamptz and ${alerts.raisedAt} < ${range.to.toISOString()}::timestamptz` : undefined,
      ),
    )
    .orderBy(desc(alerts.raisedAt), desc(alerts.id))
    .limit(1000);
  return rows.map(alertDetail);
}

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

const DAILY_TYPES = ['abandonment_spike', 'wait_spike', 'volume_drop'];

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
    const yesterday = today.minus({ days: 1 }).toISODate()!;
    // A type not found on the last complete day: its open alerts of earlier days are over.
    const over = DAILY_TYPES.filter((t) => !found.some((a) => a.type === t && a.day === yesterday));
    await db.transaction(async (tx) => {
      const inserted = found.length
        ? await tx
            .insert(alerts)
            .values(found.map((a) => ({ id: randomUUID(), tenantId, type: a.type, granularity: 'day', period: a.day, value: a.value, detail: alertView(a) })))
            .onConflictDoNothing()
            .returning()
        : [];
      const resolved = over.length
        ? await tx
            .update(alerts)
            .set({ status: 'resolved', resolvedAt: now })
            .where(and(eq(alerts.tenantId, tenantId), eq(alerts.status, 'open'), eq(alerts.granularity, 'day'), inArray(alerts.type, over), lt(alerts.period, yesterday)))
            .returning()
        : [];
      await subs.emit(tx, tenantId, 'alert.raised', inserted.map((r) => r.detail));
      await subs.emit(tx, tenantId, 'alert.resolved', resolved.map(alertDetail));
      raised += inserted.length;
    });
  }
  if (raised > 0) logger.info({ raised }, 'alerts raised');
  return raised;
}
