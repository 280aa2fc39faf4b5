/**
 * GET /v1/calls as CSV: every call matching the filters, newest first, streamed. Keyset pages of
 * PAGE calls are read one after the other and written as they come, waiting for the socket to
 * drain, so a million calls never sit in memory at once; a client that goes away stops the reads.
 */
import { once } from 'node:events';
import type { Response } from 'express';
import type { Database } from '../../db/client.js';
import { csvLine, flattenRecord } from '../../http/csv.js';
import { listCalls } from './calls.repo.js';
import type { ListCallsQuery } from './calls.schemas.js';
import { callView } from './calls.view.js';

const PAGE = 1000; // the largest page listCalls serves

/** The columns: the call's fields, nested ones dotted, lists joined by "; " (agents by id). */
export const CALL_CSV_COLUMNS = [
  'id', 'provider', 'connectionId', 'providerCallId', 'direction', 'status', 'externalNumber', 'trackingNumber',
  'startedAt', 'answeredAt', 'endedAt', 'waitSeconds', 'talkSeconds', 'holdSeconds', 'afterCallWorkSeconds', 'handleSeconds',
  'agent.id', 'agent.name', 'agents', 'offeredAgents', 'queue.id', 'queue.name', 'tags', 'recordingUrl',
  'telephonyCost.amount', 'telephonyCost.currency', 'campaignId', 'attributedRevenue', 'createdAt', 'updatedAt',
] as const;

export async function streamCallsCsv(db: Database, tenantId: string, q: ListCallsQuery, res: Response): Promise<void> {
  res.status(200);
  res.type('text/csv; charset=utf-8');
  res.set('Content-Disposition', 'attachment; filename="callroi-calls.csv"');
  let cursor: string | undefined = q.cursor;
  try {
    let chunk = csvLine([...CALL_CSV_COLUMNS]);
    do {
      const page = await listCalls(db, tenantId, { ...q, cursor, limit: PAGE });
      for (const row of page.rows) {
        const flat = flattenRecord(callView(row));
        chunk += csvLine(CALL_CSV_COLUMNS.map((c) => flat[c]));
      }
      if (res.destroyed) return;
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      chunk = '';
      cursor = page.nextCursor ?? undefined;
    } while (cursor && !res.destroyed);
    res.end();
  } catch {
    // The status line is gone: cut the transfer so the client sees an incomplete file, not a short one.
    res.destroy();
  }
}
