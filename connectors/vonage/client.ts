/**
 * Backfill through the Voice API's call list:
 * `GET {apiHost}/v1/calls?date_start&date_end&page_size&record_index&order=asc` (HAL: records in
 * `_embedded.calls`, one record per leg, `_links.next` while more remain),
 * https://developer.vonage.com/en/api/voice#getCalls. The request goes through the official SDK
 * (`@vonage/server-sdk`, `voice.getCallsPage`), which signs the RS256 application JWT with the
 * private key. The SDK's own `getAllCalls` cannot be used: it builds `new URL(next.href)` from a
 * relative href, and it cannot resume from a cursor.
 */
// Loaded on first use: the SDK is tens of MB, and an API process that never backfills never needs it.
import type { Vonage } from '@vonage/server-sdk';
import { z } from 'zod';
import type { BackfillPage, BackfillWindow, CallEvent, ConnectorContext } from '../contract.js';
import { cursorCodec } from '../shared/cursor.js';
import { withRateLimit, type HttpFailure } from '../shared/http.js';
import { toE164 } from '../shared/phone.js';
import { providerBase } from '../shared/hosts.js';
import { apiHostOf, currencyOf, VONAGE_API_HOSTS, VONAGE_MAX_PAGE_SIZE, type VonageCredentials } from './credentials.js';
import type { Endpoint, LegFact } from './events.js';

/** Each window is paged with record_index; a day keeps the index (and a resume) short. */
export const BACKFILL_SLICE_MS = 24 * 60 * 60 * 1000;

/* ------------------------------------------------------------------------------------------------
 * Cursor: the slice being read and the record_index of the next page.
 * ---------------------------------------------------------------------------------------------- */

const cursorSchema = z.object({
  v: z.literal(1),
  /** Start of the slice being read (ISO). */
  sliceStart: z.string(),
  recordIndex: z.number().int().nonnegative(),
});
type Cursor = z.infer<typeof cursorSchema>;

export const backfillCursor = cursorCodec('Vonage', cursorSchema);

/* ------------------------------------------------------------------------------------------------
 * The REST page
 * ---------------------------------------------------------------------------------------------- */

/** `to`/`from` of a call record: an endpoint object (phone, app, sip, websocket, vbc). */
const restEndpointSchema = z.looseObject({
  type: z.string(),
  number: z.string().nullish(),
  user: z.string().nullish(),
  uri: z.string().nullish(),
  extension: z.string().nullish(),
});

const restCallSchema = z.object({
  uuid: z.string().min(1),
  conversation_uuid: z.string().min(1),
  status: z.string().min(1),
  direction: z.string().nullish(),
  from: restEndpointSchema.nullish(),
  to: restEndpointSchema.nullish(),
  start_time: z.string().nullish(),
  end_time: z.string().nullish(),
  price: z.union([z.string(), z.number()]).nullish(),
});
type RestCall = z.infer<typeof restCallSchema>;

const callsPageSchema = z.object({
  _embedded: z.object({ calls: z.array(restCallSchema) }).optional(),
  _links: z.looseObject({ next: z.object({ href: z.string() }).optional() }).optional(),
});

function endpointFromRest(e: z.infer<typeof restEndpointSchema> | null | undefined): Endpoint | null {
  if (!e) return null;
  switch (e.type) {
    case 'phone':
      return e.number
        ? { type: 'phone', id: toE164(e.number, { internationalWithoutPlus: true }) ?? e.number }
        : { type: 'withheld', id: null };
    case 'app':
      return { type: 'app', id: e.user ?? null };
    case 'sip':
      return { type: 'sip', id: e.uri ?? null };
    case 'websocket':
      return { type: 'websocket', id: e.uri ?? null };
    case 'vbc':
      return { type: 'vbc', id: e.extension ?? null };
    default:
      return null;
  }
}

const isoOrNull = (v: string | null | undefined): string | null =>
  v && Number.isFinite(Date.parse(v)) ? new Date(v).toISOString() : null;

/** One REST record (one leg) → one fact. REST records carry no event time (`at` null). */
export function restCallToEvent(call: RestCall, currency: string | null): CallEvent {
  const fact: LegFact = {
    kind: 'leg',
    legId: call.uuid,
    status: call.status.toLowerCase(),
    at: null,
    direction: call.direction === 'inbound' || call.direction === 'outbound' ? call.direction : null,
    from: endpointFromRest(call.from),
    to: endpointFromRest(call.to),
    startTime: isoOrNull(call.start_time),
    endTime: isoOrNull(call.end_time),
    price: call.price === null || call.price === undefined ? null : String(call.price),
    disconnectedBy: null,
    agentHint: null,
    currency,
    conversationId: call.conversation_uuid,
  };
  return {
    callKey: call.conversation_uuid,
    // A later backfill of a leg that has moved on (answered → completed) is a new fact.
    key: `rest:${call.uuid}:${fact.status}:${fact.endTime ?? ''}`,
    source: 'rest',
    data: fact,
  };
}

/* ------------------------------------------------------------------------------------------------
 * Requests, with rate limits
 * ---------------------------------------------------------------------------------------------- */

/** The SDK throws a VetchError carrying the (node-fetch) response: read its status and headers. */
function failureOf(error: unknown): HttpFailure | null {
  if (typeof error !== 'object' || error === null || !('response' in error)) return null;
  const response: unknown = error.response;
  if (typeof response !== 'object' || response === null || !('status' in response)) return null;
  const status = Number(response.status);
  const headers = new Headers();
  const source: unknown = 'headers' in response ? response.headers : null;
  if (typeof source === 'object' && source !== null && 'get' in source && typeof source.get === 'function') {
    const retryAfter: unknown = source.get.call(source, 'retry-after');
    if (typeof retryAfter === 'string') headers.set('retry-after', retryAfter);
  }
  return { status, headers };
}

type CallsPageParams = Parameters<Vonage['voice']['getCallsPage']>[0];

/** The Voice REST API allows 15 requests/s (voice-api/guides/troubleshooting#capacity). */
async function getCallsPage(vonage: Vonage, params: CallsPageParams, ctx: ConnectorContext) {
  const page: unknown = await withRateLimit(ctx, { provider: 'vonage', what: 'GET /v1/calls', failureOf }, () =>
    vonage.voice.getCallsPage(params),
  );
  return callsPageSchema.parse(page);
}

/** record_index of the `_links.next` href (relative, e.g. "/v1/calls?…&record_index=3"). */
function nextRecordIndex(href: string | undefined): number | null {
  if (!href) return null;
  const value = new URL(href, 'https://api.nexmo.com').searchParams.get('record_index');
  const index = value === null ? NaN : Number(value);
  return Number.isInteger(index) && index >= 0 ? index : null;
}

/** Vonage wants `2025-03-10T00:00:00Z` (no milliseconds). */
const vonageDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function* backfill(
  creds: VonageCredentials,
  window: BackfillWindow,
  cursor: string | null,
  ctx: ConnectorContext,
): AsyncGenerator<BackfillPage, void, void> {
  if (!creds.privateKey) {
    throw new Error('Vonage backfill needs the application privateKey in the connection credentials');
  }
  const sdk = await import('@vonage/server-sdk');
  const vonage = new sdk.Vonage(
    { apiKey: creds.apiKey, apiSecret: creds.apiSecret, applicationId: creds.applicationId, privateKey: creds.privateKey },
    // The SDK waits forever unless told (its `timeout` defaults to none); Twilio's defaults to 30 s.
    { apiHost: providerBase(apiHostOf(creds), VONAGE_API_HOSTS, ctx), timeout: 30_000 },
  );
  const from = window.from.getTime();
  const to = window.to.getTime();
  const pageSize = creds.backfillPageSize ?? VONAGE_MAX_PAGE_SIZE;
  const currency = currencyOf(creds);

  let position: Cursor | null = cursor
    ? backfillCursor.decode(cursor)
    : { v: 1, sliceStart: new Date(from).toISOString(), recordIndex: 0 };

  while (position && Date.parse(position.sliceStart) < to) {
    const sliceStart = Date.parse(position.sliceStart);
    const sliceEnd = Math.min(sliceStart + BACKFILL_SLICE_MS, to);
    const page = await getCallsPage(
      vonage,
      {
        dateStart: vonageDate(sliceStart),
        dateEnd: vonageDate(sliceEnd),
        pageSize,
        recordIndex: position.recordIndex,
        order: 'asc',
      },
      ctx,
    );
    const calls = page._embedded?.calls ?? [];
    const next = nextRecordIndex(page._links?.next?.href);
    // A `next` link that does not move forward would loop: treat the slice as done.
    position =
      next !== null && next > position.recordIndex && calls.length > 0
        ? { v: 1, sliceStart: position.sliceStart, recordIndex: next }
        : sliceEnd < to
          ? { v: 1, sliceStart: new Date(sliceEnd).toISOString(), recordIndex: 0 }
          : null;
    yield {
      events: calls.map((c) => restCallToEvent(c, currency)),
      cursor: position ? backfillCursor.encode(position) : null,
      progress: to > from ? Math.min(1, (Math.min(sliceEnd, to) - from) / (to - from)) : 1,
    };
  }
}
