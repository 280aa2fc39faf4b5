/**
 * Backfill through Twilio's Calls list API with the official SDK. Twilio pages by
 * `next_page_uri`; the cursor stores that URL so a crashed backfill resumes on the page it stopped.
 * The SDK retries nothing on 429: the shared rate-limit helper waits as Twilio asks (Retry-After).
 */
import twilio from 'twilio';
import { z } from 'zod';
import type { BackfillPage, BackfillWindow, CallEvent, ConnectorContext } from '../contract.js';
import { cursorCodec } from '../shared/cursor.js';
import { withRateLimit, type HttpFailure } from '../shared/http.js';
import type { TwilioCredentials } from './credentials.js';
import { emptyObservation, type LegObservation } from './events.js';
import { rfc2822ToIso } from './webhook.js';

const PAGE_SIZE = 200;

interface CallRecord {
  sid: string;
  parentCallSid: string | null;
  status: string;
  direction: string;
  from: string;
  to: string;
  startTime: Date | null;
  endTime: Date | null;
  duration: string | null;
  queueTime: string | null;
  price: string | null;
  priceUnit: string | null;
}

const isoDate = (d: Date | string | null): string | null => {
  if (!d) return null;
  if (d instanceof Date) return Number.isFinite(d.getTime()) ? d.toISOString() : null;
  return rfc2822ToIso(d);
};

export function restRecordToEvent(r: CallRecord): CallEvent {
  const observation: LegObservation = {
    ...emptyObservation,
    kind: 'rest',
    callSid: r.sid,
    parentCallSid: r.parentCallSid ?? null,
    status: r.status,
    direction: r.direction,
    from: r.from || null,
    to: r.to || null,
    startTime: isoDate(r.startTime),
    endTime: isoDate(r.endTime),
    duration: r.duration === null || r.duration === '' ? null : Number(r.duration),
    queueTime: r.queueTime ? Number(r.queueTime) : null,
    price: r.price ?? null,
    priceUnit: r.priceUnit ?? null,
  };
  // One REST event per leg: a later read of the same leg replaces the earlier one.
  return { callKey: observation.parentCallSid ?? r.sid, key: `rest:${r.sid}`, source: 'rest', data: observation };
}

interface SdkPage {
  instances: CallRecord[];
  nextPageUrl?: string;
}

/** Twilio's RestException carries the answer's status and headers (a plain object). */
function failureOf(error: unknown): HttpFailure | null {
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number') return null;
  const retryAfter = (error as { headers?: Record<string, string> }).headers?.['retry-after'];
  return { status, headers: new Headers(retryAfter ? { 'retry-after': retryAfter } : {}) };
}

/** Twilio asks for an exponential backoff when it names no wait. */
export const rateLimit = (what: string) => ({ provider: 'twilio', what, failureOf, fallbackMs: (attempt: number) => 1000 * 2 ** attempt });

/** The SDK's client for a connection: its API key when it has one, else the account and auth token. */
export function restClient(creds: TwilioCredentials): twilio.Twilio {
  // No keep-alive: a connection makes a few requests minutes apart, and an idle pooled socket only
  // risks a reset (it also keeps HTTP interception in tests simple).
  const httpClient = new twilio.RequestClient({ keepAlive: false });
  return creds.apiKeySid && creds.apiKeySecret
    ? twilio(creds.apiKeySid, creds.apiKeySecret, { accountSid: creds.accountSid, httpClient })
    : twilio(creds.accountSid, creds.authToken, { httpClient });
}

/** The next page's URL as Twilio gave it (`next_page_uri`): the SDK reads it back as is. */
export const backfillCursor = cursorCodec('Twilio', z.object({ v: z.literal(1), next: z.url() }));

export async function* backfill(
  creds: TwilioCredentials,
  window: BackfillWindow,
  cursor: string | null,
  ctx: ConnectorContext,
): AsyncGenerator<BackfillPage, void, void> {
  const calls = restClient(creds).api.v2010.accounts(creds.accountSid).calls;
  const resumeAt = cursor ? backfillCursor.decode(cursor).next : null;
  let page = (await withRateLimit(ctx, rateLimit('GET Calls'), () =>
    resumeAt
      ? calls.getPage(resumeAt)
      : calls.page({
          startTimeAfter: window.from,
          startTimeBefore: window.to,
          pageSize: PAGE_SIZE,
        }),
  )) as unknown as SdkPage;
  for (;;) {
    const next = page.nextPageUrl || null;
    yield { events: page.instances.map(restRecordToEvent), cursor: next ? backfillCursor.encode({ v: 1, next }) : null };
    if (!next) return;
    page = (await withRateLimit(ctx, rateLimit('GET Calls'), () => calls.getPage(next))) as unknown as SdkPage;
  }
}
