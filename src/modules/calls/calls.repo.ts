import { and, desc, eq, gt, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { calls, type CallRow } from '../../db/schema/index.js';
import { BadRequestError } from '../../lib/errors.js';
import type { ListCallsQuery } from './calls.schemas.js';

interface Cursor {
  s: string; // startedAt ISO
  i: string; // id
}

function encodeCursor(row: CallRow): string {
  return Buffer.from(JSON.stringify({ s: row.startedAt.toISOString(), i: row.id } satisfies Cursor)).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.s !== 'string' || typeof c.i !== 'string' || Number.isNaN(Date.parse(c.s))) throw new Error('shape');
    return c;
  } catch {
    throw new BadRequestError('The cursor is not valid; pass the nextCursor of a previous page.', undefined, 'invalid_cursor');
  }
}

/**
 * Newest first, keyset-paginated on (startedAt, id): a page boundary does not move when calls are
 * inserted meanwhile, so no call is skipped or repeated.
 */
export async function listCalls(db: Database, tenantId: string, q: ListCallsQuery) {
  const where: SQL[] = [eq(calls.tenantId, tenantId)];
  if (q.from) where.push(gte(calls.startedAt, new Date(q.from)));
  if (q.to) where.push(lt(calls.startedAt, new Date(q.to)));
  if (q.provider) where.push(eq(calls.provider, q.provider));
  if (q.direction) where.push(eq(calls.direction, q.direction));
  if (q.status) where.push(eq(calls.status, q.status));
  if (q.agentId) where.push(sql`${calls.agents} @> ${JSON.stringify([{ id: q.agentId }])}::jsonb`);
  if (q.campaignId) where.push(eq(calls.campaignId, q.campaignId));
  if (q.queue) where.push(or(eq(calls.queueId, q.queue), eq(calls.queueName, q.queue))!);
  if (q.connectionId) where.push(eq(calls.connectionId, q.connectionId));
  if (q.externalNumber) where.push(eq(calls.externalNumber, q.externalNumber));
  if (q.updatedSince) where.push(gt(calls.updatedAt, new Date(q.updatedSince)));
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    const s = new Date(c.s);
    where.push(or(lt(calls.startedAt, s), and(eq(calls.startedAt, s), lt(calls.id, c.i)))!);
  }
  const rows = await db
    .select()
    .from(calls)
    .where(and(...where))
    .orderBy(desc(calls.startedAt), desc(calls.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return { rows: page, nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!) : null };
}

export async function getCall(db: Database, tenantId: string, id: string): Promise<CallRow | null> {
  const [row] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.tenantId, tenantId), eq(calls.id, id)))
    .limit(1);
  return row ?? null;
}
