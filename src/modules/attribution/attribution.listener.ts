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
import { recomputeStoredCredits } from './stored.js';
import { idList } from './touches.js';

const TOUCH_FIELDS = ['externalNumber', 'startedAt', 'direction', 'status'] as const;

function touchChanged(change: CallChange): boolean {
  if (!change.before) return true;
  return TOUCH_FIELDS.some((f) => {
    const a = change.before![f];
    const b = change.after[f];
    return a instanceof Date && b instanceof Date ? a.getTime() !== b.getTime() : a !== b;
  });
}

export const attributionListener: CallChangeListener = {
  onCallsChanged: async (tx, changes) => {
    const byTenant = new Map<string, CallChange[]>();
    for (const ch of changes.filter(touchChanged)) byTenant.set(ch.tenantId, [...(byTenant.get(ch.tenantId) ?? []), ch]);
    for (const [tenantId, list] of byTenant) {
      const numbers = [...new Set(list.flatMap((ch) => [ch.before?.externalNumber, ch.after.externalNumber]).filter((n): n is string => !!n))];
      const starts = list.flatMap((ch) => [ch.before?.startedAt, ch.after.startedAt]).filter((d): d is Date => !!d).map((d) => d.getTime());
      const earliest = new Date(Math.min(...starts));
      const latest = new Date(Math.max(...starts) + DEFAULT_WINDOW_DAYS * 86_400_000);
      const callIds = list.map((ch) => ch.after.id);
      const deals = await queryRows<{ id: string }>(
        tx,
        sql`select id from crm_deals d
            where d.tenant_id = ${tenantId} and d.stage = 'won'
              and d.closed_at >= ${earliest.toISOString()}::timestamptz and d.closed_at <= ${latest.toISOString()}::timestamptz
              and (d.phones ?| array(${idList(numbers)})
                   or d.contact_external_id in (
                     select ct.external_id from crm_contacts ct where ct.tenant_id = ${tenantId} and ct.phones ?| array(${idList(numbers)})))
          union
          select deal_id from attribution_credits where tenant_id = ${tenantId} and call_id in (${idList(callIds)}::uuid)`,
      );
      if (deals.length > 0) await recomputeStoredCredits(tx, tenantId, deals.map((d) => d.id));
    }
  },
};
