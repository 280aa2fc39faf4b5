/**
 * The dimensions figures are grouped by (contract sections 6 and 7) and the key of a call in each,
 * as SQL over `calls c left join campaigns cp on cp.id = c.campaign_id`. Keys: day `YYYY-MM-DD`,
 * week `YYYY-Www` (ISO week), month `YYYY-MM`, all in the tenant's timezone by `startedAt`;
 * agent (the call's `agent`) and campaign: ids; queue, channel, provider, direction: names.
 * A call without the dimension has the key null.
 */
import { sql, type SQL } from 'drizzle-orm';

export const groupByDimensions = ['day', 'week', 'month', 'agent', 'queue', 'campaign', 'channel', 'provider', 'direction'] as const;
export type GroupBy = (typeof groupByDimensions)[number];

export function callKeySql(groupBy: GroupBy, timezone: string): SQL {
  switch (groupBy) {
    case 'day':
      return sql`to_char(c.started_at at time zone ${timezone}, 'YYYY-MM-DD')`;
    case 'week':
      // IYYY/IW: ISO week-year and week (2024-12-30 → 2025-W01), as src/domain/kpis/buckets.ts.
      return sql`to_char(c.started_at at time zone ${timezone}, 'IYYY-"W"IW')`;
    case 'month':
      return sql`to_char(c.started_at at time zone ${timezone}, 'YYYY-MM')`;
    case 'agent':
      return sql`c.agent_id`;
    case 'queue':
      // By name, as the contract and the KPI rollups (a queue reported without a name, such as
      // Twilio's QueueSid alone, falls in the null row there too).
      return sql`c.queue_name`;
    case 'campaign':
      return sql`c.campaign_id::text`;
    case 'channel':
      return sql`cp.channel`;
    case 'provider':
      return sql`c.provider`;
    case 'direction':
      return sql`c.direction`;
  }
}

/** Map key for a nullable dimension key. */
export type RowKey = string | null;
