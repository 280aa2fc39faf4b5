/**
 * `calls` of GET /v1/roi: calls started in [from, to), per row key. Whole tenant-local days come
 * from roi_day_calls (./days.store.ts; dirty days computed now), the partial days at either end
 * of the range from the calls themselves (an index range of at most a day each).
 */
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, readTogether, type Executor } from '../../db/client.js';
import { calls, roiDayCalls, type TenantRow } from '../../db/schema/index.js';
import { dayStartUtc } from '../../domain/costs/prorate.js';
import { pgArray } from '../../db/sql.js';
import { dayDimOf } from './allocation.js';
import { computeDays, storedDaysOf, type RoiReadState } from './days.store.js';
import { c, callKeySql, campaignChannels, callsWithCampaign, isTimeGrouping, timeKey, type GroupBy, type RowKey } from './dimensions.js';

/** Calls started in a row's range, and the leads among them (firstTimeCaller or crmLead). */
export interface CallCount {
  calls: number;
  leads: number;
}

function addTo(into: Map<RowKey, CallCount>, key: RowKey, calls: number, leads: number): void {
  const n = into.get(key);
  if (n) {
    n.calls += calls;
    n.leads += leads;
  } else into.set(key, { calls, leads });
}

async function liveCounts(db: Executor, tenant: TenantRow, from: Date, to: Date, groupBy: GroupBy, into: Map<RowKey, CallCount>): Promise<void> {
  if (from >= to) return;
  const rows = await queryRows<{ key: string | null; n: string; leads: string }>(
    db,
    sql`select ${callKeySql(groupBy, tenant.timezone)} as key, count(*)::text as n,
               count(*) filter (where coalesce(${c(calls.firstTimeCaller)}, false) or ${c(calls.crmLead)})::text as leads
        from ${callsWithCampaign}
        where ${c(calls.tenantId)} = ${tenant.id} and ${c(calls.startedAt)} >= ${from.toISOString()}::timestamptz and ${c(calls.startedAt)} < ${to.toISOString()}::timestamptz
        group by 1`,
  );
  for (const r of rows) addTo(into, r.key, Number(r.n), Number(r.leads));
}

/** `state`: the request's read state (./days.store.ts readRoiState), when the caller has it. */
export async function callCounts(db: Executor, tenant: TenantRow, range: { from: Date; to: Date }, groupBy: GroupBy, state?: RoiReadState): Promise<Map<RowKey, CallCount>> {
  const counts = new Map<RowKey, CallCount>();
  const nextStart = (day: string) => dayStartUtc(DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!, tenant.timezone);
  const { current, first, last, dirty } = await storedDaysOf(db, tenant, range, 'costs-and-counts', state);
  if (!first || !last || !current) {
    await liveCounts(db, tenant, range.from, range.to, groupBy, counts);
    return counts;
  }
  // The partial days at both ends, concurrently (separate maps: no interleaved updates).
  const edges = [new Map<RowKey, CallCount>(), new Map<RowKey, CallCount>()] as const;
  await readTogether(
    db,
    () => liveCounts(db, tenant, range.from, dayStartUtc(first, tenant.timezone), groupBy, edges[0]),
    () => liveCounts(db, tenant, nextStart(last), range.to, groupBy, edges[1]),
  );
  for (const edge of edges) for (const [key, n] of edge) addTo(counts, key, n.calls, n.leads);

  const dim = dayDimOf(groupBy);
  const time = isTimeGrouping(groupBy);
  const channelOf =
    groupBy === 'channel'
      ? await campaignChannels(db, tenant.id)
      : null;
  const keyOf = (value: string | null, day: string | null): RowKey =>
    isTimeGrouping(groupBy) ? timeKey(groupBy, day!) : channelOf ? (value === null ? null : (channelOf.get(value) ?? null)) : value;
  const add = (key: RowKey, n: number, leads: number) => addTo(counts, key, n, leads);

  const t = roiDayCalls;
  const stored = await queryRows<{ value: string | null; day: string | null; n: string; leads: string }>(
    db,
    sql`select ${t.value} as value, ${time ? sql`to_char(${t.day}, 'YYYY-MM-DD')` : sql`null::text`} as day, sum(${t.calls})::text as n, sum(${t.leads})::text as leads
        from ${t}
        where ${t.tenantId} = ${tenant.id} and ${t.dim} = ${dim} and ${t.day} >= ${first}::date and ${t.day} <= ${last}::date
          and ${t.day} <> all(${pgArray(dirty)}::date[])
        group by 1, 2`,
  );
  for (const r of stored) add(keyOf(r.value, r.day), Number(r.n), Number(r.leads));
  if (dirty.length > 0) {
    for (const r of (await computeDays(db, tenant, dirty)).counts) if (r.dim === dim) add(keyOf(r.value, r.day), r.calls, r.leads);
  }
  return counts;
}
