/**
 * POST /v1/calls/annotations: what the tenant's own speech analytics (or people) say of calls —
 * sentiment, summary, topics, outcome, who handled it. Stored apart from the call (call_annotations)
 * and applied by every recompute of the call through the listener below, so a call recomputed from
 * its events keeps them; each annotated call is recomputed at once, so the KPI rollups, ROI and
 * outbound webhooks hear the change like any other.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ProviderId } from '../../../connectors/index.js';
import type { Database } from '../../db/client.js';
import { callAnnotations, calls, type CallAnnotationRow, type TenantRow } from '../../db/schema/index.js';
import { prepareRows, type BulkResult, type Rejection } from '../../http/bulk.js';
import type { HandledBy } from '../../domain/automation.js';
import { recomputeCall, type CallChangeListener } from '../calls/index.js';
import { annotationRow, type AnnotationRow } from './annotations.schemas.js';

/** The call listener: hands recompute what annotations say of the call. */
export const annotationListener: CallChangeListener = {
  enrich: async (tx, _tenant, _draft, ref) => {
    const [a] = await tx
      .select()
      .from(callAnnotations)
      .where(and(eq(callAnnotations.connectionId, ref.connectionId), eq(callAnnotations.callKey, ref.callKey)))
      .limit(1);
    return a ? enrichmentOf(a) : {};
  },
  // A batch of one connection's calls: their annotations in one statement.
  enrichMany: async (tx, _tenant, items) => {
    const connectionIds = [...new Set(items.map((i) => i.ref.connectionId))];
    const rows = await tx
      .select()
      .from(callAnnotations)
      .where(and(inArray(callAnnotations.connectionId, connectionIds), inArray(callAnnotations.callKey, [...new Set(items.map((i) => i.ref.callKey))])));
    const byRef = new Map(rows.map((a) => [`${a.connectionId}\u0000${a.callKey}`, a]));
    return items.map(({ ref }) => {
      const a = byRef.get(`${ref.connectionId}\u0000${ref.callKey}`);
      return a ? enrichmentOf(a) : {};
    });
  },
};

function enrichmentOf(a: CallAnnotationRow) {
  return {
    annotatedHandledBy: (a.handledBy as HandledBy | null) ?? null,
    annotation: { sentiment: a.sentiment, summary: a.summary, topics: a.topics, outcome: a.outcome },
  };
}

interface CallRef {
  id: string;
  connectionId: string;
  callKey: string;
  provider: ProviderId;
}

type Stored = Pick<CallAnnotationRow, 'sentiment' | 'summary' | 'topics' | 'outcome' | 'handledBy'>;

/** An annotation over what was stored: fields it names replace, the others stay. */
function applied(stored: Stored, row: AnnotationRow): Stored {
  const next = { ...stored };
  if (row.sentiment !== undefined) next.sentiment = row.sentiment === null ? null : { label: row.sentiment.label, score: row.sentiment.score ?? null, source: 'annotation' };
  if (row.summary !== undefined) next.summary = row.summary;
  if (row.topics !== undefined) next.topics = row.topics;
  if (row.outcome !== undefined) next.outcome = row.outcome;
  if (row.handledBy !== undefined) next.handledBy = row.handledBy;
  return next;
}

export class AnnotationsService {
  constructor(
    private readonly db: Database,
    private readonly listeners: readonly CallChangeListener[],
  ) {}

  async upsert(tenant: TenantRow, rows: unknown[]): Promise<BulkResult> {
    const { valid, rejected } = prepareRows(rows, (r) => annotationRow.parse(r));
    const found = await this.resolve(tenant.id, valid.map((v) => v.value));
    const notFound: Rejection[] = [];
    const targets: { index: number; call: CallRef; row: AnnotationRow }[] = [];
    for (const { index, value } of valid) {
      const call = value.callId ? found.byId.get(value.callId) : found.byProvider.get(`${value.provider}\u0000${value.providerCallId}`);
      if (call) targets.push({ index, call, row: value });
      else notFound.push({ index, error: value.callId ? 'callId: call not found' : 'providerCallId: call not found' });
    }
    if (targets.length > 0) {
      await this.db.transaction(async (tx) => {
        const keys = [...new Set(targets.map((t) => t.call.id))];
        const existing = await tx.select().from(callAnnotations).where(and(eq(callAnnotations.tenantId, tenant.id), inArray(callAnnotations.callId, keys)));
        const state = new Map<string, { call: CallRef; stored: Stored }>(existing.map((e) => [e.callId, { call: targets.find((t) => t.call.id === e.callId)!.call, stored: e }]));
        // In request order: two annotations of one call add up as if sent one after the other.
        for (const t of targets) {
          const before = state.get(t.call.id)?.stored ?? { sentiment: null, summary: null, topics: null, outcome: null, handledBy: null };
          state.set(t.call.id, { call: t.call, stored: applied(before, t.row) });
        }
        const now = new Date();
        const list = [...state.values()].sort((a, b) => (a.call.id < b.call.id ? -1 : 1));
        for (let i = 0; i < list.length; i += 1000) {
          await tx
            .insert(callAnnotations)
            .values(list.slice(i, i + 1000).map(({ call, stored }) => ({ tenantId: tenant.id, connectionId: call.connectionId, callKey: call.callKey, callId: call.id, ...stored, updatedAt: now })))
            .onConflictDoUpdate({
              target: [callAnnotations.connectionId, callAnnotations.callKey],
              set: {
                callId: sql`excluded.call_id`,
                sentiment: sql`excluded.sentiment`,
                summary: sql`excluded.summary`,
                topics: sql`excluded.topics`,
                outcome: sql`excluded.outcome`,
                handledBy: sql`excluded.handled_by`,
                updatedAt: now,
              },
            });
        }
        for (const { call } of list) await recomputeCall(tx, tenant, { id: call.connectionId, provider: call.provider }, call.callKey, [...this.listeners]);
      });
    }
    return { upserted: targets.length, rejected: [...rejected, ...notFound].sort((a, b) => a.index - b.index) };
  }

  private async resolve(tenantId: string, rows: AnnotationRow[]) {
    const ids = [...new Set(rows.flatMap((r) => (r.callId ? [r.callId] : [])))];
    const providerCallIds = [...new Set(rows.flatMap((r) => (r.callId ? [] : [r.providerCallId!])))];
    const columns = { id: calls.id, connectionId: calls.connectionId, callKey: calls.callKey, provider: calls.provider, providerCallId: calls.providerCallId };
    const byId = new Map<string, CallRef>();
    const byProvider = new Map<string, CallRef>();
    if (ids.length > 0) {
      for (const c of await this.db.select(columns).from(calls).where(and(eq(calls.tenantId, tenantId), inArray(calls.id, ids)))) {
        byId.set(c.id, { ...c, provider: c.provider as ProviderId });
      }
    }
    if (providerCallIds.length > 0) {
      const found = await this.db
        .select(columns)
        .from(calls)
        .where(and(eq(calls.tenantId, tenantId), inArray(calls.providerCallId, providerCallIds)))
        .orderBy(calls.startedAt, calls.id);
      // The same provider call id on two connections of one provider: the earliest call (as surveys do).
      for (const c of found) {
        const key = `${c.provider}\u0000${c.providerCallId}`;
        if (!byProvider.has(key)) byProvider.set(key, { ...c, provider: c.provider as ProviderId });
      }
    }
    return { byId, byProvider };
  }
}
