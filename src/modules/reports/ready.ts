/**
 * report.ready: once the month is over (from the first day of the next one, tenant time), each
 * tenant subscribed to it gets one event with the month's headline figures and where to read the
 * whole report. Sent once per tenant and month (reports_sent), whichever worker gets there first.
 */
import { and, isNull, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Database } from '../../db/client.js';
import { reportsSent, subscriptions, tenants } from '../../db/schema/index.js';
import type { Logger } from '../../lib/logger.js';
import type { SubscriptionsService } from '../subscriptions/index.js';
import { monthlyReport } from './reports.service.js';

export async function sendMonthlyReports(db: Database, subs: SubscriptionsService, logger: Logger, now = new Date()): Promise<number> {
  const subscribed = await db
    .selectDistinct({ tenantId: subscriptions.tenantId })
    .from(subscriptions)
    .where(and(isNull(subscriptions.deletedAt), sql`${subscriptions.events} @> '["report.ready"]'::jsonb`));
  let sent = 0;
  for (const { tenantId } of subscribed) {
    const [tenant] = await db.select().from(tenants).where(sql`${tenants.id} = ${tenantId}`).limit(1);
    if (!tenant) continue;
    const month = DateTime.fromJSDate(now).setZone(tenant.timezone).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
    const [already] = await db.select().from(reportsSent).where(sql`${reportsSent.tenantId} = ${tenantId} and ${reportsSent.month} = ${month}`).limit(1);
    if (already) continue;
    const report = await monthlyReport(db, tenant, month, now);
    await db.transaction(async (tx) => {
      const claimed = await tx.insert(reportsSent).values({ tenantId, month }).onConflictDoNothing().returning();
      if (claimed.length === 0) return;
      await subs.emit(tx, tenantId, 'report.ready', [
        {
          month,
          url: `/v1/reports/monthly?month=${month}`,
          kpis: report.kpis.total?.[0] ?? null,
          roi: report.roi.total?.[0] ?? null,
          alerts: report.alerts.length,
          initiatives: report.initiatives.map((i) => ({ id: i.initiative.id, name: i.initiative.name, verdict: i.verdict })),
        },
      ]);
      sent++;
    });
  }
  if (sent > 0) logger.info({ sent }, 'monthly reports announced');
  return sent;
}
