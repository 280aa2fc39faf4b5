/**
 * The ROI module's call listener, in the call's own transaction:
 * - a call that arrives or changes may be a touch of won deals (or stop being one): their stored
 *   credits are recomputed now, so `attributedRevenue` never lags behind the call. Only the deals
 *   concerned are looked at: same number, closed within the default window after the call, or
 *   already crediting the call;
 * - a call whose allocation fields change marks its local days (before and after) for the
 *   `roi-refresh` job, and wakes it.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import { attributionCredits, crmContacts, crmDeals } from '../../db/schema/index.js';
import { col, idList, pgArray } from '../../db/sql.js';
import type { Tx } from '../../db/client.js';
import type { CallChange, CallChangeListener } from '../calls/index.js';
import { copyCallFields, recomputeStoredCredits } from './credits.js';
import { instantMarks, markInstants } from './days.store.js';

const TOUCH_FIELDS = ['externalNumber', 'startedAt', 'direction', 'status'] as const;
/** The call fields copied onto its credits and first touches (./credits.ts COPIED and FIRST_TOUCH_COPIED). */
const COPIED_FIELDS = ['startedAt', 'campaignId', 'agentId', 'queueName', 'provider', 'direction', 'firstTimeCaller', 'crmLead'] as const;

function touchChanged(change: CallChange): boolean {
  return changed(change, TOUCH_FIELDS);
}

function changed(change: CallChange, fields: readonly (keyof CallChange['after'])[]): boolean {
  if (!change.before) return true;
  return fields.some((f) => {
    const a = change.before![f];
    const b = change.after[f];
    return a instanceof Date && b instanceof Date ? a.getTime() !== b.getTime() : a !== b;
  });
}

/**
 * `days`: the days to mark per tenant (callDays); a tenant whose deals are looked up here has its
 * marks sent with that statement (one round trip less per batch) and taken out of `days`.
 */
async function recomputeTouchedCredits(tx: Tx, changes: CallChange[], days: Map<string, Date[]>): Promise<void> {
  // A call already credited, or a deal's first touch, whose grouping fields or lead flags changed
  // (a campaign re-assigned, a lead found later): its credits and first touches follow.
  const copied = new Map<string, string[]>();
  for (const ch of changes) if (ch.before && changed(ch, COPIED_FIELDS)) copied.set(ch.tenantId, [...(copied.get(ch.tenantId) ?? []), ch.after.id]);
  for (const [tenantId, ids] of copied) await copyCallFields(tx, tenantId, sql`${col('a', attributionCredits.callId)} in (${idList(ids)}::uuid)`, { firstTouchesOf: ids });
  const byTenant = new Map<string, CallChange[]>();
  for (const ch of changes.filter(touchChanged)) byTenant.set(ch.tenantId, [...(byTenant.get(ch.tenantId) ?? []), ch]);
  for (const [tenantId, list] of byTenant) {
    const numbers = [...new Set(list.flatMap((ch) => [ch.before?.externalNumber, ch.after.externalNumber]).filter((n): n is string => !!n))];
    const starts = list.flatMap((ch) => [ch.before?.startedAt, ch.after.startedAt]).filter((d): d is Date => !!d).map((d) => d.getTime());
    const earliest = new Date(Math.min(...starts));
    const latest = new Date(Math.max(...starts) + DEFAULT_WINDOW_DAYS * 86_400_000);
    const callIds = list.map((ch) => ch.after.id);
    // Three index-driven branches (GIN on deal phones, GIN on contact phones then deals by
    // contact, credits by call) rather than one OR, which scanned every won deal of the window.
    const numberArray = pgArray(numbers);
    const d = (column: { name: string }) => col('d', column);
    const ct = (column: { name: string }) => col('ct', column);
    const closed = sql`${d(crmDeals.stage)} = 'won' and ${d(crmDeals.closedAt)} >= ${earliest.toISOString()}::timestamptz and ${d(crmDeals.closedAt)} <= ${latest.toISOString()}::timestamptz`;
    const marks = days.get(tenantId);
    days.delete(tenantId);
    const deals = await queryRows<{ id: string }>(
      tx,
      sql`${marks ? sql`with marked as (${instantMarks(tenantId, marks)}) ` : sql``}select ${d(crmDeals.id)} as id from ${crmDeals} d where ${d(crmDeals.tenantId)} = ${tenantId} and ${d(crmDeals.phones)} ?| ${numberArray}::text[] and ${closed}
        union
        select ${d(crmDeals.id)} from ${crmContacts} ct
          join ${crmDeals} d on ${d(crmDeals.tenantId)} = ${tenantId} and ${d(crmDeals.contactExternalId)} = ${ct(crmContacts.externalId)}
          where ${ct(crmContacts.tenantId)} = ${tenantId} and ${ct(crmContacts.phones)} ?| ${numberArray}::text[] and ${closed}
        union
        select ${attributionCredits.dealId} from ${attributionCredits}
        where ${attributionCredits.tenantId} = ${tenantId} and ${attributionCredits.callId} in (${idList(callIds)}::uuid)`,
    );
    if (deals.length > 0) await recomputeStoredCredits(tx, tenantId, deals.map((d) => d.id));
  }
}

/** The call fields a day's rows read. */
const DAY_FIELDS = ['startedAt', 'status', 'handleSeconds', 'agentId', 'queueName', 'campaignId', 'provider', 'direction', 'firstTimeCaller', 'crmLead'] as const;

/** The days to mark, per tenant: those of calls whose allocation fields changed (before and after). */
function callDays(changes: CallChange[]): Map<string, Date[]> {
  const byTenant = new Map<string, Date[]>();
  for (const ch of changes) {
    if (!changed(ch, DAY_FIELDS)) continue;
    const list = byTenant.get(ch.tenantId) ?? [];
    list.push(ch.after.startedAt);
    if (ch.before && ch.before.startedAt.getTime() !== ch.after.startedAt.getTime()) list.push(ch.before.startedAt);
    byTenant.set(ch.tenantId, list);
  }
  // One mark per distinct hour-of-instant is enough: the day is what matters.
  for (const [tenantId, instants] of byTenant) byTenant.set(tenantId, [...new Map(instants.map((d) => [Math.floor(d.getTime() / 3_600_000), d])).values()]);
  return byTenant;
}

/** The credits of the deals the changes touch, and the days they change marked; returns the tenants marked. */
async function applyChanges(tx: Tx, changes: CallChange[]): Promise<string[]> {
  const days = callDays(changes);
  const marked = [...days.keys()];
  await recomputeTouchedCredits(tx, changes, days);
  for (const [tenantId, instants] of days) await markInstants(tx, tenantId, instants);
  return marked;
}

/** Wakes the `roi-refresh` job of a tenant after a call marked days (delayed: not yet committed). */
export type RoiNotifier = (tenantId: string) => void;

export function roiCallListener(notify: RoiNotifier = () => undefined): CallChangeListener {
  return {
    onCallsChanged: async (tx, changes) => {
      for (const tenantId of await applyChanges(tx, changes)) notify(tenantId);
    },
    // A call folded into another is gone (its credits with it): the deals of its number are
    // recomputed, and its days rebuilt without it. Seen as a change from the row to nothing.
    onCallsRemoved: async (tx, removed) => {
      const asChanges = removed.map(({ tenantId, row }) => ({ tenantId, before: null, after: row }));
      for (const tenantId of await applyChanges(tx, asChanges)) notify(tenantId);
    },
  };
}
