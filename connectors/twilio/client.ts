/**
 * Backfill through Twilio's Calls list API with the official SDK. Twilio pages by
 * `next_page_uri`; the cursor stores that URL so a crashed backfill resumes on the page it stopped.
 * The SDK retries nothing on 429, so we wait as Twilio asks (Retry-After) and try the page again.
 */
import twilio from 'twilio';
import type { BackfillPage, BackfillWindow, CallEvent, ConnectorContext } from '../contract.js';
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

async function withRateLimit<T>(ctx: ConnectorContext, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 429 && attempt < 5) {
        const retryAfter = Number((err as { headers?: Record<string, string> }).headers?.['retry-after']);
        const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000 * 2 ** attempt;
        ctx.logger.warn({ wait, attempt }, 'twilio rate limit: waiting');
        await ctx.sleep(wait);
        continue;
      }
      throw err;
    }
  }
}

export async function* backfill(
  creds: TwilioCredentials,
  window: BackfillWindow,
  cursor: string | null,
  ctx: ConnectorContext,
): AsyncGenerator<BackfillPage, void, void> {
  // No keep-alive: a backfill makes a few requests minutes apart, and an idle pooled socket only
  // risks a reset (it also keeps HTTP interception in tests simple).
  const httpClient = new twilio.RequestClient({ keepAlive: false });
  const client =
    creds.apiKeySid && creds.apiKeySecret
      ? twilio(creds.apiKeySid, creds.apiKeySecret, { accountSid: creds.accountSid, httpClient })
      : twilio(creds.accountSid, creds.authToken, { httpClient });
  let page = (await withRateLimit(ctx, () =>
    cursor
      ? client.api.v2010.accounts(creds.accountSid).calls.getPage(cursor)
      : client.api.v2010.accounts(creds.accountSid).calls.page({
          startTimeAfter: window.from,
          startTimeBefore: window.to,
          pageSize: PAGE_SIZE,
        }),
  )) as unknown as SdkPage;
  for (;;) {
    const next = page.nextPageUrl || null;
    yield { events: page.instances.map(restRecordToEvent), cursor: next };
    if (!next) return;
    page = (await withRateLimit(ctx, () =>
      client.api.v2010.accounts(creds.accountSid).calls.getPage(next),
    )) as unknown as SdkPage;
  }
}
