/**
 * The monthly report: the month's KPIs and ROI (total, by campaign, channel and agent), each against
 * the previous month and against the targets that apply, the alerts raised in the month, and the
 * initiatives whose windows touch the month with their measured impact. What the brief's monthly
 * review checks, in one answer (JSON, or CSV rows of the same figures).
 */
import { and, eq, gte, lt } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { alerts, initiatives, type TenantRow } from '../../db/schema/index.js';
import { ValidationError } from '../../lib/errors.js';
import { alertDetail } from '../alerts/index.js';
import { impactOf } from '../initiatives/index.js';
import { computeKpis } from '../kpis/index.js';
import { computeRoi } from '../roi/index.js';
import { listTargets, targetsOfRow, type RowTarget } from '../targets/index.js';

export const monthlyReportQuery = z
  .object({
    month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM'),
    format: z.enum(['json', 'csv']).optional(),
  })
  .strict();

const KPI_GROUPINGS = ['campaign', 'channel', 'agent'] as const;
const ROI_GROUPINGS = ['campaign', 'channel', 'agent'] as const;
const KPI_FIGURES = [
  'offered', 'answered', 'abandoned', 'abandonmentRate', 'serviceLevel', 'asaSeconds', 'ahtSeconds', 'fcrRate', 'occupancy', 'csat', 'nps', 'costPerCall', 'callsPerHour',
] as const;
const ROI_FIGURES = ['revenue', 'cost', 'net', 'roiPercent', 'calls', 'deals'] as const;

type Figures = Record<string, unknown>;

export interface ReportLine {
  key: string | null;
  values: Figures;
  previous: Figures | null;
  /** This month − the previous month, per figure (numbers and money strings; null when either is null). */
  delta: Figures;
  targets: RowTarget[];
}

function difference(a: unknown, b: unknown): number | string | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (typeof a === 'string' || typeof b === 'string') {
    // Money: exact in cents.
    const cents = (v: unknown) => BigInt(String(v).replace('.', ''));
    const d = cents(a) - cents(b);
    const neg = d < 0n;
    const abs = neg ? -d : d;
    return `${neg ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  }
  return Math.round(((a as number) - (b as number)) * 1e6) / 1e6;
}

function pick(row: Figures, names: readonly string[]): Figures {
  return Object.fromEntries(names.map((n) => [n, row[n] ?? null]));
}

function lines(
  current: { rows: (Figures & { key: string | null })[]; total: Figures },
  previous: { rows: (Figures & { key: string | null })[]; total: Figures },
  names: readonly string[],
  targetsFor: (row: Figures & { key?: string | null }, isTotal: boolean) => RowTarget[],
  total: boolean,
): ReportLine[] {
  const line = (row: Figures & { key?: string | null }, before: Figures | undefined, isTotal: boolean): ReportLine => {
    const values = pick(row, names);
    const prev = before ? pick(before, names) : null;
    return {
      key: isTotal ? null : (row.key ?? null),
      values,
      previous: prev,
      delta: Object.fromEntries(names.map((n) => [n, prev ? difference(values[n], prev[n]) : null])),
      targets: targetsFor(row, isTotal),
    };
  };
  if (total) return [line(current.total, previous.total, true)];
  const before = new Map(previous.rows.map((r) => [r.key, r]));
  return current.rows.map((r) => line(r, before.get(r.key), false));
}

export async function monthlyReport(db: Database, tenant: TenantRow, month: string, now = new Date()) {
  const start = DateTime.fromISO(`${month}-01`, { zone: tenant.timezone });
  if (start > DateTime.fromJSDate(now).setZone(tenant.timezone)) {
    throw new ValidationError([{ path: 'query.month', message: 'is in the future: there is nothing to report yet' }]);
  }
  const end = start.plus({ months: 1 });
  const prevStart = start.minus({ months: 1 });
  const iso = (d: DateTime) => d.toISODate()!;
  const targets = await listTargets(db, tenant.id);

  const kpisOf = (from: DateTime, to: DateTime, groupBy: string) =>
    computeKpis(db, tenant, { from: iso(from), to: iso(to), groupBy } as Parameters<typeof computeKpis>[2], now) as unknown as Promise<{ rows: (Figures & { key: string | null })[]; total: Figures }>;
  const roiOf = (from: DateTime, to: DateTime, groupBy: string) =>
    computeRoi(db, tenant, { from: from.toJSDate(), to: to.toJSDate(), groupBy, model: 'last_touch', windowDays: 30 } as Parameters<typeof computeRoi>[2]) as unknown as Promise<{
      rows: (Figures & { key: string | null })[];
      total: Figures;
    }>;

  const kpiSection = async () => {
    const [cur, prev] = await Promise.all([kpisOf(start, end, 'month'), kpisOf(prevStart, start, 'month')]);
    const out: Record<string, ReportLine[]> = {
      total: lines(cur, prev, KPI_FIGURES, (r, t) => targetsOfRow(targets, { groupBy: 'month', filters: {} }, r, t), true),
    };
    for (const g of KPI_GROUPINGS) {
      const [c, p] = await Promise.all([kpisOf(start, end, g), kpisOf(prevStart, start, g)]);
      out[g] = lines(c, p, KPI_FIGURES, (r, t) => targetsOfRow(targets, { groupBy: g, filters: {} }, r, t), false);
    }
    return out;
  };
  const roiSection = async () => {
    const out: Record<string, ReportLine[]> = {};
    for (const g of ROI_GROUPINGS) {
      const [c, p] = await Promise.all([roiOf(start, end, g), roiOf(prevStart, start, g)]);
      const targetsFor = (r: Figures & { key?: string | null }, t: boolean) => targetsOfRow(targets, { groupBy: g, filters: {} }, r, t);
      if (!out.total) out.total = lines(c, p, ROI_FIGURES, targetsFor, true);
      out[g] = lines(c, p, ROI_FIGURES, targetsFor, false);
    }
    return out;
  };

  const [kpis, roi, monthAlerts, touching] = await Promise.all([
    kpiSection(),
    roiSection(),
    db
      .select()
      .from(alerts)
      .where(and(eq(alerts.tenantId, tenant.id), gte(alerts.raisedAt, start.toJSDate()), lt(alerts.raisedAt, end.toJSDate())))
      .orderBy(alerts.raisedAt),
    db.select().from(initiatives).where(and(eq(initiatives.tenantId, tenant.id), lt(initiatives.startedAt, end.toJSDate()))),
  ]);
  // Initiatives whose after window has not ended before the month began.
  const relevant = touching.filter((i) => i.startedAt.getTime() + (i.adjustmentDays + i.windowDays) * 86_400_000 > start.toMillis());
  const impacts = [];
  for (const i of relevant) impacts.push(await impactOf(db, tenant, i, now));

  return {
    month,
    previousMonth: prevStart.toFormat('yyyy-MM'),
    currency: tenant.currency,
    timezone: tenant.timezone,
    kpis,
    roi,
    alerts: monthAlerts.map(alertDetail),
    initiatives: impacts,
  };
}

export type MonthlyReport = Awaited<ReturnType<typeof monthlyReport>>;

/** The same figures as rows: one line per (section, grouping, key, figure). */
export function reportCsvRows(report: MonthlyReport): (string | number | boolean | null)[][] {
  const out: (string | number | boolean | null)[][] = [];
  for (const section of ['kpis', 'roi'] as const) {
    for (const [grouping, list] of Object.entries(report[section])) {
      for (const l of list) {
        for (const [figure, value] of Object.entries(l.values)) {
          const target = l.targets.find((t) => t.kpi === figure);
          out.push([
            section,
            grouping,
            l.key,
            figure,
            value as string | number | null,
            (l.previous?.[figure] ?? null) as string | number | null,
            l.delta[figure] as string | number | null,
            target ? `${target.comparison} ${target.value}` : null,
            target ? target.met : null,
          ]);
        }
      }
    }
  }
  for (const a of report.alerts) out.push(['alerts', String(a.granularity), String(a.period), String(a.type), a.value as number, null, null, null, String(a.status)]);
  for (const i of report.initiatives) {
    out.push(['initiatives', i.initiative.kpi, i.initiative.name, i.verdict, i.after.value, i.before.value, i.change, String(i.expectedChange), i.verdict === 'reached']);
  }
  return out;
}

export const REPORT_CSV_HEADER = ['section', 'grouping', 'key', 'figure', 'value', 'previous', 'delta', 'target', 'met'];
