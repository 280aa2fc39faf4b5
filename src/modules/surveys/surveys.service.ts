/**
 * POST /v1/surveys: bulk upsert of CSAT/NPS responses linked to calls. Each response lands in its
 * call's KPI bucket (the hour and dimensions of the call), so the call's hour is marked dirty.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { calls, surveyResponses } from '../../db/schema/index.js';
import { markCallsDirty } from '../kpis/index.js';
import { surveyRow, type SurveyRow } from './surveys.schemas.js';

export interface BulkAnswer {
  upserted: number;
  rejected: { index: number; error: string }[];
}

export async function upsertSurveys(db: Database, tenantId: string, rows: unknown[]): Promise<BulkAnswer> {
  const rejected: BulkAnswer['rejected'] = [];
  const valid: { index: number; row: SurveyRow }[] = [];
  rows.forEach((raw, index) => {
    const parsed = surveyRow.safeParse(raw);
    if (parsed.success) valid.push({ index, row: parsed.data });
    else rejected.push({ index, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') });
  });

  const ids = [...new Set(valid.flatMap((v) => (v.row.callId ? [v.row.callId] : [])))];
  const providerIds = [...new Set(valid.flatMap((v) => (v.row.callId ? [] : [v.row.providerCallId!])))];
  const byId = new Map<string, { id: string; startedAt: Date }>();
  const byProvider = new Map<string, { id: string; startedAt: Date }>();
  if (ids.length > 0) {
    const found = await db
      .select({ id: calls.id, startedAt: calls.startedAt })
      .from(calls)
      .where(and(eq(calls.tenantId, tenantId), inArray(calls.id, ids)));
    for (const c of found) byId.set(c.id, c);
  }
  if (providerIds.length > 0) {
    const found = await db
      .select({ id: calls.id, startedAt: calls.startedAt, provider: calls.provider, providerCallId: calls.providerCallId })
      .from(calls)
      .where(and(eq(calls.tenantId, tenantId), inArray(calls.providerCallId, providerIds)))
      .orderBy(calls.startedAt, calls.id);
    // The same provider call id on two connections of one provider: the earliest call.
    for (const c of found) {
      const key = `${c.provider}\u0000${c.providerCallId}`;
      if (!byProvider.has(key)) byProvider.set(key, c);
    }
  }

  // One row per (call, respondedAt): the last occurrence in the batch wins, as a later upsert would.
  let notFound = 0;
  const upserts = new Map<string, { callId: string; startedAt: Date; row: SurveyRow }>();
  for (const { index, row } of valid) {
    const call = row.callId ? byId.get(row.callId) : byProvider.get(`${row.provider}\u0000${row.providerCallId}`);
    if (!call) {
      rejected.push({ index, error: row.callId ? 'callId: call not found' : 'providerCallId: call not found' });
      notFound += 1;
      continue;
    }
    const respondedAt = new Date(row.respondedAt);
    upserts.set(`${call.id}\u0000${respondedAt.toISOString()}`, { callId: call.id, startedAt: call.startedAt, row });
  }
  const list = [...upserts.values()];
  if (list.length > 0) {
    await db.transaction(async (tx) => {
      for (let i = 0; i < list.length; i += 1000) {
        await tx
          .insert(surveyResponses)
          .values(
            list.slice(i, i + 1000).map((u) => ({
              id: randomUUID(),
              tenantId,
              callId: u.callId,
              csat: u.row.csat ?? null,
              nps: u.row.nps ?? null,
              respondedAt: new Date(u.row.respondedAt),
            })),
          )
          .onConflictDoUpdate({
            target: [surveyResponses.tenantId, surveyResponses.callId, surveyResponses.respondedAt],
            set: { csat: sql`excluded.csat`, nps: sql`excluded.nps` },
          });
      }
      await markCallsDirty(tx, tenantId, list);
    });
  }
  rejected.sort((a, b) => a.index - b.index);
  return { upserted: valid.length - notFound, rejected };
}
