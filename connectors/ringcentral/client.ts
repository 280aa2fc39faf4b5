/**
 * RingCentral REST API through the official SDK (@ringcentral/sdk): JWT login (shared with
 * maintain.ts), the company call log for backfill.
 */
// Loaded on first use: an API process that never talks to RingCentral never needs the SDK.
import type { SDK } from '@ringcentral/sdk';
import { z } from 'zod';
import type { BackfillPage, BackfillWindow, CallEvent, ConnectorContext } from '../contract.js';
import { cursorCodec } from '../shared/cursor.js';
import { contentKey, iso } from '../shared/events.js';
import { withRateLimit, type HttpFailure } from '../shared/http.js';
import { providerBase } from '../shared/hosts.js';
import { RINGCENTRAL_API_HOSTS, serverUrlOf, type RingCentralCredentials } from './credentials.js';
import { instant, numberish, type Endpoint, type LogEventData, type LogLeg } from './events.js';

// ---------------------------------------------------------------------------------------------
// SDK session
// ---------------------------------------------------------------------------------------------

type Platform = ReturnType<SDK['platform']>;

/**
 * The SDK keeps its tokens in `localStorage`; in Node its default is ONE in-memory store shared
 * by every SDK instance of the process, so two connections would overwrite each other's tokens.
 * Each session gets its own store.
 */
class MemoryStorage implements Storage {
  [name: string]: unknown;
  readonly #items = new Map<string, string>();
  get length(): number {
    return this.#items.size;
  }
  clear(): void {
    this.#items.clear();
  }
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }
  /** Used by the SDK's Cache.clean() when present. */
  keys(): string[] {
    return [...this.#items.keys()];
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }
}

/** What the SDK throws for a non-2xx answer: an Error carrying the Response. */
function responseOf(error: unknown): Response | null {
  if (typeof error !== 'object' || error === null || !('response' in error)) return null;
  const res = (error as { response: unknown }).response;
  return res instanceof Response ? res : null;
}

/** What the SDK throws for a non-2xx answer: an Error carrying the Response. */
function failureOf(error: unknown): HttpFailure | null {
  const res = responseOf(error);
  return res ? { status: res.status, headers: res.headers, url: res.url } : null;
}

/**
 * Rate limits of the Heavy group (call log): 10 requests per 60 s window, so a 429 that names no
 * wait waits a whole window. The SDK's own retry (`handleRateLimit`) is off (see withRateLimit).
 */
const rateLimit = (what: string) => ({ provider: 'ringcentral', what, failureOf, fallbackMs: 60_000 });

/** A logged-in platform of the SDK, talking through ctx.fetch. */
export async function openPlatform(creds: RingCentralCredentials, ctx: ConnectorContext): Promise<Platform> {
  const { SDK: RingCentralSdk } = await import('@ringcentral/sdk');
  const sdk = new RingCentralSdk({
    server: providerBase(serverUrlOf(creds), RINGCENTRAL_API_HOSTS, ctx),
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    fetch: ctx.fetch,
    Request,
    Response,
    Headers,
    localStorage: new MemoryStorage(),
    handleRateLimit: false,
  });
  const platform = sdk.platform();
  await withRateLimit(ctx, rateLimit('POST /restapi/oauth/token'), () => platform.login({ jwt: creds.jwt }));
  return platform;
}

export async function getJson(platform: Platform, ctx: ConnectorContext, path: string): Promise<{ json: unknown; headers: Headers }> {
  const res = await withRateLimit(ctx, rateLimit(`GET ${path}`), () => platform.get(path));
  return { json: await res.json(), headers: res.headers };
}

export async function postJson(platform: Platform, ctx: ConnectorContext, path: string): Promise<unknown> {
  const res = await withRateLimit(ctx, rateLimit(`POST ${path}`), () => platform.post(path));
  return res.json();
}

// ---------------------------------------------------------------------------------------------
// Call log (backfill)
// ---------------------------------------------------------------------------------------------


const callerInfo = z
  .object({ phoneNumber: z.string().optional(), name: z.string().optional(), extensionId: numberish.optional() })
  .optional();

const recordingInfo = z.object({ contentUri: z.string().optional() }).optional();

const legSchema = z.object({
  startTime: instant,
  duration: z.number().optional(),
  durationMs: z.number().optional(),
  direction: z.enum(['Inbound', 'Outbound']),
  result: z.string().optional(),
  reason: z.string().optional(),
  legType: z.string().optional(),
  master: z.boolean().optional(),
  delegationType: z.string().optional(),
  extension: z.object({ id: numberish }).optional(),
  from: callerInfo,
  to: callerInfo,
  recording: recordingInfo,
});

const recordSchema = z.object({
  id: z.string().min(1),
  telephonySessionId: z.string().optional(),
  startTime: instant,
  duration: z.number().optional(),
  durationMs: z.number().optional(),
  type: z.string().optional(),
  direction: z.enum(['Inbound', 'Outbound']),
  result: z.string().optional(),
  reason: z.string().optional(),
  from: callerInfo,
  to: callerInfo,
  extension: z.object({ id: numberish }).optional(),
  recording: recordingInfo,
  lastModifiedTime: z.string().optional(),
  legs: z.array(legSchema).optional(),
});

const callLogPageSchema = z.object({
  records: z.array(recordSchema),
  navigation: z.object({ nextPage: z.object({ uri: z.string() }).optional() }).optional(),
});

type CallLogRecord = z.infer<typeof recordSchema>;

function endpoint(info: z.infer<typeof callerInfo>): Endpoint {
  return { phoneNumber: info?.phoneNumber ?? null, name: info?.name ?? null, extensionId: info?.extensionId ?? null };
}

/** `durationMs` is exact; older records only have whole seconds. */
function durationMsOf(x: { duration?: number | undefined; durationMs?: number | undefined }): number {
  return x.durationMs ?? (x.duration ?? 0) * 1000;
}

function legData(leg: z.infer<typeof legSchema>): LogLeg {
  return {
    startTime: iso(Date.parse(leg.startTime)),
    durationMs: durationMsOf(leg),
    direction: leg.direction,
    result: leg.result ?? 'Unknown',
    reason: leg.reason ?? null,
    legType: leg.legType ?? null,
    master: leg.master ?? false,
    delegationType: leg.delegationType ?? null,
    extensionId: leg.extension?.id ?? leg.to?.extensionId ?? null,
    from: endpoint(leg.from),
    to: endpoint(leg.to),
    recordingUrl: leg.recording?.contentUri ?? null,
  };
}

/** One call-log record → one `log` event of its telephony session. */
export function callLogRecordToEvent(record: CallLogRecord): CallEvent {
  const data: LogEventData = {
    kind: 'log',
    id: record.id,
    telephonySessionId: record.telephonySessionId ?? null,
    lastModifiedTime: record.lastModifiedTime ?? null,
    direction: record.direction,
    result: record.result ?? 'Unknown',
    reason: record.reason ?? null,
    startTime: iso(Date.parse(record.startTime)),
    durationMs: durationMsOf(record),
    extensionId: record.extension?.id ?? null,
    from: endpoint(record.from),
    to: endpoint(record.to),
    recordingUrl: record.recording?.contentUri ?? null,
    legs: (record.legs ?? []).map(legData),
  };
  return {
    // Same key as the notifications, so a call seen by both merges into one.
    callKey: record.telephonySessionId ?? `call-log:${record.id}`,
    // A record RingCentral updated later is another version: keep both, merge takes the latest.
    key: contentKey(`log:${record.id}`, data),
    source: 'rest',
    data,
  };
}

/** Windows of one day keep each query's result set (and page depth) small. */
const WINDOW_MS = 24 * 60 * 60 * 1000;
const PER_PAGE = 250;

const cursorSchema = z.object({
  v: z.literal(1),
  /** Start of the window being read. */
  windowFrom: z.iso.datetime(),
  /** Next page of that window (path + query on the configured server), null: its first page. */
  next: z.string().startsWith('/restapi/').nullable(),
});
type Cursor = z.infer<typeof cursorSchema>;
export const backfillCursor = cursorCodec('RingCentral', cursorSchema);

function firstPagePath(from: Date, to: Date): string {
  const query = new URLSearchParams({
    view: 'Detailed',
    type: 'Voice',
    dateFrom: from.toISOString(),
    dateTo: to.toISOString(),
    perPage: String(PER_PAGE),
    page: '1',
  });
  return `/restapi/v1.0/account/~/call-log?${query.toString()}`;
}

/**
 * `navigation.nextPage.uri` is absolute; only its path and query are kept, so the bearer token
 * only ever goes to the configured server.
 */
function nextPagePath(uri: string | undefined): string | null {
  if (!uri) return null;
  const url = new URL(uri);
  return url.pathname.startsWith('/restapi/') ? `${url.pathname}${url.search}` : null;
}

/** Wait the rest of the rate-limit window when the last answer said none is left. */
function quotaWaitMs(headers: Headers): number {
  const remaining = headers.get('x-rate-limit-remaining');
  const window = Number(headers.get('x-rate-limit-window'));
  return remaining === '0' && Number.isFinite(window) ? window * 1000 : 0;
}

/**
 * Historical calls of the window, page by page (newest first within each day). Each page's
 * cursor resumes right after it; a failure mid-way loses nothing already yielded.
 */
export async function* backfill(
  creds: RingCentralCredentials,
  window: BackfillWindow,
  cursor: string | null,
  ctx: ConnectorContext,
): AsyncGenerator<BackfillPage, void, void> {
  const start = window.from.getTime();
  const end = window.to.getTime();
  if (!(end > start)) return;
  let state: Cursor = cursor ? backfillCursor.decode(cursor) : { v: 1, windowFrom: iso(start), next: null };
  if (Date.parse(state.windowFrom) < start || Date.parse(state.windowFrom) >= end) {
    throw new Error('RingCentral backfill cursor does not belong to this window');
  }

  const platform = await openPlatform(creds, ctx);
  let pendingWait = 0;
  for (;;) {
    const windowFrom = Date.parse(state.windowFrom);
    const windowTo = Math.min(windowFrom + WINDOW_MS, end);
    const path = state.next ?? firstPagePath(new Date(windowFrom), new Date(windowTo));
    if (pendingWait > 0) await ctx.sleep(pendingWait);

    const { json, headers } = await getJson(platform, ctx, path);
    pendingWait = quotaWaitMs(headers);
    const page = callLogPageSchema.parse(json);
    const events = page.records.filter((r) => (r.type ?? 'Voice') === 'Voice').map(callLogRecordToEvent);

    const next = nextPagePath(page.navigation?.nextPage?.uri);
    const nextState: Cursor | null = next
      ? { v: 1, windowFrom: state.windowFrom, next }
      : windowTo < end
        ? { v: 1, windowFrom: iso(windowTo), next: null }
        : null;
    yield {
      events,
      cursor: nextState ? backfillCursor.encode(nextState) : null,
      progress: nextState ? (Date.parse(nextState.windowFrom) - start) / (end - start) : 1,
    };
    if (!nextState) return;
    state = nextState;
  }
}
