/**
 * The coalesced per-tenant refresh (job `kpi-refresh`, src/jobs/kpi-refresh.ts): take the dirty
 * marks, rebuild their rollup rows from the calls table (one INSERT … SELECT per batch: whole hours,
 * or only the marked call groups of an hour, so that a call's change costs the calls of its
 * agent/queue/campaign/provider/direction in that hour, not every call of the hour), repeat until
 * nothing is dirty.
 *
 * Coalescing: call transactions only append dirty marks; one job per tenant and second is enqueued
 * (src/jobs/coalesce.ts), and a batch turns any number of marks of one hour into one recomputation.
 * Concurrency: a per-tenant advisory lock serialises refreshes of one tenant; READ COMMITTED makes
 * the calls read after the dirty marks are taken, so a call committed before its mark was taken is
 * seen, and one committed later left a mark for the next run.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import { kpiSumColumnNames, kpiSumFields, tenants, type TenantRow } from '../../db/schema/index.js';
import { PERIOD_DIMS, type PeriodDim } from '../../domain/dimensions.js';
import { pgArray } from '../../db/sql.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Logger } from '../../lib/logger.js';
import { canonicalAgentIdSql } from '../agents/index.js';
import { applyDefaultAfterCallWork, type CallChangeListener } from '../calls/index.js';
import { effectiveSettings } from '../tenants/index.js';
import { HOUR_KEY_FORMAT, markAllDirty } from './invalidate.js';
import { pendingLeadMarks, refreshFirstTimeCallers, refreshMarkedNumbers, tenantsWithStaleLeadMarks } from '../leads/index.js';

/** What the stored rollups depend on; a change of any of these rebuilds the tenant's rollups. */
interface RollupBasis {
  timezone: string;
  shortAbandonSeconds: number;
  serviceLevelSeconds: number;
  fcrWindowDays: number;
  defaultAfterCallWorkSeconds: number;
  /** firstTimeCaller's lookback: a change recomputes every call's flag (through the call listeners). */
  leadLookbackDays: number;
  /** The rollup columns' generation: a new sum column rebuilds the rollups built without it. */
  columns: number;
}

function basisOf(tenant: TenantRow): RollupBasis {
  const s = effectiveSettings(tenant.settings);
  return {
    timezone: tenant.timezone,
    shortAbandonSeconds: s.shortAbandonSeconds,
    serviceLevelSeconds: s.serviceLevelSeconds,
    fcrWindowDays: s.fcrWindowDays,
    defaultAfterCallWorkSeconds: s.defaultAfterCallWorkSeconds,
    leadLookbackDays: s.leadLookbackDays,
    columns: 5,
  };
}

/** The fingerprint of what the tenant's rollups must have been built with now. */
export function rollupFingerprint(tenant: TenantRow): string {
  return JSON.stringify(basisOf(tenant));
}

async function lockTenant(tx: Tx, tenantId: string): Promise<TenantRow | null> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kpi-refresh-${tenantId}`}, 0))`);
  const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return tenant ?? null;
}

/**
 * When the basis changed since the last build: re-derive what depends on it in the calls table
 * (the tenant's default after-call work, for calls whose provider reports none, rewritten through
 * the call listeners so ROI days and webhooks follow), drop the rollups and mark every hour with
 * a call dirty.
 */
async function ensureBasis(tx: Tx, tenant: TenantRow, listeners: readonly CallChangeListener[]): Promise<RollupBasis> {
  const basis = basisOf(tenant);
  const fingerprint = rollupFingerprint(tenant);
  const [state] = await queryRows<{ fingerprint: string }>(tx, sql`select fingerprint from kpi_state where tenant_id = ${tenant.id}`);
  if (state?.fingerprint === fingerprint) return basis;
  const previous = state ? (JSON.parse(state.fingerprint) as Partial<RollupBasis>) : null;
  if (previous && previous.defaultAfterCallWorkSeconds !== basis.defaultAfterCallWorkSeconds) {
    await applyDefaultAfterCallWork(tx, tenant.id, basis.defaultAfterCallWorkSeconds, listeners);
  }
  if (previous && (previous.leadLookbackDays ?? 90) !== basis.leadLookbackDays) {
    await refreshFirstTimeCallers(tx, tenant.id, null, () => listeners);
  }
  await tx.execute(sql`delete from kpi_hourly where tenant_id = ${tenant.id}`);
  await tx.execute(sql`delete from kpi_daily where tenant_id = ${tenant.id}`);
  await markAllDirty(tx, tenant.id);
  await tx.execute(sql`
    insert into kpi_state (tenant_id, fingerprint, rebuilt_at) values (${tenant.id}, ${fingerprint}, now())
    on conflict (tenant_id) do update set fingerprint = excluded.fingerprint, rebuilt_at = now()`);
  return basis;
}

/** Rebuild the rollup rows of these local hours from the calls (and their survey responses). */
export async function rebuildHours(tx: Tx, tenantId: string, basis: RollupBasis, hourKeys: string[]): Promise<void> {
  if (hourKeys.length === 0) return;
  const keys = pgArray(hourKeys);
  await tx.execute(sql`delete from kpi_hourly where tenant_id = ${tenantId} and hour_key = any(${keys}::text[])`);
  await insertHourRows(tx, tenantId, basis, sql``, sql`unnest(${keys}::text[]) as k(hour_key)`, sql``, sql`true`);
}

/** A call group of an hour, as kpi_dirty_hours.call_group marks it (raw agent id, queue, campaign, provider, direction). */
export interface HourGroupMark {
  hourKey: string;
  group: [string | null, string | null, string | null, string, string];
}

/**
 * Rebuild the kpi_hourly rows of these groups of hours: the marks become rows' keys (the agent
 * the call counts under: its linked one, else its own) and only the calls of those keys are read,
 * selected first by their raw fields (the key's agent or an agent linked to it), then exactly.
 */
export async function rebuildHourGroups(tx: Tx, tenantId: string, basis: RollupBasis, marks: HourGroupMark[]): Promise<void> {
  if (marks.length === 0) return;
  const json = JSON.stringify(marks.map((m) => [m.hourKey, m.group]));
  const keysCte = sql`with keys as (
      select distinct m->>0 as hour_key, coalesce(${canonicalAgentIdSql(sql`${tenantId}::uuid`, sql`(m->1->>0)`)}, '') as agent_id,
        coalesce(m->1->>1, '') as queue, coalesce(m->1->>2, '') as campaign_id, m->1->>3 as provider, m->1->>4 as direction
      from jsonb_array_elements(${json}::jsonb) as m
    )`;
  await tx.execute(sql`${keysCte}
    delete from kpi_hourly h using keys k
    where h.tenant_id = ${tenantId} and h.hour_key = k.hour_key and h.agent_id = k.agent_id and h.queue = k.queue
      and h.campaign_id = k.campaign_id and h.provider = k.provider and h.direction = k.direction`);
  await insertHourRows(
    tx,
    tenantId,
    basis,
    keysCte,
    sql`(select keys.*, array(select a.id from agents a where a.tenant_id = ${tenantId} and a.linked_to = keys.agent_id) || keys.agent_id as raw_agents from keys) as k`,
    sql`and c.provider = k.provider and c.direction = k.direction and coalesce(c.queue_name, '') = k.queue
      and coalesce(c.campaign_id::text, '') = k.campaign_id and coalesce(c.agent_id, '') = any(k.raw_agents)`,
    sql`coalesce(ag.agent_id, '') = k.agent_id`,
  );
}

/**
 * The kpi_hourly rows of the calls joined to `keys` (a relation with an hour_key column, after the
 * optional `prefix` CTE): `join` narrows the calls of each key's hour, `where` filters the rows.
 */
async function insertHourRows(tx: Tx, tenantId: string, basis: RollupBasis, prefix: SQL, keys: SQL, join: SQL, where: SQL): Promise<void> {
  const tz = basis.timezone;
  // Each hour key selects its calls by an index range on started_at wide enough for any offset
  // and DST change (the local hour start ± 3 h), then exactly by the local hour key.
  await tx.execute(sql`${prefix}
    insert into kpi_hourly (tenant_id, hour_key, agent_id, queue, campaign_id, provider, direction, calls,
      offered, answered, abandoned, short_abandoned, short_abandoned_within_sl, missed, voicemail,
      answered_within_sl, wait_sum_answered, handled_count, handle_sum_handled, fcr_eligible, fcr_resolved,
      csat_count, csat_positive, nps_count, nps_promoters, nps_detractors,
      self_served, automation_met, automation_escalated, csat_automated_count, csat_automated_positive,
      sentiment_count, sentiment_positive, sentiment_score_count, sentiment_score_milli_sum,
      repeat_handle_sum, wait_sum_offered, transferred, leads)
    select ${tenantId}::uuid, k.hour_key, coalesce(ag.agent_id, ''), coalesce(c.queue_name, ''),
      coalesce(c.campaign_id::text, ''), c.provider, c.direction,
      count(*),
      count(*) filter (where f.inbound and (c.status in ('answered', 'missed', 'voicemail') or (c.status = 'abandoned' and not f.short))),
      count(*) filter (where f.inbound and c.status = 'answered'),
      count(*) filter (where f.inbound and c.status = 'abandoned' and not f.short),
      count(*) filter (where f.inbound and c.status = 'abandoned' and f.short),
      count(*) filter (where f.inbound and c.status = 'abandoned' and f.short and f.within_sl),
      count(*) filter (where f.inbound and c.status = 'missed'),
      count(*) filter (where f.inbound and c.status = 'voicemail'),
      count(*) filter (where f.inbound and c.status = 'answered' and f.within_sl),
      coalesce(sum(c.wait_seconds) filter (where f.inbound and c.status = 'answered'), 0),
      count(*) filter (where c.status = 'answered'),
      coalesce(sum(c.handle_seconds) filter (where c.status = 'answered'), 0),
      count(*) filter (where f.inbound and c.status = 'answered'),
      count(*) filter (where f.inbound and c.status = 'answered' and not f.repeated),
      coalesce(sum(s.csat_count), 0), coalesce(sum(s.csat_positive), 0),
      coalesce(sum(s.nps_count), 0), coalesce(sum(s.nps_promoters), 0), coalesce(sum(s.nps_detractors), 0),
      count(*) filter (where f.inbound and c.status = 'self_served'),
      -- Met automation (src/domain/kpis/definitions.ts metAutomation): handled by it, or escalated from it.
      count(*) filter (where f.inbound and (c.handled_by = 'automation' or c.escalated_from_automation)),
      count(*) filter (where f.inbound and c.escalated_from_automation),
      coalesce(sum(s.csat_count) filter (where f.inbound and c.status = 'self_served'), 0),
      coalesce(sum(s.csat_positive) filter (where f.inbound and c.status = 'self_served'), 0),
      count(c.sentiment),
      count(*) filter (where c.sentiment->>'label' = 'positive'),
      count(*) filter (where jsonb_typeof(c.sentiment->'score') = 'number'),
      -- Scores in thousandths, rounded half away from zero like sentimentMilli (numeric round).
      coalesce(sum(round((c.sentiment->>'score')::numeric * 1000)) filter (where jsonb_typeof(c.sentiment->'score') = 'number'), 0),
      coalesce(sum(f.repeat_handle) filter (where f.inbound and c.status = 'answered'), 0),
      coalesce(sum(c.wait_seconds) filter (where f.inbound and (c.status in ('answered', 'missed', 'voicemail') or (c.status = 'abandoned' and not f.short))), 0),
      count(*) filter (where c.status = 'answered' and jsonb_array_length(c.agents) > 1),
      count(*) filter (where c.first_time_caller or c.crm_lead)
    from ${keys}
    join calls c on c.tenant_id = ${tenantId}
      and c.started_at >= ((k.hour_key || ':00')::timestamp at time zone ${tz}) - interval '3 hours'
      and c.started_at < ((k.hour_key || ':00')::timestamp at time zone ${tz}) + interval '4 hours'
      and to_char(c.started_at at time zone ${tz}, ${HOUR_KEY_FORMAT}) = k.hour_key
      ${join}
    cross join lateral (
      select c.direction = 'inbound' as inbound,
        c.wait_seconds < ${basis.shortAbandonSeconds} as short,
        c.wait_seconds <= ${basis.serviceLevelSeconds} as within_sl,
        r.handle_seconds is not null as repeated,
        r.handle_seconds as repeat_handle
      from (select 1) one
      -- FCR (src/domain/kpis/fcr.ts): the next inbound call of the number, in (startedAt, id)
      -- order, starts within the window: it is the repeat (repeatCallsCost counts its handle time).
      left join lateral (
        select n.handle_seconds from calls n
        where c.direction = 'inbound' and c.status = 'answered' and c.external_number is not null
          and n.tenant_id = c.tenant_id and n.external_number = c.external_number and n.direction = 'inbound'
          and (n.started_at, n.id) > (c.started_at, c.id)
          and n.started_at <= c.started_at + make_interval(days => ${basis.fcrWindowDays})
        order by n.started_at, n.id
        limit 1
      ) r on true
    ) f
    -- The agent the call counts under: the one its agent is linked to (same person), else its own.
    cross join lateral (select ${canonicalAgentIdSql(sql`c.tenant_id`, sql`c.agent_id`)} as agent_id) ag
    left join lateral (
      select count(r.csat) as csat_count, count(*) filter (where r.csat >= 4) as csat_positive,
        count(r.nps) as nps_count, count(*) filter (where r.nps >= 9) as nps_promoters,
        count(*) filter (where r.nps <= 6) as nps_detractors
      from survey_responses r where r.tenant_id = c.tenant_id and r.call_id = c.id
    ) s on true
    where ${where}
    group by k.hour_key, ag.agent_id, c.queue_name, c.campaign_id, c.provider, c.direction`);
}

/**
 * CSAT and NPS count the responses to inbound calls (contract section 6), and to outbound calls only
 * when the view is filtered to them: a kpi_daily row of kind 'direction' keeps its own direction's
 * responses (direction=outbound reads those), every other kind only those of inbound calls.
 */
const SURVEY_FIELDS = new Set<string>(['csatCount', 'csatPositive', 'npsCount', 'npsPromoters', 'npsDetractors']);
/** kpi_daily's sums from the hour rows `alias`, the survey columns under the rule above. */
const dailySums = (alias: string) =>
  sql.raw(
    kpiSumFields
      .map((f) =>
        SURVEY_FIELDS.has(f)
          ? `coalesce(sum(${alias}.${kpiSumColumnNames[f]}) filter (where d.kind = 'direction' or ${alias}.direction = 'inbound'), 0)`
          : `sum(${alias}.${kpiSumColumnNames[f]})`,
      )
      .join(', '),
  );

/** The dimensions kpi_daily keeps one row per value of ('all' is the whole day). */
export const DAILY_KINDS = PERIOD_DIMS;
export type DailyKind = PeriodDim;

/** kpi_daily's sum columns (every field of kpiSumColumns()), and each summed from `alias`. */
const SUM_COLUMN_LIST = sql.raw(kpiSumFields.map((f) => kpiSumColumnNames[f]).join(', '));
const summed = (alias: string) => sql.raw(kpiSumFields.map((f) => `sum(${alias}.${kpiSumColumnNames[f]})`).join(', '));

/**
 * Rebuild the kpi_daily rows of these local days from kpi_hourly (already current for them): one
 * statement, each hourly row contributing to its day once per kind. The day's hours are the hour
 * keys in [day, day || 'U') ('T' < 'U'), an index range of kpi_hourly's primary key.
 */
export async function rebuildDays(tx: Tx, tenantId: string, days: string[]): Promise<void> {
  if (days.length === 0) return;
  const list = pgArray(days);
  await tx.execute(sql`delete from kpi_daily where tenant_id = ${tenantId} and day = any(${list}::text[])`);
  await tx.execute(sql`
    insert into kpi_daily (tenant_id, kind, day, value, ${SUM_COLUMN_LIST}, handled_hours)
    select ${tenantId}::uuid, d.kind, k.day, d.value, ${dailySums('h')},
      count(distinct h.hour_key) filter (where h.handled_count > 0)
    from unnest(${list}::text[]) as k(day)
    join kpi_hourly h on h.tenant_id = ${tenantId} and h.hour_key >= k.day and h.hour_key < k.day || 'U'
    cross join lateral (values ('all', ''), ('agent', h.agent_id), ('queue', h.queue), ('campaign', h.campaign_id),
      ('provider', h.provider), ('direction', h.direction)) as d(kind, value)
    group by k.day, d.kind, d.value`);
  await rebuildHourRows(tx, tenantId, days);
  await rebuildMonths(tx, tenantId, [...new Set(days.map((d) => d.slice(0, 7)))]);
}

/** kpi_daily's hour rows: kind 'h.<kind>', day the hour key 'YYYY-MM-DDTHH', for groupBy=hour. */
export const hourKind = (kind: DailyKind) => `h.${kind}`;

/**
 * Rebuild the hour rows of these days from kpi_hourly: one row per local hour and dimension value
 * (the hourly rows summed over every other dimension), so that groupBy=hour reads one row per hour
 * instead of every combination of agent, queue, campaign, provider and direction of that hour.
 */
async function rebuildHourRows(tx: Tx, tenantId: string, days: string[]): Promise<void> {
  const list = pgArray(days);
  const hourKinds = pgArray(DAILY_KINDS.map(hourKind));
  await tx.execute(sql`
    delete from kpi_daily d using unnest(${list}::text[]) as k(day)
    where d.tenant_id = ${tenantId} and d.kind = any(${hourKinds}::text[]) and d.day >= k.day and d.day < k.day || 'U'`);
  await tx.execute(sql`
    insert into kpi_daily (tenant_id, kind, day, value, ${SUM_COLUMN_LIST}, handled_hours)
    select ${tenantId}::uuid, 'h.' || d.kind, h.hour_key, d.value, ${dailySums('h')}, (sum(h.handled_count) > 0)::int
    from unnest(${list}::text[]) as k(day)
    join kpi_hourly h on h.tenant_id = ${tenantId} and h.hour_key >= k.day and h.hour_key < k.day || 'U'
    cross join lateral (values ('all', ''), ('agent', h.agent_id), ('queue', h.queue), ('campaign', h.campaign_id),
      ('provider', h.provider), ('direction', h.direction)) as d(kind, value)
    group by h.hour_key, d.kind, d.value`);
}

/** kpi_daily's month rows: kind 'm.<kind>', day 'YYYY-MM', the sums of that month's day rows. */
export const monthKind = (kind: DailyKind) => `m.${kind}`;

/**
 * Rebuild the month rows of these months from their (current) day rows: long ranges grouped by a
 * dimension read one row per month and value instead of one per day and value.
 */
async function rebuildMonths(tx: Tx, tenantId: string, months: string[]): Promise<void> {
  const list = pgArray(months);
  const monthKinds = pgArray(DAILY_KINDS.map(monthKind));
  await tx.execute(sql`delete from kpi_daily where tenant_id = ${tenantId} and kind = any(${monthKinds}::text[]) and day = any(${list}::text[])`);
  await tx.execute(sql`
    insert into kpi_daily (tenant_id, kind, day, value, ${SUM_COLUMN_LIST}, handled_hours)
    select ${tenantId}::uuid, 'm.' || d.kind, m.month, d.value, ${summed('d')}, sum(d.handled_hours)
    from unnest(${list}::text[]) as m(month)
    join kpi_daily d on d.tenant_id = ${tenantId} and d.kind = any(${pgArray(DAILY_KINDS)}::text[])
      and d.day > m.month and d.day < m.month || '-99'
    group by m.month, d.kind, d.value`);
}

export interface RefreshOutcome {
  /** Distinct hours recomputed (coalescing: many dirty marks of one hour are one recomputation). */
  hoursRecomputed: number;
  batches: number;
  tenantGone: boolean;
}

/**
 * Process every dirty hour of the tenant, `batchSize` dirty marks per transaction. `listeners`:
 * the hub's call listeners (this one's included: it marks the hours of the calls rewritten here),
 * which hear the calls rewritten when the default after-call work changed or a late call changed
 * its number's later calls' firstTimeCaller — required, so that no caller forgets them.
 */
export async function refreshTenant(db: Database, tenantId: string, listeners: readonly CallChangeListener[], batchSize = 5000): Promise<RefreshOutcome> {
  const outcome: RefreshOutcome = { hoursRecomputed: 0, batches: 0, tenantGone: false };
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const tenant = await lockTenant(tx, tenantId);
      if (!tenant) {
        await tx.execute(sql`delete from kpi_dirty_hours where tenant_id = ${tenantId}`);
        await tx.execute(sql`delete from lead_dirty_numbers where tenant_id = ${tenantId}`);
        outcome.tenantGone = true;
        return true;
      }
      const basis = await ensureBasis(tx, tenant, listeners);
      // Later calls of numbers whose calls arrived late: their flags change first, so the hours
      // those changes mark are taken below, in this same pass.
      await refreshMarkedNumbers(tx, tenantId, () => listeners);
      const taken = await queryRows<{ hour_key: string; call_group: HourGroupMark['group'] | null }>(
        tx,
        sql`delete from kpi_dirty_hours where id in (
              select id from kpi_dirty_hours where tenant_id = ${tenantId} order by id limit ${batchSize})
            returning hour_key, call_group`,
      );
      if (taken.length === 0) return true;
      // A whole-hour mark covers the groups of its hour; the other hours rebuild only their groups.
      const wholeHours = new Set(taken.filter((r) => r.call_group === null).map((r) => r.hour_key));
      const groups = taken.filter((r) => r.call_group !== null && !wholeHours.has(r.hour_key)).map((r) => ({ hourKey: r.hour_key, group: r.call_group! }));
      const hours = [...new Set(taken.map((r) => r.hour_key))].sort();
      await rebuildHours(tx, tenantId, basis, [...wholeHours].sort());
      await rebuildHourGroups(tx, tenantId, basis, groups);
      await rebuildDays(tx, tenantId, [...new Set(hours.map((h) => h.slice(0, 10)))]);
      outcome.hoursRecomputed += hours.length;
      outcome.batches += 1;
      return false;
    });
    if (done) return outcome;
  }
}

/** Dirty marks of the tenant not yet processed, lead marks included (GET /v1/status counts them as pending jobs). */
export async function pendingDirtyHours(db: Database, tenantId: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from (select 1 from kpi_dirty_hours where tenant_id = ${tenantId} limit 10000) d`,
  );
  return Number(row?.n ?? 0) + (await pendingLeadMarks(db, tenantId));
}

/** Tenants with dirty marks older than `olderThanMs` (a wake-up lost with Redis down, or a mark committed while its job was running). */
export async function tenantsWithStaleDirtyHours(db: Database, olderThanMs: number): Promise<string[]> {
  const rows = await queryRows<{ tenant_id: string }>(
    db,
    sql`select distinct tenant_id from kpi_dirty_hours where marked_at < now() - make_interval(secs => ${olderThanMs / 1000})`,
  );
  return [...new Set([...rows.map((r) => r.tenant_id), ...(await tenantsWithStaleLeadMarks(db, olderThanMs))])];
}
