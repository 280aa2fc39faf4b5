/**
 * Reads of the rollups: one statement per GET /v1/kpis (rollupSums: kpi_daily's stored rows, or a
 * GROUP BY over kpi_daily and kpi_hourly, or over kpi_hourly alone for any groupBy and filters),
 * and staffed time for occupancy.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { kpiSumColumnNames, kpiSumFields } from '../../db/schema/index.js';
import { emptySums, type KpiSums } from '../../domain/kpis/definitions.js';
import type { KpiGroupBy } from './kpis.schemas.js';
import { pgArray } from '../../db/sql.js';
import { canonicalAgentIdSql } from '../agents/index.js';
import { hourKind, monthKind, type DailyKind } from './refresh.js';

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
  /**
   * Only these sums are read (every other one is 0), for a caller that finalizes a few figures:
   * planning a statement of every sum over each kpi_daily part cost GET /v1/roi's inefficiency
   * figures more than reading them (bench/roi.ts). Default: all of them.
   */
  sums?: readonly (keyof KpiSums)[];
}

/** 'YYYY-Qn' of a text starting with 'YYYY-MM' (an hour key, a day or a month: all tenant-local). */
const quarterSql = (text: SQL) => sql`left(${text}, 4) || '-Q' || ((substr(${text}, 6, 2)::int + 2) / 3)::text`;

/** The row key of a groupBy, from a kpi_hourly row `r` (and its campaign `cp` for the channel). */
function keyOf(groupBy: KpiGroupBy): SQL {
  switch (groupBy) {
    case 'hour':
      return sql`r.hour_key`;
    case 'quarter':
      return quarterSql(sql`r.hour_key`);
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

/** Local hour-key ranges [from, to) (several when the middle of a range is read from kpi_daily). */
type HourRanges = [string, string][];

function whereOf(q: RollupQuery, ranges: HourRanges = [[q.fromKey, q.toKey]]): SQL {
  const rangeParts = ranges.map(([from, to]) => sql`(r.hour_key >= ${from} and r.hour_key < ${to})`);
  const parts: SQL[] = [sql`r.tenant_id = ${q.tenantId}`, sql`(${sql.join(rangeParts, sql` or `)})`];
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

/** The summed columns besides `calls` (read on its own): every additive field of kpiSumColumns(). */
const SUM_COLUMNS = kpiSumFields.filter((f) => f !== 'calls').map((f) => [f, kpiSumColumnNames[f]] as [keyof KpiSums, string]);

/** The summed columns a query reads (RollupQuery.sums). */
const sumColumnsOf = (q: RollupQuery) => (q.sums ? SUM_COLUMNS.filter(([f]) => q.sums!.includes(f)) : SUM_COLUMNS);

/**
 * `coalesce(sum(<alias>.c), 0)::bigint as c, …` over the query's columns, as one raw chunk: built
 * from sql`` pieces, a list of every sum was hundreds of chunks for drizzle to walk per statement.
 */
const summedColumns = (q: RollupQuery, alias: string) =>
  sql.raw(sumColumnsOf(q).map(([, c]) => `coalesce(sum(${alias}.${c}), 0)::bigint as ${c}`).join(', '));

export interface GroupedSums {
  rows: { key: string | null; sums: KpiSums; calls: number }[];
  total: { sums: KpiSums; calls: number };
}

/** One GROUP BY over kpi_hourly: answers every query (exported for the tests and the bench). */
export async function hourlyRollupSums(db: Executor, q: RollupQuery): Promise<GroupedSums> {
  const sums = sql.join(
    sumColumnsOf(q).map(([, column]) => sql`coalesce(sum(x.${sql.raw(column)}) ${surveyFilter(q, column, 'x')}, 0)::bigint as ${sql.raw(column)}`),
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
  return surveysOfDirection(q, toGroupedSums(q, rows));
}

const SURVEY_COLUMNS = new Set(['csat_count', 'csat_positive', 'nps_count', 'nps_promoters', 'nps_detractors']);
const SURVEY_FIELDS = ['csatCount', 'csatPositive', 'npsCount', 'npsPromoters', 'npsDetractors'] as const;

/**
 * CSAT and NPS are over the responses to inbound calls, or to outbound calls under direction=outbound
 * (contract section 6). kpi_hourly rows hold their own direction's responses: a survey column of
 * kpi_hourly is summed over the rows of that direction only.
 */
function surveyFilter(q: RollupQuery, column: string, alias: string): SQL {
  if (!SURVEY_COLUMNS.has(column)) return sql``;
  return sql`filter (where ${sql.raw(alias)}.direction = ${q.filters.direction ?? 'inbound'})`;
}

/** groupBy=direction: the other direction's row has no responses counted (kpi_daily keeps them). */
function surveysOfDirection(q: RollupQuery, grouped: GroupedSums): GroupedSums {
  if (q.groupBy !== 'direction') return grouped;
  const counted = q.filters.direction ?? 'inbound';
  for (const row of grouped.rows) if (row.key !== counted) for (const f of SURVEY_FIELDS) row.sums[f] = 0;
  return grouped;
}

/**
 * The statement's rows as sums, and its total row (is_total 1), or with `totalOfRows` the sum of
 * the rows (when they partition the total: exact, integers far below 2^53).
 */
function toGroupedSums(q: RollupQuery, rows: SumsRow[], totalOfRows = false): GroupedSums {
  const result: GroupedSums = { rows: [], total: { sums: emptySums(), calls: 0 } };
  const columns = sumColumnsOf(q);
  const total = result.total.sums as unknown as Record<string, number>;
  for (const row of rows) {
    const s = emptySums();
    const values = s as unknown as Record<string, number>;
    for (const [field, column] of columns) values[field] = Number(row[column]);
    s.handledHours = Number(row.handled_hours);
    const entry = { sums: s, calls: Number(row.calls) };
    if (totalOfRows) {
      // A row sets the read columns and handled hours only (the rest stays empty): they add up.
      for (const [field] of columns) total[field] = total[field]! + values[field]!;
      total.handledHours = total.handledHours! + s.handledHours;
      result.total.calls += entry.calls;
      result.rows.push({ key: row.key, ...entry });
    } else if (Number(row.is_total) === 1) result.total = entry;
    else result.rows.push({ key: row.key, ...entry });
  }
  return result;
}

/** The filter of each kpi_daily dimension. */
const FILTER_KIND: Record<keyof RollupFilters, DailyKind> = {
  provider: 'provider',
  direction: 'direction',
  agentId: 'agent',
  campaignId: 'campaign',
  queue: 'queue',
};

/**
 * Which kpi_daily rows answer the query, or null when only kpi_hourly can: the rows' kind (and the
 * one filtered value), and the kind whose rows make the total (callsPerHour's distinct hours do not
 * add up across values: an unfiltered groupBy=agent takes its total from the 'all' rows).
 */
export function dailyPlan(q: RollupQuery): { rowKind: DailyKind; totalKind: DailyKind; value: string | null } | null {
  if (q.businessHours) return null; // business hours select hours of the day
  const active = (Object.keys(q.filters) as (keyof RollupFilters)[]).filter((f) => q.filters[f] !== undefined);
  if (active.length > 1) return null;
  const filter = active[0];
  const filterKind = filter === undefined ? null : FILTER_KIND[filter];
  const value = filter === undefined ? null : q.filters[filter]!;
  if (q.groupBy === 'hour' || q.groupBy === 'day' || q.groupBy === 'week' || q.groupBy === 'month' || q.groupBy === 'quarter') {
    const kind = filterKind ?? 'all';
    return { rowKind: kind, totalKind: kind, value };
  }
  if (q.groupBy === 'channel') return null; // a set of campaigns: hours would count twice
  if (filterKind === null) return { rowKind: q.groupBy, totalKind: 'all', value: null };
  if (filterKind === q.groupBy) return { rowKind: filterKind, totalKind: filterKind, value };
  return null;
}

const DAY_MS = 86_400_000;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const nextDay = (day: string) => dayOf(dayMs(day) + DAY_MS);

/**
 * The whole days [firstDay, endDay) as kpi_daily reads: whole months (month rows), and days added
 * or, when a month is mostly inside the range, the month minus its days outside it (sums, and the
 * distinct handled hours of days, subtract exactly). A 30-day range is then about one month row and
 * one day row per value instead of thirty.
 */
export function daySpans(firstDay: string, endDay: string): { months: string[]; plus: [string, string][]; minus: [string, string][] } {
  const out = { months: [] as string[], plus: [] as [string, string][], minus: [] as [string, string][] };
  for (let month = firstDay.slice(0, 7); `${month}-01` < endDay; ) {
    const start = `${month}-01`;
    const next = dayOf(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1));
    const from = firstDay > start ? firstDay : start;
    const to = endDay < next ? endDay : next;
    const inside = (dayMs(to) - dayMs(from)) / DAY_MS;
    const outside = (dayMs(next) - dayMs(start)) / DAY_MS - inside;
    if (outside + 1 < inside) {
      out.months.push(month);
      if (start < from) out.minus.push([start, from]);
      if (to < next) out.minus.push([to, next]);
    } else out.plus.push([from, to]);
    month = next.slice(0, 7);
  }
  return out;
}

/** The row key of a groupBy, from a kpi_daily row `d`. */
function dailyKeyOf(groupBy: KpiGroupBy): SQL {
  if (groupBy === 'day') return sql`d.day`;
  if (groupBy === 'week') return sql`to_char(d.day::date, 'IYYY-"W"IW')`;
  if (groupBy === 'month') return sql`left(d.day, 7)`;
  if (groupBy === 'quarter') return quarterSql(sql`d.day`); // a day row or a month row
  return sql`nullif(d.value, '')`;
}

/**
 * The sums of GET /v1/kpis. The whole local days of the range come from kpi_daily when one
 * dimension at most is involved (see dailyPlan), the partial days at either end from kpi_hourly;
 * groupBy=hour, and groupBy=day over whole days, are kpi_daily's rows as stored (storedRowSums);
 * everything else (two filters, channel, business hours) is one GROUP BY over kpi_hourly.
 */
export async function rollupSums(db: Executor, q: RollupQuery): Promise<GroupedSums> {
  const plan = dailyPlan(q);
  // Whole days: from the first local day starting at or after `from` to the day of `to` (excluded).
  const firstDay = q.fromKey.endsWith('T00') ? q.fromKey.slice(0, 10) : nextDay(q.fromKey.slice(0, 10));
  const endDay = q.toKey.slice(0, 10);
  if (plan && q.groupBy === 'hour') return storedRowSums(db, q, plan, hourKind(plan.rowKind), q.fromKey, q.toKey);
  if (!plan || firstDay >= endDay) return hourlyRollupSums(db, q);

  const edges: HourRanges = [];
  if (q.fromKey < `${firstDay}T00`) edges.push([q.fromKey, `${firstDay}T00`]);
  if (q.toKey > `${endDay}T00`) edges.push([`${endDay}T00`, q.toKey]);
  if (q.groupBy === 'day' && edges.length === 0) return storedRowSums(db, q, plan, plan.rowKind, firstDay, endDay);
  const columns = sumColumnsOf(q);
  const sumCols = (alias: string) =>
    sql.join(columns.map(([, c]) => sql`sum(${sql.raw(`${alias}.${c}`)}) ${surveyFilter(q, c, alias)} as ${sql.raw(c)}`), sql`, `);
  // Month rows only where the row key does not need days (not for groupBy=day or week).
  const spans: ReturnType<typeof daySpans> =
    q.groupBy === 'day' || q.groupBy === 'week' ? { months: [], plus: [[firstDay, endDay]], minus: [] } : daySpans(firstDay, endDay);
  const dayRanges = (ranges: [string, string][]) =>
    sql.join(ranges.map(([from, to]) => sql`(d.day >= ${from} and d.day < ${to})`), sql` or `);
  const daily = (kind: DailyKind, key: SQL) => {
    const value = plan.value === null || kind === 'all' ? sql`` : sql`and d.value = ${plan.value}`;
    const part = (kindName: string, sign: string, where: SQL) => sql`
      select ${key} as k, ${sql.raw(columns.map(([, c]) => `${sign}d.${c} as ${c}`).join(', '))},
        ${sql.raw(sign)}d.calls as calls, ${sql.raw(sign)}d.handled_hours as handled_hours
      from kpi_daily d where d.tenant_id = ${q.tenantId} and d.kind = ${kindName} ${value} and (${where})`;
    const parts: SQL[] = [];
    if (spans.months.length > 0) parts.push(part(monthKind(kind), '', sql`d.day = any(${pgArray(spans.months)}::text[])`));
    if (spans.plus.length > 0) parts.push(part(kind, '', dayRanges(spans.plus)));
    if (spans.minus.length > 0) parts.push(part(kind, '-', dayRanges(spans.minus)));
    return sql.join(parts, sql` union all `);
  };
  const hourly = (key: SQL) => sql`
    select ${key} as k, ${sumCols('r')}, sum(r.calls) as calls,
      count(distinct r.hour_key) filter (where r.handled_count > 0) as handled_hours
    from kpi_hourly r where ${whereOf(q, edges)} group by 1`;
  const branch = (role: number, kind: DailyKind, dailyKey: SQL, hourlyKey: SQL) =>
    edges.length === 0
      ? sql`select ${sql.raw(String(role))} as is_total, s.* from (${daily(kind, dailyKey)}) s`
      : sql`select ${sql.raw(String(role))} as is_total, s.* from (${daily(kind, dailyKey)} union all ${hourly(hourlyKey)}) s`;
  const select = sql`select x.is_total, x.k as key, ${summedColumns(q, 'x')}, coalesce(sum(x.calls), 0)::bigint as calls,
          coalesce(sum(x.handled_hours), 0)::bigint as handled_hours`;
  const rowsBranch = branch(0, plan.rowKind, dailyKeyOf(q.groupBy), keyOf(q.groupBy));
  // Rows of the total's own kind (time groupings, a dimension filtered by itself) read the same
  // kpi_daily and kpi_hourly rows as the total, each in one row: the total is their sum
  // (./toGroupedSums), not read twice. A row netting to nothing (below) is all zeros: every stored
  // row has calls, so a month minus days without calls left has no day rows left either.
  if (plan.rowKind === plan.totalKind) {
    const rows = await queryRows<SumsRow>(
      db,
      sql`${select} from (${rowsBranch}) x group by x.is_total, x.k having sum(x.calls) <> 0 order by x.k nulls last`,
    );
    return surveysOfDirection(q, toGroupedSums(q, rows, true));
  }
  const rows = await queryRows<SumsRow>(
    db,
    sql`${select}
        from (${rowsBranch} union all ${branch(1, plan.totalKind, sql`null::text`, sql`null::text`)}) x
        group by x.is_total, x.k
        -- A value whose calls all lie on days subtracted from its month nets to nothing: no row.
        having x.is_total = 1 or sum(x.calls) <> 0
        order by x.is_total, x.k nulls last`,
  );
  return surveysOfDirection(q, toGroupedSums(q, rows));
}

/**
 * Answers whose rows are kpi_daily rows as stored, one per key: groupBy=hour from the hour rows
 * (kind 'h.<kind>', one per local hour and value), groupBy=day over whole days from the day rows,
 * the one value filtered or the 'all' rows. One index range, read as it is (no GROUP BY: a
 * statement of every sum planned and aggregated cost more than the reading, bench/kpis.ts), and
 * the total is the rows' sum (./toGroupedSums): the hours or days partition the range, and
 * handled_hours adds up across them (an hour row's is 0 or 1). Stored rows all have calls.
 */
async function storedRowSums(
  db: Executor,
  q: RollupQuery,
  plan: { rowKind: DailyKind; value: string | null },
  kind: string,
  from: string,
  to: string,
): Promise<GroupedSums> {
  const value = plan.value === null || plan.rowKind === 'all' ? sql`` : sql`and d.value = ${plan.value}`;
  const columns = sql.raw(sumColumnsOf(q).map(([, c]) => `d.${c}`).join(', '));
  const rows = await queryRows<SumsRow>(
    db,
    sql`select 0 as is_total, d.day as key, ${columns}, d.calls, d.handled_hours
        from kpi_daily d
        where d.tenant_id = ${q.tenantId} and d.kind = ${kind} ${value} and d.day >= ${from} and d.day < ${to}
        order by d.day`,
  );
  return surveysOfDirection(q, toGroupedSums(q, rows, true));
}

/** Whether the tenant has any staffed time (schedules or provider availability), as a boolean expression. */
export const hasStaffedTimeSql = (tenantId: string) =>
  sql`(exists (select 1 from agent_schedules where tenant_id = ${tenantId})
    or exists (select 1 from agent_presence_events where tenant_id = ${tenantId}))`;

export interface StaffedRow {
  key: string | null;
  staffedSeconds: number;
  handleSeconds: number;
}

/**
 * Staffed time per row (agent, or the hours of an hour/day/week/month/quarter) from tenant schedules and provider
 * availability, merged (range_agg: overlapping sources are not counted twice), and the handle time
 * of the agents' handled calls in the hours they were staffed. An agent's availability runs from an
 * `available` event to that agent's next event; the last one is open until now (never beyond).
 * Most tenants have no staffed time at all: the caller asks first (hasStaffedTimeSql), so as to
 * skip the interval arithmetic for them.
 */
export async function staffedSums(
  db: Executor,
  q: RollupQuery & { timezone: string; fromInstant: Date; toInstant: Date },
): Promise<{ rows: StaffedRow[]; total: StaffedRow | null }> {
  const key =
    q.groupBy === 'agent'
      ? sql`p.agent_id`
      : q.groupBy === 'hour'
        ? sql`p.hour_key`
        : q.groupBy === 'week'
          ? sql`to_char(left(p.hour_key, 10)::date, 'IYYY-"W"IW')`
          : q.groupBy === 'month'
            ? sql`left(p.hour_key, 7)`
            : q.groupBy === 'quarter'
              ? quarterSql(sql`p.hour_key`)
              : sql`left(p.hour_key, 10)`;
  const tz = q.timezone;
  const lo = q.fromInstant.toISOString();
  const hi = q.toInstant.toISOString();
  // A linked agent's availability and schedules are the person's: they count under the agent it is
  // linked to (overlaps merged by range_agg), and a filter names that agent (kpis.service maps it).
  const canonical = canonicalAgentIdSql(sql`${q.tenantId}::uuid`, sql`agent_id`);
  const agentFilter = q.filters.agentId === undefined ? sql`true` : sql`${canonical} = ${q.filters.agentId}`;
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
          select ${canonical} as agent_id, range_agg(r) as mr from intervals group by 1
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
