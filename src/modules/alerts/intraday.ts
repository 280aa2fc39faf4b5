/**
 * Alerts within the hour (every few minutes, in the worker): the current hour so far and the
 * current day so far, each against the same elapsed part of the same hour / weekday over the last
 * four weeks (src/domain/alerts.ts `judgeWindow`), and the targets with `notify` on against the
 * current period so far. An alert is `open` until a later judgement finds its condition gone; it is
 * never raised twice while open (a partial unique index says so in the database), and each change
 * goes to subscriptions as `alert.raised` / `alert.resolved`.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Database, Tx } from '../../db/client.js';
import { alerts, tenants, type TenantRow } from '../../db/schema/index.js';
import { intradayRules, judgeWindow, type IntradayRules, type WindowFigures } from '../../domain/alerts.js';
import type { Logger } from '../../lib/logger.js';
import { computeKpis } from '../kpis/index.js';
import type { SubscriptionsService } from '../subscriptions/index.js';
import { listTargets, meets } from '../targets/index.js';
import { effectiveSettings } from '../tenants/index.js';

/** Judged here; the complete-day rules (alerts.service.ts) keep their own `day` alerts. */
const WINDOW_TYPES = ['abandonment_spike', 'wait_spike', 'volume_drop', 'volume_surge'] as const;
/** Judgements need this much history (the tenant's first call at least this long ago). */
const HISTORY_DAYS = 14;

interface Finding {
  type: string;
  granularity: 'hour' | 'today' | 'target';
  subject: string;
  period: string;
  value: number;
  detail: Record<string, unknown>;
}

/** A judged (type, granularity, subject): found or not, so an open alert of it can be resolved. */
interface Judged {
  type: string;
  granularity: Finding['granularity'];
  subject: string;
}

function rulesOf(tenant: TenantRow): IntradayRules {
  return { ...intradayRules, ...(effectiveSettings(tenant.settings).alertRules ?? {}) };
}

/**
 * The figures of windows [start, end) of a tenant's calls, in one statement. Offered and abandoned
 * follow contract section 6 (inbound; abandons shorter than `shortAbandonSeconds` are not offered).
 */
async function windowFigures(db: Database, tenant: TenantRow, windows: { start: Date; end: Date }[]): Promise<WindowFigures[]> {
  const short = effectiveSettings(tenant.settings).shortAbandonSeconds;
  const result = (await db.execute(sql`
    select w.idx::int as idx,
      count(c.id) filter (where c.status <> 'abandoned' or c.wait_seconds >= ${short})::int as offered,
      count(c.id) filter (where c.status = 'abandoned' and c.wait_seconds >= ${short})::int as abandoned,
      coalesce(sum(c.wait_seconds) filter (where c.status <> 'abandoned' or c.wait_seconds >= ${short}), 0)::float8 as wait_sum
    from unnest(${`{${windows.map((w) => `"${w.start.toISOString()}"`).join(',')}}`}::timestamptz[],
                ${`{${windows.map((w) => `"${w.end.toISOString()}"`).join(',')}}`}::timestamptz[]) with ordinality as w(s, e, idx)
    left join calls c on c.tenant_id = ${tenant.id} and c.started_at >= w.s and c.started_at < w.e
      and c.direction = 'inbound' and c.status in ('answered', 'abandoned', 'missed', 'voicemail')
    group by w.idx order by w.idx`)) as unknown as { rows: { idx: number; offered: number; abandoned: number; wait_sum: number }[] };
  const byIdx = new Map(result.rows.map((r) => [r.idx, r]));
  return windows.map((_, i) => {
    const r = byIdx.get(i + 1);
    return { offered: r?.offered ?? 0, abandoned: r?.abandoned ?? 0, waitSum: r?.wait_sum ?? 0 };
  });
}

/** This window and the same elapsed part of it `weeks` earlier (local time: a DST change keeps the wall clock). */
function weeklyWindows(start: DateTime, now: DateTime, weeks: number): { start: Date; end: Date }[] {
  const elapsed = now.diff(start);
  return Array.from({ length: weeks + 1 }, (_, k) => {
    const s = start.minus({ weeks: k });
    return { start: s.toJSDate(), end: s.plus(elapsed).toJSDate() };
  });
}

async function judgeCalls(db: Database, tenant: TenantRow, now: Date): Promise<{ findings: Finding[]; judged: Judged[] }> {
  const rules = rulesOf(tenant);
  const local = DateTime.fromJSDate(now).setZone(tenant.timezone);
  const hourStart = local.startOf('hour');
  const dayStart = local.startOf('day');
  const hourWindows = weeklyWindows(hourStart, local, rules.baselineWeeks);
  const dayWindows = weeklyWindows(dayStart, local, rules.baselineWeeks);
  const figures = await windowFigures(db, tenant, [...hourWindows, ...dayWindows]);
  const hour = figures.slice(0, hourWindows.length);
  const day = figures.slice(hourWindows.length);
  const findings: Finding[] = [];
  const judged: Judged[] = [];
  const judge = (granularity: 'hour' | 'today', period: string, label: string, [current, ...earlier]: WindowFigures[]) => {
    for (const type of WINDOW_TYPES) judged.push({ type, granularity, subject: '' });
    for (const a of judgeWindow(label, current!, earlier, rules)) {
      findings.push({
        type: a.type,
        granularity,
        subject: '',
        period,
        value: a.value,
        detail: { type: a.type, granularity, period, value: a.value, baseline: a.baseline, message: a.message },
      });
    }
  };
  judge('hour', hourStart.toFormat("yyyy-MM-dd'T'HH"), `between ${hourStart.toFormat('HH:mm')} and ${local.toFormat('HH:mm')}`, hour);
  judge('today', dayStart.toISODate()!, `today by ${local.toFormat('HH:mm')}`, day);
  return { findings, judged };
}

const PERIOD_UNIT = { day: 'day', week: 'week', month: 'month' } as const;

async function judgeTargets(db: Database, tenant: TenantRow, now: Date): Promise<{ findings: Finding[]; judged: Judged[] }> {
  const watched = (await listTargets(db, tenant.id)).filter((t) => t.notify && t.kpi !== 'roiPercent' && !t.scope?.channel);
  const findings: Finding[] = [];
  const judged: Judged[] = [];
  const local = DateTime.fromJSDate(now).setZone(tenant.timezone);
  for (const t of watched) {
    const unit = PERIOD_UNIT[(t.period ?? 'day') as keyof typeof PERIOD_UNIT];
    const start = local.startOf(unit);
    const answer = await computeKpis(db, tenant, {
      from: start.toISODate()!,
      to: local.plus({ days: 1 }).startOf('day').toISODate()!,
      groupBy: 'day',
      ...(t.scope?.campaignId ? { campaignId: t.scope.campaignId } : {}),
      ...(t.scope?.agentId ? { agentId: t.scope.agentId } : {}),
      ...(t.scope?.queue ? { queue: t.scope.queue } : {}),
    } as Parameters<typeof computeKpis>[2]);
    const value = (answer.total as unknown as Record<string, unknown>)[t.kpi];
    const met = meets(value, t.comparison, t.value);
    if (met === null) continue; // nothing to judge yet (no call, no response): neither breached nor resolved
    judged.push({ type: 'target_breach', granularity: 'target', subject: t.id });
    if (met) continue;
    const period = unit === 'week' ? start.toFormat("kkkk-'W'WW") : unit === 'month' ? start.toFormat('yyyy-MM') : start.toISODate()!;
    const message = `${t.name ?? t.kpi}: ${t.kpi} is ${String(value)} this ${unit} so far, the target is ${t.comparison} ${Number(t.value)}`;
    findings.push({
      type: 'target_breach',
      granularity: 'target',
      subject: t.id,
      period,
      value: Number(value),
      detail: { type: 'target_breach', granularity: 'target', period, targetId: t.id, kpi: t.kpi, value: Number(value), target: Number(t.value), comparison: t.comparison, message },
    });
  }
  return { findings, judged };
}

/** Opens the new findings and resolves what was judged and not found; returns the counts. */
async function record(tx: Tx, subs: SubscriptionsService, tenantId: string, findings: Finding[], judged: Judged[]): Promise<{ raised: number; resolved: number }> {
  const raised = findings.length
    ? await tx
        .insert(alerts)
        .values(
          findings.map((f) => ({
            id: randomUUID(),
            tenantId,
            type: f.type,
            granularity: f.granularity,
            subject: f.subject,
            period: f.period,
            value: f.value,
            detail: f.detail,
          })),
        )
        // Already open (or already raised for this period): nothing new to say.
        .onConflictDoNothing()
        .returning()
    : [];
  const stillOpen = new Set(findings.map((f) => `${f.type}|${f.granularity}|${f.subject}`));
  const gone = judged.filter((j) => !stillOpen.has(`${j.type}|${j.granularity}|${j.subject}`));
  let resolved: (typeof alerts.$inferSelect)[] = [];
  if (gone.length > 0) {
    resolved = await tx
      .update(alerts)
      .set({ status: 'resolved', resolvedAt: new Date() })
      .where(
        and(
          eq(alerts.tenantId, tenantId),
          eq(alerts.status, 'open'),
          inArray(alerts.granularity, [...new Set(gone.map((g) => g.granularity))]),
          sql`(${alerts.type} || '|' || ${alerts.granularity} || '|' || ${alerts.subject}) in (${sql.join(
            gone.map((g) => sql`${`${g.type}|${g.granularity}|${g.subject}`}`),
            sql`, `,
          )})`,
        ),
      )
      .returning();
  }
  await subs.emit(tx, tenantId, 'alert.raised', raised.map(alertDetail));
  await subs.emit(tx, tenantId, 'alert.resolved', resolved.map(alertDetail));
  return { raised: raised.length, resolved: resolved.length };
}

export function alertDetail(a: typeof alerts.$inferSelect): Record<string, unknown> {
  return {
    ...a.detail,
    id: a.id,
    type: a.type,
    granularity: a.granularity,
    period: a.period,
    status: a.status,
    raisedAt: a.raisedAt.toISOString(),
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
  };
}

/** One tenant's judgement now. */
export async function evaluateTenant(db: Database, subs: SubscriptionsService, tenant: TenantRow, now = new Date()): Promise<{ raised: number; resolved: number }> {
  const [history] = (
    (await db.execute(sql`select min(started_at) as first from calls where tenant_id = ${tenant.id}`)) as unknown as { rows: { first: Date | string | null }[] }
  ).rows;
  const first = history?.first ? new Date(history.first) : null;
  const enough = first !== null && now.getTime() - first.getTime() >= HISTORY_DAYS * 86_400_000;
  const calls = enough ? await judgeCalls(db, tenant, now) : { findings: [], judged: [] };
  const targets = await judgeTargets(db, tenant, now);
  return db.transaction((tx) => record(tx, subs, tenant.id, [...calls.findings, ...targets.findings], [...calls.judged, ...targets.judged]));
}

/**
 * Every tenant with calls in the baseline's reach or a notified target, one after the other (the
 * queries are small and indexed; bench/alerts.ts measures 1 000 tenants).
 */
export async function evaluateIntraday(db: Database, subs: SubscriptionsService, logger: Logger, now = new Date()): Promise<{ tenants: number; raised: number; resolved: number }> {
  const since = new Date(now.getTime() - (intradayRules.baselineWeeks * 7 + 1) * 86_400_000);
  const active = await db
    .select()
    .from(tenants)
    .where(
      sql`exists (select 1 from calls c where c.tenant_id = ${tenants.id} and c.started_at >= ${since.toISOString()}::timestamptz)
          or exists (select 1 from targets t where t.tenant_id = ${tenants.id} and t.notify)`,
    );
  let raised = 0;
  let resolved = 0;
  for (const tenant of active) {
    try {
      const r = await evaluateTenant(db, subs, tenant, now);
      raised += r.raised;
      resolved += r.resolved;
    } catch (err) {
      logger.warn({ tenantId: tenant.id, err: (err as Error).message }, 'intraday alert check failed for a tenant');
    }
  }
  if (raised + resolved > 0) logger.info({ raised, resolved }, 'intraday alerts');
  return { tenants: active.length, raised, resolved };
}
