/**
 * Backfill through `GET /v1/calls` (https://developer.aircall.io/api-references/#list-all-calls).
 *
 * Aircall caps: `per_page` ≤ 50, and one query pages through at most 10 000 calls. So the requested
 * window is walked in sub-windows; when page 1 of a sub-window reports `meta.total` > 10 000 the
 * sub-window is halved and asked again. Sub-windows grow back while they stay small.
 * `from` / `to` filter on the call's creation time (unix seconds, both bounds given as is): a call
 * created exactly on a boundary may come twice, which is harmless (same record → same event key).
 * Rate limit (60 requests/min per company): a 429 waits until `X-AircallApi-Reset` (shared getJson).
 */
import { z } from 'zod';
import type { BackfillPage, BackfillWindow, CallEvent, ConnectorContext } from '../contract.js';
import { cursorCodec } from '../shared/cursor.js';
import { providerBase } from '../shared/hosts.js';
import { getJson } from '../shared/http.js';
import { AIRCALL_API_HOSTS, AIRCALL_DEFAULT_BASE_URL, type AircallCredentials } from './credentials.js';
import { aircallCallSchema, callEventFromFacts, toCallFacts } from './events.js';

export const PER_PAGE = 50;
export const MAX_CALLS_PER_QUERY = 10_000;
const MAX_SPAN_S = 7 * 24 * 3600; // a week at a time until a week holds more than 10 000 calls
const MIN_SPAN_S = 60; // below a minute, take what Aircall gives rather than split forever

const cursorSchema = z.object({
  v: z.literal(1),
  /** Sub-window, unix seconds. */
  from: z.number().int(),
  to: z.number().int(),
  /** Next page of the sub-window to ask for (1-based). */
  page: z.number().int().min(1),
  /** Width to use for the next sub-window. */
  span: z.number().int().min(1),
});
type Cursor = z.infer<typeof cursorSchema>;
export const backfillCursor = cursorCodec('Aircall', cursorSchema);

const pageSchema = z.object({
  calls: z.array(z.unknown()),
  meta: z.object({
    total: z.number().int().nonnegative().optional(),
    next_page_link: z.string().nullish(),
  }),
});

function callsUrl(creds: AircallCredentials, c: Cursor): string {
  const url = new URL('/v1/calls', creds.baseUrl ?? AIRCALL_DEFAULT_BASE_URL);
  url.searchParams.set('from', String(c.from));
  url.searchParams.set('to', String(c.to));
  url.searchParams.set('order', 'asc');
  url.searchParams.set('per_page', String(PER_PAGE));
  url.searchParams.set('page', String(c.page));
  return url.toString();
}

export function basicAuth(creds: AircallCredentials): string {
  return `Basic ${Buffer.from(`${creds.apiId}:${creds.apiToken}`, 'utf8').toString('base64')}`;
}

/** One REST record → one event; REST uses `sid` for the webhook's `call_uuid` and has no hold data. */
export function restCallToEvent(record: unknown): CallEvent | null {
  const call = aircallCallSchema.safeParse(record);
  if (!call.success) return null;
  return callEventFromFacts(toCallFacts(call.data, 'rest', 'rest', null));
}

export async function* backfill(
  creds: AircallCredentials,
  window: BackfillWindow,
  cursor: string | null,
  ctx: ConnectorContext,
): AsyncGenerator<BackfillPage, void, void> {
  const windowFrom = Math.floor(window.from.getTime() / 1000);
  const windowTo = Math.ceil(window.to.getTime() / 1000);
  if (windowTo <= windowFrom) return;
  providerBase(creds.baseUrl ?? AIRCALL_DEFAULT_BASE_URL, AIRCALL_API_HOSTS, ctx);
  const headers = { authorization: basicAuth(creds), accept: 'application/json' };

  let pos: Cursor = cursor
    ? backfillCursor.decode(cursor)
    : { v: 1, from: windowFrom, to: Math.min(windowFrom + MAX_SPAN_S, windowTo), page: 1, span: MAX_SPAN_S };

  while (pos.from < windowTo) {
    const url = callsUrl(creds, pos);
    const page = pageSchema.parse(await getJson<unknown>(ctx, 'aircall', url, { headers }));
    const total = page.meta.total ?? page.calls.length;
    const width = pos.to - pos.from;

    if (pos.page === 1 && total > MAX_CALLS_PER_QUERY && width > MIN_SPAN_S) {
      const half = Math.max(MIN_SPAN_S, Math.floor(width / 2));
      ctx.logger.info({ from: pos.from, to: pos.to, total }, 'aircall backfill: over 10 000 calls, halving the window');
      pos = { ...pos, to: pos.from + half, span: half };
      continue;
    }

    const events: CallEvent[] = [];
    for (const record of page.calls) {
      const event = restCallToEvent(record);
      if (event) events.push(event);
      else ctx.logger.warn({ url }, 'aircall backfill: skipped a record that is not a call object');
    }

    let next: Cursor | null;
    if (page.meta.next_page_link) {
      next = { ...pos, page: pos.page + 1 };
    } else if (pos.to >= windowTo) {
      next = null;
    } else {
      // Widen again while sub-windows hold under a quarter of the cap.
      const span = total < MAX_CALLS_PER_QUERY / 4 ? Math.min(pos.span * 2, MAX_SPAN_S) : pos.span;
      next = { v: 1, from: pos.to, to: Math.min(pos.to + span, windowTo), page: 1, span };
    }

    const done = next ? next.from - windowFrom : windowTo - windowFrom;
    yield {
      events,
      cursor: next ? backfillCursor.encode(next) : null,
      progress: Math.min(1, done / (windowTo - windowFrom)),
    };
    if (!next) return;
    pos = next;
  }
}
