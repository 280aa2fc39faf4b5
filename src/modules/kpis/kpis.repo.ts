/**
 * Reads of the rollups: one GROUP BY over kpi_hourly for any groupBy and filters (plus the total, as
 * the empty grouping set of the same statement), and staffed time for occupancy.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { emptySums, type KpiSums } from '../../domain/kpis/definitions.js';
import type { KpiGroupBy } from './kpis.schemas.js';
import { pgArray } from './sql-array.js';

export interface RollupFilters {
  provider?: string;
  direction?: string;
  agentId?: string;
  campaignId?: string;
  queue?: string;
}

export interface BusinessHours {
  days: number[];
  startHour: number;
  endHour: number;
}

export interface RollupQuery {
  tenantId: string;
  /** Local hour keys: hours with fromKey ≤ hour_key < toKey. */
  fromKey: string;
  toKey: string;
  groupBy: KpiGroupBy;
  filters: RollupFilters;
  businessHours: BusinessHours | null;
}

/** The row key of a groupBy, from a kpi_hourly row `r` (and its campaign `cp` for the channel). */
function keyOf(groupBy: KpiGroupBy): SQL {
  switch (groupBy) {
    case 'day':
      return sql`left(r.hour_key, 10)`;
    case 'week':
      // ISO week-year and week number, as src/domain/kpis/buckets.ts weekOfDay.
      return sql`to_char(left(r.hour_key, 10)::date, 'IYYY-"W"IW')`;
    case 'month':
      return sql`left(r.hour_key, 7)`;
    case 'agent':
      return sql`nullif(r.agent_id, '')`;
    case 'queue':
      return sql`nullif(r.queue, '')`;
    case 'campaign':
      return sql`nullif(r.campaign_id, '')`;
    case 'channel':
      return sql`cp.channel`;
    case 'provider':
      return sql`r.provider`;
    case 'direction':
      return sql`r.direction`;
  }
}

function whereOf(q: RollupQuery): SQL {
  const parts: SQL[] = [
    sql`r.tenant_id = ${q.tenantId}`,
    sql`r.hour_key >= ${q.fromKey}`,
    sql`r.hour_key < ${q.toKey}`,
  ];
  const f = q.filters;
  if (f.provider !== undefined) parts.push(sql`r.provider = ${f.provider}`);
  if (f.direction !== undefined) parts.push(sql`r.direction = ${f.direction}`);
  if (f.agentId !== undefined) parts.push(sql`r.agent_id = ${f.agentId}`);
  if (f.campaignId !== undefined) parts.push(sql`r.campaign_id = ${f.campaignId}`);
  if (f.queue !== undefined) parts.push(sql`r.queue = ${f.queue}`);
  if (q.businessHours) parts.push(businessHoursCondition(sql`r.hour_key`, q.businessHours));
  return sql.join(parts, sql` and `);
}

/** The local hour key's weekday and hour inside the business hours (hour keys are local time). */
function businessHoursCondition(hourKey: SQL, b: BusinessHours): SQL {
  return sql`(extract(isodow from left(${hourKey}, 10)::date)::int = any(${pgArray(b.days)}::int[])
    and substr(${hourKey}, 12, 2)::int >= ${b.startHour} and substr(${hourKey}, 12, 2)::int < ${b.endHour})`;
}

interface SumsRow {
  is_total: number;
  key: string | null;
  [column: string]: string | number | null;
}

const SUM_COLUMNS: [keyof KpiSums, string][] = [
  ['offered', 'offered'],
  ['answered', 'answered'],
  ['abandoned', 'abandoned'],
  ['shortAbandoned', 'short_abandoned'],
  ['shortAbandonedWithinSl', 'short_abandoned_within_sl'],
  ['missed', 'missed'],
  ['voicemail', 'voicemail'],
  ['answeredWithinSl', 'answered_within_sl'],
  ['waitSumAnswered', 'wait_sum_answered'],
  ['handledCount', 'handled_count'],
  ['handleSumHandled', 'handle_sum_handled'],
  ['fcrEligible', 'fcr_eligible'],
  ['fcrResolved', 'fcr_resolved'],
  ['csatCount', 'csat_count'],
  ['csatPositive', 'csat_positive'],
  ['npsCount', 'nps_count'],
  ['npsPromoters', 'nps_promoters'],
  ['npsDetractors', 'nps_detractors'],
];

export interface GroupedSums {
  rows: { key: string | null; sums: KpiSums; calls: number }[];
  total: { sums: KpiSums; calls: number };
}

export async function rollupSums(db: Executor, q: RollupQuery): Promise<GroupedSums> {
  const sums = sql.join(
    SUM_COLUMNS.map(([, column]) => sql`coalesce(sum(x.${sql.raw(column)}), 0)::bigint as ${sql.raw(column)}`),
    sql`, `,
  );
  const channelJoin =
    q.groupBy === 'channel' ? sql`left join campaigns cp on cp.tenant_id = r.tenant_id and cp.id::text = r.campaign_id` : sql``;
  const rows = await queryRows<SumsRow>(
    db,
    sql`select grouping(x.k) as is_total, x.k as key, ${sums},
          coalesce(sum(x.calls), 0)::bigint as calls,
          -- callsPerHour: distinct local clock hours with a handled call, per row.
          count(distinct x.hour_key) filter (where x.handled_count > 0) as handled_hours
        from (select r.*, ${keyOf(q.groupBy)} as k from kpi_hourly r ${channelJoin} where ${whereOf(q)}) x
        group by grouping sets ((x.k), ())
        order by grouping(x.k), x.k nulls last`,
  );
  const result: GroupedSums = { rows: [], total: { sums: emptySums(), calls: 0 } };
  for (const row of rows) {
    const s = emptySums();
    for (const [field, column] of SUM_COLUMNS) (s as unknown as Record<string, number>)[field] = Number(row[column]);
    s.handledHours = Number(row.handled_hours);
    const entry = { sums: s, calls: Number(row.calls) };
    if (Number(row.is_total) === 1) result.total = entry;
    else result.rows.push({ key: row.key, ...entry });
  }
  return result;
}

export interface StaffedRow {
  key: string | null;
  staffedSeconds: number;
  handleSeconds: number;
}

/**
 * Staffed time per row (agent, or the hours of a day/week/month) from tenant schedules and provider
 * availability, merged (range_agg: overlapping sources are not counted twice), and the handle time
 * of the agents' handled calls in the hours they were staffed. An agent's availability runs from an
 * `available` event to that agent's next event; the last one is open until now (never beyond).
 */
export async function staffedSums(
  db: Executor,
  q: RollupQuery & { timezone: string; fromInstant: Date; toInstant: Date },
): Promise<{ rows: StaffedRow[]; total: StaffedRow | null }> {
  const key =
    q.groupBy === 'agent'
      ? sql`p.agent_id`
      : q.groupBy === 'week'
        ? sql`to_char(left(p.hour_key, 10)::date, 'IYYY-"W"IW')`
        : q.groupBy === 'month'
          ? sql`left(p.hour_key, 7)`
          : sql`left(p.hour_key, 10)`;
  const tz = q.timezone;
  const lo = q.fromInstant.toISOString();
  const hi = q.toInstant.toISOString();
  const agentFilter = q.filters.agentId === undefined ? sql`true` : sql`agent_id = ${q.filters.agentId}`;
  const hoursFilter = q.businessHours ? businessHoursCondition(sql`h.hour_key`, q.businessHours) : sql`true`;
  const rows = await queryRows<{ is_total: number; key: string | null; staffed: string; handle: string }>(
    db,
    sql`with presence as (
          select agent_id, at, state, lead(at) over (partition by agent_id order by at, state) as next_at
          from agent_presence_events where tenant_id = ${q.tenantId} and at < ${hi}::timestamptz and ${agentFilter}
        ), intervals as (
          select agent_id, tstzrange(at, coalesce(next_at, least(now(), ${hi}::timestamptz))) as r
          from presence
          where state = 'available' and coalesce(next_at, least(now(), ${hi}::timestamptz)) > at
          union all
          select agent_id, tstzrange(starts_at, ends_at) from agent_schedules
          where tenant_id = ${q.tenantId} and starts_at < ${hi}::timestamptz and ends_at > ${lo}::timestamptz and ${agentFilter}
        ), staffed as (
          select agent_id, range_agg(r) as mr from intervals group by agent_id
        ), hours as (
          -- Local clock hours, each the instants from its local start to the next one: they tile
          -- the range exactly, DST days included.
          select to_char(h, ${'YYYY-MM-DD"T"HH24'}) as hour_key,
            tstzrange(h at time zone ${tz}, (h + interval '1 hour') at time zone ${tz}) as r
          from generate_series((${q.fromKey} || ':00')::timestamp, (${q.toKey} || ':00')::timestamp - interval '1 hour', interval '1 hour') h
        ), per_hour as (
          select s.agent_id, h.hour_key, sum(extract(epoch from upper(x) - lower(x))) as seconds
          from staffed s join hours h on s.mr && h.r and ${hoursFilter}
          cross join lateral unnest(s.mr * tstzmultirange(h.r)) as x
          group by s.agent_id, h.hour_key
        ), handled as (
          select agent_id, hour_key, sum(handle_sum_handled) as handle from kpi_hourly
          where tenant_id = ${q.tenantId} and hour_key >= ${q.fromKey} and hour_key < ${q.toKey} and agent_id <> ''
          group by agent_id, hour_key
        ), p as (
          select per_hour.*, coalesce(handled.handle, 0) as handle
          from per_hour left join handled using (agent_id, hour_key) where per_hour.seconds > 0
        )
        select grouping(${key}) as is_total, ${key} as key, sum(p.seconds)::text as staffed, sum(p.handle)::text as handle
        from p group by grouping sets ((${key}), ())`,
  );
  const out: { rows: StaffedRow[]; total: StaffedRow | null } = { rows: [], total: null };
  for (const row of rows) {
    if (row.staffed === null) continue;
    const entry = { key: row.key, staffedSeconds: Number(row.staffed), handleSeconds: Number(row.handle) };
    if (Number(row.is_total) === 1) out.total = entry;
    else out.rows.push(entry);
  }
  return out;
}
