/**
 * The dimensions figures are grouped by (contract sections 6 and 7) and the key of a call in each,
 * as SQL over `calls c left join campaigns cp on cp.id = c.campaign_id`. Keys: day `YYYY-MM-DD`,
 * week `YYYY-Www` (ISO week), month `YYYY-MM`, quarter `YYYY-Qn`, all in the tenant's timezone by
 * `startedAt`; agent (the call's `agent`, or the agent it is linked to) and campaign: ids; queue, channel, provider, direction:
 * names. A call without the dimension has the key null.
 *
 * Time groupings (`day`, `week`, `month`, `quarter`) are periods: under them a cost's daily share
 * stays in the period of its day and a deal's revenue goes to the period of its `closedAt`
 * (contract section 7). `hour` is not a grouping of GET /v1/roi; the KPI costPerCall asks for it
 * (a day's cost spread over that day's handled calls, which carry it into their hours).
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.js';
import { calls, campaigns } from '../../db/schema/index.js';
import { col } from '../../db/sql.js';
import { canonicalAgentIdSql } from '../agents/index.js';

/** A column of the calls under alias `c` (or of attribution_credits, whose copied call fields bear the same names). */
export const c = (column: { name: string }): SQL => col('c', column);

/** The tenant's campaigns' channels by campaign id: the channel row of figures stored per campaign. */
export async function campaignChannels(db: Executor, tenantId: string): Promise<Map<string, string>> {
  const rows = await db.select({ id: campaigns.id, channel: campaigns.channel }).from(campaigns).where(eq(campaigns.tenantId, tenantId));
  return new Map(rows.map((r) => [r.id, r.channel]));
}

/** `calls c left join campaigns cp`: what callKeySql reads. */
export const callsWithCampaign = sql`${calls} c left join ${campaigns} cp on ${col('cp', campaigns.id)} = ${c(calls.campaignId)}`;

export const timeGroupings = ['day', 'week', 'month', 'quarter'] as const;
export type TimeGrouping = (typeof timeGroupings)[number];

export const groupByDimensions = [...timeGroupings, 'agent', 'queue', 'campaign', 'channel', 'provider', 'direction'] as const;
export type GroupBy = (typeof groupByDimensions)[number];
/** What the cost allocation can key by: GET /v1/roi's groupings and the KPI's clock hour. */
export type AllocationGroupBy = GroupBy | 'hour';

export function isTimeGrouping(groupBy: string): groupBy is TimeGrouping {
  return (timeGroupings as readonly string[]).includes(groupBy);
}

const PERIOD_FORMAT: Record<TimeGrouping | 'hour', string> = {
  day: 'YYYY-MM-DD',
  // IYYY/IW: ISO week-year and week (2024-12-30 → 2025-W01), as src/domain/kpis/buckets.ts.
  week: 'IYYY-"W"IW',
  month: 'YYYY-MM',
  quarter: 'YYYY-"Q"Q',
  hour: 'YYYY-MM-DD"T"HH24',
};

/** The tenant-local period key of an instant (a timestamptz SQL expression). */
export function periodKeySql(groupBy: TimeGrouping | 'hour', instant: SQL, timezone: string): SQL {
  return sql`to_char(${instant} at time zone ${timezone}, ${PERIOD_FORMAT[groupBy]})`;
}

export function callKeySql(groupBy: AllocationGroupBy, timezone: string): SQL {
  switch (groupBy) {
    case 'hour':
    case 'day':
    case 'week':
    case 'month':
    case 'quarter':
      return periodKeySql(groupBy, c(calls.startedAt), timezone);
    case 'agent':
      // The id the call's agent counts under: the first agent of a linked pair (the same person on two providers).
      return canonicalAgentIdSql(c(calls.tenantId), c(calls.agentId));
    case 'queue':
      // By name, as the contract and the KPI rollups (a queue reported without a name, such as
      // Twilio's QueueSid alone, falls in the null row there too).
      return c(calls.queueName);
    case 'campaign':
      return sql`${c(calls.campaignId)}::text`;
    case 'channel':
      return col('cp', campaigns.channel);
    case 'provider':
      return c(calls.provider);
    case 'direction':
      return c(calls.direction);
  }
}

/** A tenant-local day's key under a time grouping, as periodKeySql gives it. */
export function timeKey(groupBy: TimeGrouping, day: string): string {
  switch (groupBy) {
    case 'day':
      return day;
    case 'month':
      return day.slice(0, 7);
    case 'quarter':
      return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
    case 'week':
      return DateTime.fromISO(day, { zone: 'utc' }).toFormat("kkkk-'W'WW");
  }
}

/** The period key of an instant in the tenant's timezone. */
export function timeKeyOfInstant(groupBy: TimeGrouping, at: Date, timezone: string): string {
  return timeKey(groupBy, DateTime.fromJSDate(at, { zone: timezone }).toISODate()!);
}

/** Map key for a nullable dimension key. */
export type RowKey = string | null;
