/**
 * A call that arrives or changes may be a touch of won deals (or stop being one): their stored
 * credits are recomputed in the call's own transaction, so `attributedRevenue` never lags behind
 * the call. Only the deals concerned are looked at: same number, closed within the default window
 * after the call, or already crediting the call.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import type { CallChange, CallChangeListener } from '../calls/recompute.js';
import { copyCallFields, recomputeStoredCredits } from './stored.js';
import { idList } from './touches.js';

const TOUCH_FIELDS = ['externalNumber', 'startedAt', 'direction', 'status'] as const;
/** The call fields copied onto its credits (stored.ts copyCallFields). */
const COPIED_FIELDS = ['startedAt', 'campaignId', 'agentId', 'queueName', 'provider', 'direction'] as const;

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

export const attributionListener: CallChangeListener = {
  onCallsChanged: async (tx, changes) => {
    // A call already credited whose grouping fields changed (a campaign re-assigned): its credits follow.
    const copied = new Map<string, string[]>();
    for (const ch of changes) if (ch.before && changed(ch, COPIED_FIELDS)) copied.set(ch.tenantId, [...(copied.get(ch.tenantId) ?? []), ch.after.id]);
    for (const [tenantId, ids] of copied) await copyCallFields(tx, tenantId, sql`a.call_id in (${idList(ids)}::uuid)`);
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
      // E.164 numbers hold no character that needs quoting in an array literal.
      const numberArray = `{${numbers.join(',')}}`;
      const closed = sql`d.stage = 'won' and d.closed_at >= ${earliest.toISOString()}::timestamptz and d.closed_at <= ${latest.toISOString()}::timestamptz`;
      const deals = await queryRows<{ id: string }>(
        tx,
        sql`select d.id from crm_deals d where d.tenant_id = ${tenantId} and d.phones ?| ${numberArray}::text[] and ${closed}
          union
          select d.id from crm_contacts ct
            join crm_deals d on d.tenant_id = ${tenantId} and d.contact_external_id = ct.external_id
            where ct.tenant_id = ${tenantId} and ct.phones ?| ${numberArray}::text[] and ${closed}
          union
          select deal_id from attribution_credits where tenant_id = ${tenantId} and call_id in (${idList(callIds)}::uuid)`,
      );
      if (deals.length > 0) await recomputeStoredCredits(tx, tenantId, deals.map((d) => d.id));
    }
  },
};
