/**
 * `calls` of GET /v1/roi: calls started in [from, to), per row key. Whole tenant-local days come
 * from roi_day_calls (./days.store.ts; dirty days computed now), the partial days at either end
 * of the range from the calls themselves (an index range of at most a day each).
 */
import { eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, type Executor } from '../../db/client.js';
import { calls, campaigns, roiDayCalls, type TenantRow } from '../../db/schema/index.js';
import { dayStartUtc } from '../../domain/costs/prorate.js';
import { pgArray } from '../../db/sql.js';
import { dayDimOf } from './allocation.js';
import { basisCurrent, computeDays, dirtyDaysOf, wholeDaysInRange, type RoiReadState } from './days.store.js';
import { c, callKeySql, callsWithCampaign, isTimeGrouping, timeKey, type GroupBy, type RowKey } from './dimensions.js';

async function liveCounts(db: Executor, tenant: TenantRow, from: Date, to: Date, groupBy: GroupBy, into: Map<RowKey, number>): Promise<void> {
  if (from >= to) return;
  const rows = await queryRows<{ key: string | null; n: string }>(
    db,
    sql`select ${callKeySql(groupBy, tenant.timezone)} as key, count(*)::text as n
        from ${callsWithCampaign}
        where ${c(calls.tenantId)} = ${tenant.id} and ${c(calls.startedAt)} >= ${from.toISOString()}::timestamptz and ${c(calls.startedAt)} < ${to.toISOString()}::timestamptz
        group by 1`,
  );
  for (const r of rows) into.set(r.key, (into.get(r.key) ?? 0) + Number(r.n));
}

/** `state`: the request's read state (./days.store.ts readRoiState), when the caller has it. */
export async function callCounts(db: Executor, tenant: TenantRow, range: { from: Date; to: Date }, groupBy: GroupBy, state?: RoiReadState): Promise<Map<RowKey, number>> {
  const counts = new Map<RowKey, number>();
  const nextStart = (day: string) => dayStartUtc(DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!, tenant.timezone);
  const whole = wholeDaysInRange(range.from, range.to, tenant.timezone);
  const first = whole[0];
  const last = whole[whole.length - 1];
  const [current, dirty] = await Promise.all([
    state?.current ?? basisCurrent(db, tenant),
    first && last ? dirtyDaysOf(db, tenant, first, last, state) : Promise.resolve([]),
  ]);
  if (!first || !last || !current) {
    await liveCounts(db, tenant, range.from, range.to, groupBy, counts);
    return counts;
  }
  // The partial days at both ends, concurrently (separate maps: no interleaved updates).
  const edges = [new Map<RowKey, number>(), new Map<RowKey, number>()] as const;
  await Promise.all([
    liveCounts(db, tenant, range.from, dayStartUtc(first, tenant.timezone), groupBy, edges[0]),
    liveCounts(db, tenant, nextStart(last), range.to, groupBy, edges[1]),
  ]);
  for (const edge of edges) for (const [key, n] of edge) counts.set(key, (counts.get(key) ?? 0) + n);

  const dim = dayDimOf(groupBy);
  const time = isTimeGrouping(groupBy);
  const channelOf =
    groupBy === 'channel'
      ? new Map((await db.select({ id: campaigns.id, channel: campaigns.channel }).from(campaigns).where(eq(campaigns.tenantId, tenant.id))).map((c) => [c.id, c.channel]))
      : null;
  const keyOf = (value: string | null, day: string | null): RowKey =>
    isTimeGrouping(groupBy) ? timeKey(groupBy, day!) : channelOf ? (value === null ? null : (channelOf.get(value) ?? null)) : value;
  const add = (key: RowKey, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);

  const t = roiDayCalls;
  const stored = await queryRows<{ value: string | null; day: string | null; n: string }>(
    db,
    sql`select ${t.value} as value, ${time ? sql`to_char(${t.day}, 'YYYY-MM-DD')` : sql`null::text`} as day, sum(${t.calls})::text as n
        from ${t}
        where ${t.tenantId} = ${tenant.id} and ${t.dim} = ${dim} and ${t.day} >= ${first}::date and ${t.day} <= ${last}::date
          and ${t.day} <> all(${pgArray(dirty)}::date[])
        group by 1, 2`,
  );
  for (const r of stored) add(keyOf(r.value, r.day), Number(r.n));
  if (dirty.length > 0) {
    for (const r of (await computeDays(db, tenant, dirty)).counts) if (r.dim === dim) add(keyOf(r.value, r.day), r.calls);
  }
  return counts;
}
