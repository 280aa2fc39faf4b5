/**
 * The observations behind an initiative's impact, built from the same definitions as /v1/kpis
 * (src/domain/kpis/definitions.ts), window by window:
 * - per call: abandonmentRate, serviceLevel, fcrRate (each call a success or not) and asaSeconds,
 *   ahtSeconds (each call a value) — each call's KPI contribution, as the rollups add them up;
 * - per survey response: csat (a success or not) and nps (−100, 0 or +100);
 * - per day: every other figure (occupancy, calls per hour, cost per call, volumes) exists only
 *   for a period, so each day of the window is one observation, read from GET /v1/kpis's rows.
 */
import { sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Database } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';
import type { ScopeJson } from '../../db/schema/improvement.js';
import { meanSample, type ImpactSample } from '../../domain/impact.js';
import { contribution, serviceLevelParts, surveyContribution, type KpiCallStatus, type KpiSettings, type KpiSums } from '../../domain/kpis/definitions.js';
import { computeKpis } from '../kpis/index.js';
import { effectiveSettings } from '../tenants/index.js';

export type SampleUnit = 'call' | 'response' | 'day';

type CallRatio = (s: KpiSums, settings: KpiSettings) => [number, number];
const CALL_PROPORTIONS: Record<string, CallRatio> = {
  abandonmentRate: (s) => [s.abandoned, s.offered],
  serviceLevel: (s, settings) => serviceLevelParts(s, settings),
  fcrRate: (s) => [s.fcrResolved, s.fcrEligible],
};
/** [value, counted]: a call counts in the mean when its denominator is 1. */
const CALL_MEANS: Record<string, (s: KpiSums) => [number, number]> = {
  asaSeconds: (s) => [s.waitSumAnswered, s.answered],
  ahtSeconds: (s) => [s.handleSumHandled, s.handledCount],
};

export function unitOf(kpi: string): SampleUnit {
  if (kpi in CALL_PROPORTIONS || kpi in CALL_MEANS) return 'call';
  if (kpi === 'csat' || kpi === 'nps') return 'response';
  return 'day';
}

function scopeFilter(scope: ScopeJson): SQL {
  const parts: SQL[] = [];
  if (scope.campaignId) parts.push(sql`and c.campaign_id = ${scope.campaignId}::uuid`);
  if (scope.agentId) parts.push(sql`and c.agent_id = ${scope.agentId}`);
  if (scope.queue) parts.push(sql`and c.queue_name = ${scope.queue}`);
  if (scope.channel) parts.push(sql`and c.campaign_id in (select id from campaigns where tenant_id = c.tenant_id and channel = ${scope.channel})`);
  return sql.join(parts, sql` `);
}

async function rows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

function kpiSettings(tenant: TenantRow): KpiSettings {
  const s = effectiveSettings(tenant.settings);
  return { shortAbandonSeconds: s.shortAbandonSeconds, serviceLevelSeconds: s.serviceLevelSeconds, serviceLevelFormula: s.serviceLevelFormula, creditShortAbandons: s.creditShortAbandons };
}

/** One window's sample of `kpi` for the tenant, calls started in [from, to). */
export async function windowSample(db: Database, tenant: TenantRow, kpi: string, scope: ScopeJson, from: Date, to: Date): Promise<ImpactSample> {
  const unit = unitOf(kpi);
  if (unit === 'call') return callSample(db, tenant, kpi, scope, from, to);
  if (unit === 'response') return responseSample(db, tenant, kpi, scope, from, to);
  return daySample(db, tenant, kpi, scope, from, to);
}

async function callSample(db: Database, tenant: TenantRow, kpi: string, scope: ScopeJson, from: Date, to: Date): Promise<ImpactSample> {
  const fcrDays = effectiveSettings(tenant.settings).fcrWindowDays;
  // The next inbound call of the same number (any status), within the FCR window: a repeat.
  const facts = await rows<{ direction: 'inbound' | 'outbound'; status: string; wait_seconds: number; handle_seconds: number; repeated: boolean }>(
    db,
    sql`with inbound as (
          select id, started_at, lead(started_at) over (partition by external_number order by started_at, id) as next_at
          from calls
          where tenant_id = ${tenant.id} and direction = 'inbound' and external_number is not null
            and started_at >= ${from.toISOString()}::timestamptz
            and started_at < ${to.toISOString()}::timestamptz + make_interval(days => ${fcrDays}))
        select c.direction, c.status, c.wait_seconds, c.handle_seconds,
          coalesce(i.next_at - c.started_at <= make_interval(days => ${fcrDays}), false) as repeated
        from calls c left join inbound i on i.id = c.id
        where c.tenant_id = ${tenant.id}
          and c.started_at >= ${from.toISOString()}::timestamptz and c.started_at < ${to.toISOString()}::timestamptz
          ${scopeFilter(scope)}`,
  );
  const settings = kpiSettings(tenant);
  const proportion = CALL_PROPORTIONS[kpi];
  const mean = CALL_MEANS[kpi];
  let successes = 0;
  let trials = 0;
  const values: number[] = [];
  for (const f of facts) {
    const status = f.status as KpiCallStatus;
    const sums = contribution(
      {
        direction: f.direction,
        status,
        waitSeconds: f.wait_seconds,
        handleSeconds: f.handle_seconds,
        fcrEligible: f.direction === 'inbound' && status === 'answered',
        fcrRepeated: f.repeated,
      },
      settings,
    );
    if (proportion) {
      const [num, den] = proportion(sums, settings);
      successes += num;
      trials += den;
    } else if (mean) {
      const [value, counted] = mean(sums);
      if (counted === 1) values.push(value);
    }
  }
  return proportion ? { kind: 'proportion', successes, trials } : meanSample(values);
}

async function responseSample(db: Database, tenant: TenantRow, kpi: string, scope: ScopeJson, from: Date, to: Date): Promise<ImpactSample> {
  // Contract section 6: surveys of the inbound calls.
  const responses = await rows<{ csat: number | null; nps: number | null }>(
    db,
    sql`select s.csat, s.nps from survey_responses s join calls c on c.id = s.call_id
        where s.tenant_id = ${tenant.id} and c.direction = 'inbound'
          and c.started_at >= ${from.toISOString()}::timestamptz and c.started_at < ${to.toISOString()}::timestamptz
          ${scopeFilter(scope)}`,
  );
  if (kpi === 'csat') {
    let successes = 0;
    let trials = 0;
    for (const r of responses) {
      const s = surveyContribution({ csat: r.csat });
      successes += s.csatPositive;
      trials += s.csatCount;
    }
    return { kind: 'proportion', successes, trials };
  }
  const scores: number[] = [];
  for (const r of responses) {
    const s = surveyContribution({ nps: r.nps });
    if (s.npsCount === 1) scores.push((s.npsPromoters - s.npsDetractors) * 100);
  }
  return meanSample(scores);
}

async function daySample(db: Database, tenant: TenantRow, kpi: string, scope: ScopeJson, from: Date, to: Date): Promise<ImpactSample> {
  const day = (d: Date) => DateTime.fromJSDate(d).setZone(tenant.timezone).toISODate()!;
  const answer = await computeKpis(db, tenant, {
    from: day(from),
    to: day(to),
    groupBy: 'day',
    ...(scope.campaignId ? { campaignId: scope.campaignId } : {}),
    ...(scope.agentId ? { agentId: scope.agentId } : {}),
    ...(scope.queue ? { queue: scope.queue } : {}),
  } as Parameters<typeof computeKpis>[2]);
  const values = answer.rows
    .map((r) => (r as unknown as Record<string, unknown>)[kpi])
    .filter((v): v is number | string => v !== null && v !== undefined)
    .map(Number);
  return meanSample(values);
}
