/**
 * Stored credits of the default model (last_touch, default window), the source of each call's
 * `attributedRevenue`. Recomputed per deal, for the deals that changed only: a deal won, changed
 * or deleted, or a call that is (or was) one of its touches.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor, type Tx } from '../../db/client.js';
import { attributionCredits, calls } from '../../db/schema/index.js';
import { attribute, attributionModels, DEFAULT_ATTRIBUTION_MODEL, DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import { createHash } from 'node:crypto';
import { crmDeals, dealAttributionSent, dealFirstTouches } from '../../db/schema/index.js';
import { formatCents } from '../../domain/money.js';
import { emitCallsEnriched, subscribedTo, writeOutbox } from '../subscriptions/index.js';
import type { WonDeal } from './touches.js';
import { col, idList, names } from '../../db/sql.js';

const ac = attributionCredits;
import { markInstants } from './days.store.js';
import { wonDealsWithTouches } from './touches.js';

const BATCH = 1000;

/**
 * Recompute the stored credits of these deals from the deals and calls as they are now.
 * `forget`: the deals are about to be deleted; their credits go as if they were no longer won.
 */
export async function recomputeStoredCredits(tx: Tx, tenantId: string, dealIds: readonly string[], opts: { forget?: boolean } = {}): Promise<{ deals: number; calls: number }> {
  const ids = [...new Set(dealIds)].sort();
  if (ids.length === 0) return { deals: 0, calls: 0 };
  // One lock per deal, taken in a fixed order: a call arriving and a bulk upload touching the
  // same deal recompute it one after the other, the second seeing the first's committed rows.
  await tx.execute(
    sql`select count(pg_advisory_xact_lock(hashtextextended('attribution/' || x, 0))) from (${idList(ids)} as x order by 1) s`,
  );
  const removed = await queryRows<{ call_id: string; deal_closed_at: string | null }>(
    tx,
    sql`delete from ${ac} where ${ac.tenantId} = ${tenantId} and ${ac.dealId} in (${idList(ids)}::uuid)
        returning ${ac.callId} as call_id, (extract(epoch from ${ac.dealClosedAt}) * 1000)::bigint::text as deal_closed_at`,
  );
  const affected = new Set(removed.map((r) => r.call_id));
  const deals = opts.forget ? [] : await wonDealsWithTouches(tx, tenantId, sql`id in (${idList(ids)}::uuid)`, DEFAULT_WINDOW_DAYS);
  const credits: (typeof attributionCredits.$inferInsert)[] = [];
  for (const deal of deals) {
    const byCall = attribute(
      deal.amountCents,
      deal.touches.map((t) => ({ id: t.callId, startedAt: t.startedAt })),
      DEFAULT_ATTRIBUTION_MODEL,
      deal.closedAt,
    );
    const firstTouchAt = deal.touches[0]?.startedAt ?? null;
    for (const [callId, cents] of byCall) {
      credits.push({ tenantId, dealId: deal.id, callId, cents, firstTouchAt, dealClosedAt: deal.closedAt, dealType: deal.type });
      affected.add(callId);
    }
  }
  for (let i = 0; i < credits.length; i += BATCH) await tx.insert(attributionCredits).values(credits.slice(i, i + BATCH));
  // The deals' first touches (the lead figures), replaced with their credits, with their calls' fields.
  const firstsRemoved = await tx
    .delete(dealFirstTouches)
    .where(and(eq(dealFirstTouches.tenantId, tenantId), inArray(dealFirstTouches.dealId, ids)))
    .returning({ dealClosedAt: dealFirstTouches.dealClosedAt });
  const firsts = deals.flatMap((d) =>
    d.touches[0] ? [{ deal_id: d.id, call_id: d.touches[0].callId, started_at: d.touches[0].startedAt.toISOString(), deal_closed_at: d.closedAt.toISOString() }] : [],
  );
  for (let i = 0; i < firsts.length; i += BATCH) await insertFirstTouches(tx, tenantId, firsts.slice(i, i + BATCH));
  if (credits.length > 0) await copyCallFields(tx, tenantId, sql`${col('a', ac.dealId)} in (${idList(ids)}::uuid)`);
  // The close days whose credits or first touches changed (a deal of zero amount has a first
  // touch and no credit): their roi_day_revenue and roi_day_conversions rows are rebuilt (./days.store.ts).
  const closeInstants = new Map<number, Date>();
  for (const r of firstsRemoved) closeInstants.set(r.dealClosedAt.getTime(), r.dealClosedAt);
  for (const d of deals) if (d.touches.length > 0) closeInstants.set(d.closedAt.getTime(), d.closedAt);
  for (const r of removed) if (r.deal_closed_at) closeInstants.set(Number(r.deal_closed_at), new Date(Number(r.deal_closed_at)));
  for (const c of credits) if (c.dealClosedAt) closeInstants.set(c.dealClosedAt.getTime(), c.dealClosedAt);
  await markInstants(tx, tenantId, [...closeInstants.values()], { revenueOnly: true });
  const callIds = [...affected].sort();
  const revenueChanged: string[] = [];
  for (let i = 0; i < callIds.length; i += BATCH) {
    // attributedRevenue is this module's own column of the call, read by no call listener: the
    // calls whose revenue changes go out as call.enriched from here (with their updatedAt moved).
    const updated = await queryRows<{ id: string }>(tx, sql`
      update ${calls} set ${names(calls.attributedRevenue)} = x.revenue, ${names(calls.updatedAt)} = now()
      from (
        select ${col('c', calls.id)} as id, coalesce((select sum(${col('a', ac.cents)}) from ${ac} a where ${col('a', ac.callId)} = ${col('c', calls.id)}), 0) / 100.0 as revenue
        from ${calls} c where ${col('c', calls.tenantId)} = ${tenantId} and ${col('c', calls.id)} in (${idList(callIds.slice(i, i + BATCH))}::uuid)
      ) x
      where ${calls.id} = x.id and ${calls.attributedRevenue} is distinct from x.revenue
      returning ${calls.id} as id`);
    revenueChanged.push(...updated.map((r) => r.id));
  }
  await emitCallsEnriched(tx, tenantId, revenueChanged);
  await emitDealsAttributed(tx, tenantId, ids, deals);
  return { deals: ids.length, calls: callIds.length };
}

/** The call fields copied onto its credits (named alike in both tables). */
const COPIED = ['startedAt', 'campaignId', 'agentId', 'queueName', 'provider', 'direction'] as const;
/** The call fields copied onto the first touches it is (named alike in both tables): grouping fields and lead flags. */
const FIRST_TOUCH_COPIED = ['campaignId', 'agentId', 'queueName', 'provider', 'direction', 'firstTimeCaller', 'crmLead'] as const;

const ft = dealFirstTouches;

/** Insert first touches (deal, call, the touch's startedAt, the deal's closedAt) with their calls' fields as they are now. */
async function insertFirstTouches(tx: Tx, tenantId: string, rows: readonly { deal_id: string; call_id: string; started_at: string; deal_closed_at: string }[]): Promise<void> {
  await tx.execute(sql`
    insert into ${ft} (${names(ft.dealId, ft.tenantId, ft.callId, ft.startedAt, ft.dealClosedAt, ...FIRST_TOUCH_COPIED.map((f) => ft[f]))})
    select x.deal_id, ${tenantId}::uuid, x.call_id, x.started_at, x.deal_closed_at, ${sql.join(FIRST_TOUCH_COPIED.map((f) => col('c', calls[f])), sql`, `)}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(deal_id uuid, call_id uuid, started_at timestamptz, deal_closed_at timestamptz)
    join ${calls} c on ${col('c', calls.id)} = x.call_id`);
}

/**
 * Copy the calls' grouping fields onto their credits (selected by `filter` over
 * attribution_credits `a`): GET /v1/roi groups stored credits without reading calls.
 * `firstTouchesOf`: calls whose fields (FIRST_TOUCH_COPIED) are copied onto the first touches
 * they are too, in the same statement (the lead figures read those without reading calls).
 */
export async function copyCallFields(tx: Executor, tenantId: string, filter: SQL, opts: { firstTouchesOf?: readonly string[] } = {}): Promise<void> {
  const f = (column: { name: string }) => col('f', column);
  const firstTouches =
    opts.firstTouchesOf && opts.firstTouchesOf.length > 0
      ? sql`with first_touches as (
          update ${ft} f
          set ${sql.join(FIRST_TOUCH_COPIED.map((k) => sql`${names(ft[k])} = ${col('c', calls[k])}`), sql`, `)}
          from ${calls} c
          where ${f(ft.tenantId)} = ${tenantId} and ${f(ft.callId)} in (${idList(opts.firstTouchesOf)}::uuid) and ${col('c', calls.id)} = ${f(ft.callId)}
            and (${sql.join(FIRST_TOUCH_COPIED.map((k) => f(ft[k])), sql`, `)}) is distinct from (${sql.join(FIRST_TOUCH_COPIED.map((k) => col('c', calls[k])), sql`, `)})
          returning ${f(ft.dealClosedAt)} as deal_closed_at
        )`
      : sql``;
  const creditsUpdate = sql`update ${ac} a
    set ${sql.join(COPIED.map((f) => sql`${names(ac[f])} = ${col('c', calls[f])}`), sql`, `)}
    from ${calls} c
    where ${col('a', ac.tenantId)} = ${tenantId} and ${col('c', calls.id)} = ${col('a', ac.callId)} and (${filter})
      and (${sql.join(COPIED.map((f) => col('a', ac[f])), sql`, `)}) is distinct from (${sql.join(COPIED.map((f) => col('c', calls[f])), sql`, `)})
    returning ${col('a', ac.dealClosedAt)} as deal_closed_at`;
  const ms = (at: SQL) => sql`(extract(epoch from ${at}) * 1000)::bigint::text`;
  const updated = await queryRows<{ deal_closed_at: string | null }>(
    tx,
    opts.firstTouchesOf && opts.firstTouchesOf.length > 0
      ? sql`${firstTouches}, credits as (${creditsUpdate})
          select ${ms(sql`deal_closed_at`)} as deal_closed_at from credits union all select ${ms(sql`deal_closed_at`)} from first_touches`
      : sql`with credits as (${creditsUpdate}) select ${ms(sql`deal_closed_at`)} as deal_closed_at from credits`,
  );
  // Their close days' roi_day_revenue and roi_day_conversions rows group by these fields: rebuilt.
  const closeInstants = [...new Set(updated.flatMap((r) => (r.deal_closed_at ? [r.deal_closed_at] : [])))].map((ms) => new Date(Number(ms)));
  await markInstants(tx, tenantId, closeInstants, { revenueOnly: true });
}

/**
 * `deal.attributed`: a won deal's credits per call under every model (default window), sent when
 * they differ from the last ones sent (a fingerprint in deal_attribution_sent); a deal that no longer has any
 * (deleted, no longer won) goes out once with `attributed: false` and empty credits.
 */
async function emitDealsAttributed(tx: Tx, tenantId: string, ids: readonly string[], won: readonly WonDeal[]): Promise<void> {
  // Five models per deal are not computed for nobody (a subscriber added later hears the next change).
  if (!(await subscribedTo(tx, tenantId, 'deal.attributed'))) return;
  const rows = await tx
    .select({ id: crmDeals.id, externalId: crmDeals.externalId, currency: crmDeals.currency, stage: crmDeals.stage, fingerprint: dealAttributionSent.fingerprint })
    .from(crmDeals)
    .leftJoin(dealAttributionSent, eq(dealAttributionSent.dealId, crmDeals.id))
    .where(and(eq(crmDeals.tenantId, tenantId), inArray(crmDeals.id, [...ids])));
  const byId = new Map(won.map((d) => [d.id, d]));
  const payloads: Record<string, unknown>[] = [];
  const sent: { dealId: string; tenantId: string; fingerprint: string }[] = [];
  const gone: { dealId: string; tenantId: string; fingerprint: string }[] = [];
  for (const row of rows) {
    const deal = byId.get(row.id);
    const touches = deal?.touches ?? [];
    const credits = Object.fromEntries(
      attributionModels.map((model) => {
        const byCall = deal && touches.length > 0 ? attribute(deal.amountCents, touches.map((t) => ({ id: t.callId, startedAt: t.startedAt })), model, deal.closedAt) : new Map<string, bigint>();
        return [model, [...byCall].map(([callId, cents]) => ({ callId, amount: formatCents(cents) }))];
      }),
    );
    const attributed = touches.length > 0;
    const data = {
      deal: { id: row.id, externalId: row.externalId, stage: row.stage, amount: deal ? formatCents(deal.amountCents) : null, currency: row.currency, type: deal?.type ?? null, closedAt: deal?.closedAt.toISOString() ?? null },
      attributed,
      windowDays: DEFAULT_WINDOW_DAYS,
      touches: touches.map((t) => ({ callId: t.callId, startedAt: t.startedAt.toISOString() })),
      credits,
    };
    // Nothing sent yet and nothing to say: no event.
    const fingerprint = attributed ? createHash('sha256').update(JSON.stringify(data)).digest('base64url') : null;
    if (fingerprint === row.fingerprint) continue;
    (fingerprint === null ? gone : sent).push({ dealId: row.id, tenantId, fingerprint: fingerprint ?? '' });
    payloads.push(data);
  }
  if (gone.length > 0) await tx.delete(dealAttributionSent).where(inArray(dealAttributionSent.dealId, gone.map((g) => g.dealId)));
  for (let i = 0; i < sent.length; i += BATCH) {
    await tx
      .insert(dealAttributionSent)
      .values(sent.slice(i, i + BATCH))
      .onConflictDoUpdate({ target: dealAttributionSent.dealId, set: { fingerprint: sql`excluded.fingerprint` } });
  }
  await writeOutbox(tx, tenantId, 'deal.attributed', payloads, (data) => `deal:${String((data.deal as { id: string }).id)}`);
}
