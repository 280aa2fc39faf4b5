/**
 * Tracking-number assignments: which campaign a number belongs to over time. A call belongs to the
 * campaign whose assignment of its tracking number covers its `startedAt` (contract section 5).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { campaignNumbers, type CampaignNumberRow } from '../../db/schema/index.js';

export interface Period {
  from: Date | null;
  to: Date | null;
}

/** The campaign of a call: the assignment of its tracking number that covers its start. */
export async function campaignAt(db: Executor, tenantId: string, trackingNumber: string | null, startedAt: Date): Promise<string | null> {
  if (!trackingNumber) return null;
  const [row] = await db
    .select({ campaignId: campaignNumbers.campaignId })
    .from(campaignNumbers)
    .where(
      and(
        eq(campaignNumbers.tenantId, tenantId),
        eq(campaignNumbers.number, trackingNumber),
        or(isNull(campaignNumbers.validFrom), lte(campaignNumbers.validFrom, startedAt)),
        or(isNull(campaignNumbers.validTo), gt(campaignNumbers.validTo, startedAt)),
      ),
    )
    // Periods of one number never overlap (assign() trims them); the order only makes a
    // hand-made overlap deterministic: the latest start wins.
    .orderBy(sql`${campaignNumbers.validFrom} desc nulls last`, desc(campaignNumbers.createdAt))
    .limit(1);
  return row?.campaignId ?? null;
}

/** campaignAt for several calls in one statement: one campaign (or null) per call, in order. */
export async function campaignsAt(db: Executor, tenantId: string, list: readonly { trackingNumber: string | null; startedAt: Date }[]): Promise<(string | null)[]> {
  const asked = list.map((c, i) => ({ i, number: c.trackingNumber, at: c.startedAt.toISOString() })).filter((c) => c.number);
  const found = new Map<number, string | null>();
  if (asked.length > 0) {
    const n = campaignNumbers;
    const rows = await queryRows<{ i: number; campaign_id: string | null }>(
      db,
      // The same choice as campaignAt, per call.
      sql`select x.i, (select ${n.campaignId} from ${n}
            where ${n.tenantId} = ${tenantId} and ${n.number} = x.number
              and (${n.validFrom} is null or ${n.validFrom} <= x.at) and (${n.validTo} is null or ${n.validTo} > x.at)
            order by ${n.validFrom} desc nulls last, ${n.createdAt} desc limit 1) as campaign_id
          from jsonb_to_recordset(${JSON.stringify(asked)}::jsonb) as x(i int, number text, at timestamptz)`,
    );
    for (const r of rows) found.set(Number(r.i), r.campaign_id);
  }
  return list.map((_, i) => found.get(i) ?? null);
}

const before = (a: Date | null, b: Date | null) => (a === null ? b !== null : b !== null && a < b);
const after = (a: Date | null, b: Date | null) => (a === null ? b !== null : b !== null && a > b);

function overlaps(a: Period, b: Period): boolean {
  const startsBeforeEnd = a.from === null || b.to === null || a.from < b.to;
  const endsAfterStart = a.to === null || b.from === null || a.to > b.from;
  return startsBeforeEnd && endsAfterStart;
}

/**
 * Assign `number` to `campaignId` over `period`. Whatever assignment of the number overlapped the
 * period (another campaign's, or an older one of the same campaign) is trimmed around it, so each
 * instant has at most one campaign and the history outside the new period is kept.
 *
 * Without an explicit `from`, the number is "moved" now when it already has an assignment
 * (the old period is closed at this moment, calls made before keep their campaign), and holds for
 * all time when it is new.
 */
export async function assign(
  tx: Executor,
  tenantId: string,
  campaignId: string,
  number: string,
  period: { from?: Date | null; to?: Date | null },
  now: Date,
): Promise<void> {
  // Two requests assigning the same new number at once would both see no row to lock.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`campaign-number/${tenantId}/${number}`}, 0))`);
  const existing = await tx
    .select()
    .from(campaignNumbers)
    .where(and(eq(campaignNumbers.tenantId, tenantId), eq(campaignNumbers.number, number)))
    .orderBy(asc(campaignNumbers.createdAt))
    .for('update');
  const from = period.from !== undefined ? period.from : existing.length > 0 ? now : null;
  const to = period.to ?? null;
  const wanted: Period = { from, to };
  for (const old of existing) {
    const oldPeriod: Period = { from: old.validFrom, to: old.validTo };
    if (!overlaps(oldPeriod, wanted)) continue;
    await tx.delete(campaignNumbers).where(eq(campaignNumbers.id, old.id));
    const kept: Period[] = [];
    if (before(old.validFrom, from)) kept.push({ from: old.validFrom, to: from });
    if (to !== null && after(old.validTo, to)) kept.push({ from: to, to: old.validTo });
    for (const p of kept) await insertPeriod(tx, old, p);
  }
  await tx.insert(campaignNumbers).values({ id: randomUUID(), tenantId, campaignId, number, validFrom: from, validTo: to });
}

async function insertPeriod(tx: Executor, like: CampaignNumberRow, p: Period): Promise<void> {
  await tx.insert(campaignNumbers).values({
    id: randomUUID(),
    tenantId: like.tenantId,
    campaignId: like.campaignId,
    number: like.number,
    validFrom: p.from,
    validTo: p.to,
    createdAt: like.createdAt,
  });
}

/** Stop the campaign's assignments of `number` at `now` (future ones are dropped, past ones kept). */
export async function release(tx: Executor, tenantId: string, campaignId: string, number: string, now: Date): Promise<void> {
  const rows = await tx
    .select()
    .from(campaignNumbers)
    .where(and(eq(campaignNumbers.tenantId, tenantId), eq(campaignNumbers.campaignId, campaignId), eq(campaignNumbers.number, number)));
  for (const row of rows) {
    if (row.validTo !== null && row.validTo <= now) continue;
    if (row.validFrom !== null && row.validFrom >= now) await tx.delete(campaignNumbers).where(eq(campaignNumbers.id, row.id));
    else await tx.update(campaignNumbers).set({ validTo: now }).where(eq(campaignNumbers.id, row.id));
  }
}

export async function assignmentsOf(db: Executor, tenantId: string, campaignIds: string[]): Promise<CampaignNumberRow[]> {
  if (campaignIds.length === 0) return [];
  return db
    .select()
    .from(campaignNumbers)
    .where(and(eq(campaignNumbers.tenantId, tenantId), inArray(campaignNumbers.campaignId, campaignIds)))
    .orderBy(asc(campaignNumbers.number), sql`${campaignNumbers.validFrom} asc nulls first`);
}

/** Numbers the campaign holds now or will hold (its closed past periods are history). */
export function currentNumbers(rows: CampaignNumberRow[], now: Date): string[] {
  return [...new Set(rows.filter((r) => r.validTo === null || r.validTo > now).map((r) => r.number))].sort();
}
