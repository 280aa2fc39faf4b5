import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifySignature } from '@vonage/jwt';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DeliveryShapeError,
  type BackfillPage,
  type CallEvent,
  type ConnectorContext,
  type StoredDelivery,
  type UnifiedCallDraft,
  type WebhookRequest,
} from '../contract.js';
import { backfillCursor } from './client.js';
import type { VonageCredentials } from './credentials.js';
import { vonageConnector as connector } from './index.js';
import { parse } from './webhook.js';

/* ------------------------------------------------------------------------------------------------
 * Fixtures and helpers
 * ---------------------------------------------------------------------------------------------- */

const SIGNATURE_SECRET = 'vonage-test-signature-secret-0001';
const { privateKey: PRIVATE_KEY, publicKey: PUBLIC_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const creds: VonageCredentials = {
  apiKey: 'a1b2c3d4',
  apiSecret: 'test-api-secret',
  applicationId: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
  privateKey: PRIVATE_KEY,
  signatureSecret: SIGNATURE_SECRET,
  backfillPageSize: 3,
};

interface Delivery {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  jwtClaims?: { iat: number };
}
interface Expected {
  direction: string;
  outcome: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  waitSeconds: number;
  talkSeconds: number;
  holdSeconds: number | null;
  agent: { id: string } | null;
  agentsOffered?: string[];
  queue: null;
  customerNumber: string;
  companyNumber: string;
  recording: boolean;
}
interface Fixture {
  expected: Expected;
  ids: { legA: string; legB: string; conversation_uuid: string };
  deliveries: Delivery[];
}
interface RestPageFixture {
  request: { url: string };
  response: { _embedded: { calls: Record<string, unknown>[] }; _links: { next: { href: string } } };
}
const readFixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/vonage/${name}.json`, import.meta.url), 'utf8')) as T;
const scenarios = ['inbound_answered', 'inbound_abandoned', 'outbound'] as const;
const fixture = (name: (typeof scenarios)[number]): Fixture => readFixture<Fixture>(name);

function contextAt(now: Date | (() => Date)): ConnectorContext & { sleep: ReturnType<typeof vi.fn> } {
  return {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    fetch,
    now: typeof now === 'function' ? now : () => now,
    sleep: vi.fn(async () => undefined),
  };
}

/** The raw body Vonage sent: compact JSON of the fixture body (fixtures README). */
const rawBodyOf = (d: Delivery): string => (d.body ? JSON.stringify(d.body) : '');

function requestOf(d: Delivery, rawBody = rawBodyOf(d)): WebhookRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(d.headers)) headers[name.toLowerCase()] = value;
  const url = new URL(d.url);
  return { method: d.method, rawBody: Buffer.from(rawBody), headers, publicUrl: d.url, query: Object.fromEntries(url.searchParams) };
}

function storedOf(d: Delivery): StoredDelivery {
  return {
    rawBody: rawBodyOf(d),
    headers: { 'content-type': 'application/json' },
    query: Object.fromEntries(new URL(d.url).searchParams),
    receivedAt: new Date('2025-03-10T18:00:00Z'),
  };
}

/** Every event of a scenario: the POSTed deliveries (the answer_url GET is not an event). */
const eventsOf = (f: Fixture): CallEvent[] =>
  f.deliveries.filter((d) => d.method === 'POST').flatMap((d) => connector.parse(storedOf(d)).calls);

/** An HS256 JWT as Vonage makes it (@vonage/jwt only signs RS256, so HMAC by hand). */
function signHs256(claims: Record<string, unknown>, secret: string, alg = 'HS256'): string {
  const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${encode({ alg, typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function signedRequest(body: object, iat: number, extraClaims: Record<string, unknown> = {}, secret = SIGNATURE_SECRET): WebhookRequest {
  const raw = JSON.stringify(body);
  const token = signHs256(
    { iat, jti: `jti-${iat}`, iss: 'Vonage', payload_hash: sha256(raw), api_key: creds.apiKey, application_id: creds.applicationId, ...extraClaims },
    secret,
  );
  return {
    method: 'POST',
    rawBody: Buffer.from(raw),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    publicUrl: 'https://callroi.example.com/webhooks/vonage/conn-1',
    query: {},
  };
}

function mergeOne(events: CallEvent[]): UnifiedCallDraft {
  const keys = new Set(events.map((e) => e.callKey));
  expect(keys.size).toBe(1);
  const draft = connector.merge(events);
  expect(draft).not.toBeNull();
  return draft!;
}

/** Sum of the legs' `price` strings of a scenario, computed from the raw fixture. */
function fixturePriceSum(f: Fixture): string {
  return f.deliveries
    .map((d) => d.body?.['price'])
    .filter((p): p is string => typeof p === 'string')
    .reduce((sum, p) => sum.plus(p), new Decimal(0))
    .toFixed();
}

/* ------------------------------------------------------------------------------------------------
 * (1) Verification
 * ---------------------------------------------------------------------------------------------- */

describe('vonage webhook verification', () => {
  const answered = fixture('inbound_answered');
  const signed = answered.deliveries.filter((d) => d.headers['Authorization']);

  it("agrees with the SDK's own verifySignature on every fixture token, and on a forged one", () => {
    for (const d of signed) {
      const token = d.headers['Authorization']!.replace(/^Bearer\s+/i, '');
      expect(verifySignature(token, SIGNATURE_SECRET)).toBe(true);
      const req = requestOf(d);
      const ctx = contextAt(new Date(d.jwtClaims!.iat * 1000 + 2000));
      expect(connector.verify(req, creds, ctx).ok).toBe(true);
      const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
      expect(verifySignature(forged, SIGNATURE_SECRET)).toBe(false);
      expect(connector.verify({ ...req, headers: { ...req.headers, authorization: `Bearer ${forged}` } }, creds, ctx).ok).toBe(false);
    }
  });

  it('accepts every fixture delivery (signed by Vonage) at the time it was signed', () => {
    expect(signed.length).toBeGreaterThan(0);
    for (const d of signed) {
      const ctx = contextAt(new Date(d.jwtClaims!.iat * 1000 + 2000));
      expect(connector.verify(requestOf(d), creds, ctx)).toEqual({ ok: true });
    }
  });

  it('rejects a fixture delivery replayed today (stale iat), unless the window is widened', () => {
    const d = signed[0]!;
    const today = contextAt(new Date());
    expect(connector.verify(requestOf(d), creds, today).ok).toBe(false);
    const ageSeconds = Math.ceil(Date.now() / 1000 - d.jwtClaims!.iat) + 60;
    expect(connector.verify(requestOf(d), { ...creds, webhookMaxAgeSeconds: ageSeconds }, today)).toEqual({ ok: true });
  });

  it('accepts a freshly signed delivery and applies the 5-minute window and the skew', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const nowS = now.getTime() / 1000;
    const body = answered.deliveries[1]!.body!;
    const ctx = contextAt(now);
    expect(connector.verify(signedRequest(body, nowS), creds, ctx)).toEqual({ ok: true });
    expect(connector.verify(signedRequest(body, nowS - 299), creds, ctx).ok).toBe(true);
    expect(connector.verify(signedRequest(body, nowS - 301), creds, ctx).ok).toBe(false);
    expect(connector.verify(signedRequest(body, nowS + 30), creds, ctx).ok).toBe(true);
    expect(connector.verify(signedRequest(body, nowS + 600), creds, ctx).ok).toBe(false);
  });

  it('rejects one changed byte of the body, of the signature, and a missing or malformed header', () => {
    const d = signed[2]!;
    const ctx = contextAt(new Date(d.jwtClaims!.iat * 1000));
    const good = requestOf(d);
    const bytes = Buffer.from(good.rawBody);
    bytes[10] = bytes[10]! ^ 1;
    expect(connector.verify({ ...good, rawBody: bytes }, creds, ctx)).toMatchObject({ ok: false, reason: expect.stringMatching(/payload_hash/) });

    const token = good.headers['authorization']!.slice('Bearer '.length);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const badSig = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    expect(connector.verify({ ...good, headers: { ...good.headers, authorization: `Bearer ${badSig}` } }, creds, ctx).ok).toBe(false);

    expect(connector.verify({ ...good, headers: { 'content-type': 'application/json' } }, creds, ctx)).toMatchObject({ ok: false });
    expect(connector.verify({ ...good, headers: { ...good.headers, authorization: token } }, creds, ctx).ok).toBe(false);
    expect(connector.verify({ ...good, headers: { ...good.headers, authorization: 'Bearer abc.def' } }, creds, ctx).ok).toBe(false);
  });

  it('rejects another secret, an unsigned alg, another account or application', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const nowS = now.getTime() / 1000;
    const body = answered.deliveries[1]!.body!;
    const ctx = contextAt(now);
    expect(connector.verify(signedRequest(body, nowS, {}, 'another-secret'), creds, ctx).ok).toBe(false);
    expect(connector.verify(signedRequest(body, nowS, { api_key: 'zzzz9999' }), creds, ctx).ok).toBe(false);
    expect(connector.verify(signedRequest(body, nowS, { application_id: 'bbbbbbbb-0000-4000-8000-000000000000' }), creds, ctx).ok).toBe(false);
    const unsigned = signedRequest(body, nowS);
    const [, claims] = unsigned.headers['authorization']!.slice(7).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${claims}.`;
    expect(connector.verify({ ...unsigned, headers: { ...unsigned.headers, authorization: `Bearer ${none}` } }, creds, ctx).ok).toBe(false);
  });

  it('refuses validly signed claims of the wrong type or shape (iat, payload_hash, api_key, application_id)', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const nowS = now.getTime() / 1000;
    const body = answered.deliveries[1]!.body!;
    const ctx = contextAt(now);
    const hash = sha256(JSON.stringify(body));
    expect(connector.verify(signedRequest(body, nowS, { payload_hash: hash.toUpperCase() }), creds, ctx)).toEqual({ ok: true });
    for (const claims of [
      { iat: String(nowS) },
      { iat: null },
      { payload_hash: undefined },
      { payload_hash: hash.slice(1) },
      { payload_hash: `${hash.slice(1)}g` },
      { api_key: 1234 },
      { api_key: null },
      { application_id: ['x'] },
    ]) {
      expect(connector.verify(signedRequest(body, nowS, claims), creds, ctx), JSON.stringify(claims)).toMatchObject({ ok: false });
    }
    // Without the optional ones, the account and application are not checked.
    expect(connector.verify(signedRequest(body, nowS, { api_key: undefined, application_id: undefined }), creds, ctx)).toEqual({ ok: true });
  });

  it('rejects the unsigned answer_url GET', () => {
    const answer = answered.deliveries.find((d) => d.method === 'GET')!;
    expect(connector.verify(requestOf(answer), creds, contextAt(new Date('2025-03-10T14:00:01Z')))).toMatchObject({ ok: false });
  });

  it('dedupes on the body: same body → same key, any change → another key', () => {
    const [a, b] = signed;
    expect(connector.dedupeKey(requestOf(a!))).toBe(connector.dedupeKey({ ...requestOf(a!), headers: {} }));
    expect(connector.dedupeKey(requestOf(a!))).not.toBe(connector.dedupeKey(requestOf(b!)));
  });
});

/* ------------------------------------------------------------------------------------------------
 * (2) The fixture scenarios, (3) order and duplicates
 * ---------------------------------------------------------------------------------------------- */

describe.each(scenarios)('vonage scenario %s', (name) => {
  const f = fixture(name);
  const e = f.expected;
  const events = eventsOf(f);

  it('parses every delivery and merges into the expected unified call', () => {
    expect(events.every((ev) => ev.callKey === f.ids.conversation_uuid)).toBe(true);
    const draft = mergeOne(events);
    expect(draft.providerCallId).toBe(f.ids.conversation_uuid);
    expect(draft.direction).toBe(e.direction);
    expect(draft.status).toBe(e.outcome);
    expect(draft.startedAt).toBe(e.startedAt);
    expect(draft.answeredAt).toBe(e.answeredAt);
    expect(draft.endedAt).toBe(e.endedAt);
    expect(draft.waitSeconds).toBe(e.waitSeconds);
    expect(draft.talkSeconds).toBe(e.talkSeconds);
    expect(draft.holdSeconds).toBe(e.holdSeconds);
    expect(draft.agent?.id ?? null).toBe(e.agent?.id ?? null);
    expect(draft.queue).toBe(e.queue);
    expect(draft.externalNumber).toBe(e.customerNumber);
    expect(draft.trackingNumber).toBe(e.companyNumber);
    expect(draft.recordingUrl !== null).toBe(e.recording);
    expect(draft.afterCallWorkSeconds).toBeNull();
    expect(draft.telephonyCost).toEqual({ amount: fixturePriceSum(f), currency: 'EUR' });
    if (e.agentsOffered) expect(draft.offeredAgents?.map((a) => a.id)).toEqual(e.agentsOffered);
    expect(draft.agents.map((a) => a.id)).toEqual(e.agent ? [e.agent.id] : []);
  });

  it('gives the same call for any order of the events, with any duplicates', () => {
    const reference = connector.merge(events);
    const shuffledWithDuplicates = fc
      .array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: events.length * 2 })
      .chain((extra) => {
        const all = [...events, ...extra.map((i) => events[i]!)];
        return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
      });
    fc.assert(
      fc.property(shuffledWithDuplicates, (shuffled) => {
        expect(connector.merge(shuffled)).toEqual(reference);
      }),
      { numRuns: 200 },
    );
  });
});

describe('vonage parse', () => {
  const stored = (body: unknown, query: Record<string, string> = {}): StoredDelivery => ({
    rawBody: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {},
    query,
    receivedAt: new Date(),
  });

  it('throws DeliveryShapeError on a body that is not a Vonage event', () => {
    expect(() => connector.parse(stored({ event: 'call.created', data: { id: 1 } }))).toThrow(DeliveryShapeError);
    expect(() => connector.parse(stored('not json'))).toThrow(DeliveryShapeError);
    expect(() => connector.parse(stored([1, 2]))).toThrow(DeliveryShapeError);
    // Vonage-shaped status event without its timestamp.
    expect(() => connector.parse(stored({ uuid: 'u1', conversation_uuid: 'CON-1', status: 'ringing' }))).toThrow(DeliveryShapeError);
  });

  it('returns no events for valid events we do not use (input, error, POSTed answer)', () => {
    const noEvents = { calls: [], presence: [] };
    expect(connector.parse(stored({ uuid: 'u1', conversation_uuid: 'CON-1', dtmf: { digits: '1' }, timestamp: '2025-03-10T14:00:05.000Z' }))).toEqual(noEvents);
    expect(connector.parse(stored({ conversation_uuid: 'CON-1', reason: 'Invalid NCCO', type: 'error', timestamp: '2025-03-10T14:00:05.000Z' }))).toEqual(noEvents);
    expect(connector.parse(stored({ to: '16505550100', from: '14155550123', uuid: 'u1', conversation_uuid: 'CON-1' }))).toEqual(noEvents);
  });

  it('keys a re-delivered event the same and two statuses of one leg differently', () => {
    const body = fixture('outbound').deliveries[6]!.body!;
    const once = connector.parse(stored(body)).calls[0]!;
    const twice = connector.parse(stored(JSON.parse(JSON.stringify(body)))).calls[0]!;
    expect(twice.key).toBe(once.key);
    const other = connector.parse(stored({ ...body, status: 'answered', timestamp: '2025-03-10T16:20:09.000Z' })).calls[0]!;
    expect(other.key).not.toBe(once.key);
  });

  it('reads the agent of a hub-created call from the event_url query', () => {
    const d = fixture('outbound').deliveries[0]!;
    expect(connector.parse(storedOf(d)).calls[0]!.data['agentHint']).toBe('agent_bob');
    expect(connector.parse({ ...storedOf(d), query: {} }).calls[0]!.data['agentHint']).toBeNull();
  });

  it('keeps the account currency when the hub passes the credentials', () => {
    const f = fixture('inbound_answered');
    const events = f.deliveries.filter((d) => d.body).flatMap((d) => parse(storedOf(d), { currency: 'USD' }).calls);
    expect(mergeOne(events).telephonyCost).toEqual({ amount: fixturePriceSum(f), currency: 'USD' });
  });
});

/* ------------------------------------------------------------------------------------------------
 * (4) Backfill, (5) REST + webhooks of the same call
 * ---------------------------------------------------------------------------------------------- */

const restPage1 = readFixture<RestPageFixture>('rest_calls_page');
/** Page 2 (written here): the abandoned call's cancelled agent leg and the outbound call's legs,
 *  consistent with the webhook fixtures. */
const restPage2 = {
  count: 6,
  page_size: 3,
  record_index: 3,
  _links: {
    self: { href: '/v1/calls?date_start=2025-03-10T00:00:00Z&date_end=2025-03-11T00:00:00Z&page_size=3&order=asc&record_index=3' },
  },
  _embedded: {
    calls: [
      {
        uuid: '8a68001e-db30-45e7-83ff-e9f8a33dee09',
        conversation_uuid: 'CON-fe9ebd2a-f86c-4ae1-8aa4-cb21ab9c8a5c',
        to: { type: 'app', user: 'agent_alice' },
        from: { type: 'phone', number: '16505550100' },
        status: 'cancelled',
        direction: 'outbound',
        rate: '0.00400000',
        price: '0',
        duration: '0',
        start_time: '2025-03-10T15:10:05.000Z',
        end_time: '2025-03-10T15:10:47.000Z',
        network: null,
      },
      {
        uuid: 'e6b02a66-3724-4494-8e5b-b9dc3b3e8121',
        conversation_uuid: 'CON-94bd254e-6afd-4c99-88b8-a940598bba26',
        to: { type: 'app', user: 'agent_bob' },
        from: { type: 'phone', number: '16505550100' },
        status: 'completed',
        direction: 'outbound',
        rate: '0.00400000',
        price: '0.02520000',
        duration: '378',
        start_time: '2025-03-10T16:20:01.000Z',
        end_time: '2025-03-10T16:26:19.000Z',
        network: null,
      },
      {
        uuid: '71f2051f-b65d-4bf5-8f08-bebd03af79a2',
        conversation_uuid: 'CON-94bd254e-6afd-4c99-88b8-a940598bba26',
        to: { type: 'phone', number: '14155550188' },
        from: { type: 'phone', number: '16505550100' },
        status: 'completed',
        direction: 'outbound',
        rate: '0.01400000',
        price: '0.08633333',
        duration: '370',
        start_time: '2025-03-10T16:20:09.000Z',
        end_time: '2025-03-10T16:26:19.000Z',
        network: '310260',
      },
    ],
  },
};

const API = 'https://api.nexmo.com';
const DAY = { from: new Date('2025-03-10T00:00:00Z'), to: new Date('2025-03-11T00:00:00Z') };
const pageQuery = (recordIndex: number, day = '2025-03-10', next = '2025-03-11') => ({
  date_start: `${day}T00:00:00Z`,
  date_end: `${next}T00:00:00Z`,
  page_size: '3',
  record_index: String(recordIndex),
  order: 'asc',
});

async function collect(gen: AsyncGenerator<BackfillPage, void, void>, pages: BackfillPage[] = []): Promise<BackfillPage[]> {
  for await (const page of gen) pages.push(page);
  return pages;
}

function byCall(events: CallEvent[]): Map<string, CallEvent[]> {
  const calls = new Map<string, CallEvent[]>();
  for (const e of events) calls.set(e.callKey, [...(calls.get(e.callKey) ?? []), e]);
  return calls;
}

describe('vonage backfill', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('pages through the calls with the SDK (RS256 application JWT), waits on 429 as asked', async () => {
    const seenTokens: string[] = [];
    nock(API)
      .get('/v1/calls')
      .query(pageQuery(0))
      .reply(429, { title: 'Too Many Requests' }, { 'Retry-After': '2' })
      .get('/v1/calls')
      .query(pageQuery(0))
      .reply(function () {
        seenTokens.push(String(this.req.headers['authorization']));
        return [200, restPage1.response];
      })
      .get('/v1/calls')
      .query(pageQuery(3))
      .reply(200, restPage2);

    const ctx = contextAt(new Date('2025-03-12T00:00:00Z'));
    const pages = await collect(connector.backfill!(creds, DAY, null, ctx));

    expect(nock.isDone()).toBe(true);
    expect(ctx.sleep).toHaveBeenCalledWith(2000);
    const token = seenTokens[0]!.replace(/^Bearer /, '');
    expect(verifySignature(token, PUBLIC_KEY)).toBe(true);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toMatchObject({ application_id: creds.applicationId });

    expect(pages.map((p) => p.events.length)).toEqual([3, 3]);
    expect(backfillCursor.decode(pages[0]!.cursor!).recordIndex).toBe(3);
    expect(pages.at(-1)!.cursor).toBeNull();
    expect(pages.flatMap((p) => p.events).every((e) => e.source === 'rest')).toBe(true);
  });

  it('reproduces what the README says a REST-only backfill can', async () => {
    nock(API).get('/v1/calls').query(pageQuery(0)).reply(200, restPage1.response).get('/v1/calls').query(pageQuery(3)).reply(200, restPage2);
    const pages = await collect(connector.backfill!(creds, DAY, null, contextAt(new Date())));
    const calls = byCall(pages.flatMap((p) => p.events));
    expect(calls.size).toBe(3);

    // Inbound answered: wait ≈ leg B start − leg A start (13, the platform's pre-answer second is
    // lost), talk = the agent leg's duration; the agent is leg B's app user.
    const answeredFixture = fixture('inbound_answered');
    const answered = mergeOne(calls.get(answeredFixture.ids.conversation_uuid)!);
    expect(answered).toMatchObject({
      direction: 'inbound',
      status: 'answered',
      startedAt: '2025-03-10T14:00:01.000Z',
      answeredAt: answeredFixture.expected.answeredAt,
      waitSeconds: 13,
      talkSeconds: 255,
      holdSeconds: null,
      externalNumber: answeredFixture.expected.customerNumber,
      trackingNumber: answeredFixture.expected.companyNumber,
      telephonyCost: { amount: fixturePriceSum(answeredFixture), currency: 'EUR' },
    });
    expect(answered.agent?.id).toBe('agent_alice');

    const abandonedFixture = fixture('inbound_abandoned');
    const abandoned = mergeOne(calls.get(abandonedFixture.ids.conversation_uuid)!);
    expect(abandoned).toMatchObject({ direction: 'inbound', status: 'abandoned', answeredAt: null, agent: null, talkSeconds: 0, waitSeconds: 46 });
    expect(abandoned.offeredAgents?.map((a) => a.id)).toEqual(['agent_alice']);

    const outboundFixture = fixture('outbound');
    const outbound = mergeOne(calls.get(outboundFixture.ids.conversation_uuid)!);
    expect(outbound).toMatchObject({
      direction: 'outbound',
      status: 'answered',
      answeredAt: outboundFixture.expected.answeredAt,
      talkSeconds: outboundFixture.expected.talkSeconds,
      externalNumber: outboundFixture.expected.customerNumber,
      trackingNumber: outboundFixture.expected.companyNumber,
    });
    expect(outbound.agent?.id).toBe('agent_bob');
    // Dialling is not in REST: leg A's start_time is when the agent's app answered (+1 s).
    expect(outbound.waitSeconds).toBe(outboundFixture.expected.waitSeconds - 1);
  });

  it('resumes from the last cursor after a failure mid-way', async () => {
    nock(API).get('/v1/calls').query(pageQuery(0)).reply(200, restPage1.response).get('/v1/calls').query(pageQuery(3)).reply(500, { title: 'oops' });
    const ctx = contextAt(new Date());
    const firstRun: BackfillPage[] = [];
    await expect(collect(connector.backfill!(creds, DAY, null, ctx), firstRun)).rejects.toThrow();
    expect(firstRun).toHaveLength(1);
    const resumeFrom = firstRun[0]!.cursor;
    expect(resumeFrom).not.toBeNull();

    nock(API).get('/v1/calls').query(pageQuery(3)).reply(200, restPage2);
    const secondRun = await collect(connector.backfill!(creds, DAY, resumeFrom, ctx));
    expect(nock.isDone()).toBe(true);
    expect(secondRun.map((p) => p.cursor)).toEqual([null]);
    const keys = [...firstRun, ...secondRun].flatMap((p) => p.events.map((e) => e.key));
    expect(new Set(keys).size).toBe(6);
  });

  it('cuts a long window into day slices', async () => {
    nock(API)
      .get('/v1/calls')
      .query(pageQuery(0, '2025-03-09', '2025-03-10'))
      .reply(200, { count: 0, page_size: 3, record_index: 0, _links: { self: { href: '/v1/calls' } }, _embedded: { calls: [] } })
      .get('/v1/calls')
      .query(pageQuery(0))
      .reply(200, restPage1.response)
      .get('/v1/calls')
      .query(pageQuery(3))
      .reply(200, restPage2);
    const window = { from: new Date('2025-03-09T00:00:00Z'), to: DAY.to };
    const pages = await collect(connector.backfill!(creds, window, null, contextAt(new Date())));
    expect(nock.isDone()).toBe(true);
    expect(pages.map((p) => p.events.length)).toEqual([0, 3, 3]);
    expect(pages.map((p) => p.progress)).toEqual([0.5, 1, 1]);
  });

  it('refuses to start without the application private key', async () => {
    const { privateKey: _omitted, ...withoutKey } = creds;
    await expect(collect(connector.backfill!(withoutKey, DAY, null, contextAt(new Date())))).rejects.toThrow(/privateKey/);
  });

  it('merges REST records and webhook events of one call into one call with the webhook figures', async () => {
    nock(API).get('/v1/calls').query(pageQuery(0)).reply(200, restPage1.response).get('/v1/calls').query(pageQuery(3)).reply(200, restPage2);
    const pages = await collect(connector.backfill!(creds, DAY, null, contextAt(new Date())));
    const rest = byCall(pages.flatMap((p) => p.events));
    for (const name of scenarios) {
      const f = fixture(name);
      const webhooks = eventsOf(f);
      const restOfCall = rest.get(f.ids.conversation_uuid)!;
      expect(restOfCall.length).toBeGreaterThan(0);
      const both = mergeOne([...restOfCall, ...webhooks]);
      expect(both).toEqual(connector.merge(webhooks));
      expect(both.waitSeconds).toBe(f.expected.waitSeconds);
      expect(both.endedAt).toBe(f.expected.endedAt);
      // REST records never double a leg's price.
      expect(both.telephonyCost?.amount).toBe(fixturePriceSum(f));
      // Whatever came first, REST or webhooks, and whatever was repeated.
      const mixed = [...restOfCall, ...webhooks];
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...mixed), { maxLength: 8 }).chain((dups) => {
            const all = [...mixed, ...dups];
            return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
          }),
          (shuffled) => {
            expect(connector.merge(shuffled)).toEqual(both);
          },
        ),
        { numRuns: 100 },
      );
    }
  });
});

/* ------------------------------------------------------------------------------------------------
 * (6) More scenarios
 * ---------------------------------------------------------------------------------------------- */

const T0 = Date.parse('2025-03-11T09:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const CUSTOMER = '447700900123';
const COMPANY = '442079460000';

/** A status event body as Vonage posts it. */
function leg(
  conversation: string,
  uuid: string,
  status: string,
  second: number,
  ends: { from: string; to: string; direction: 'inbound' | 'outbound' },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { from: ends.from, to: ends.to, uuid, conversation_uuid: conversation, status, direction: ends.direction, timestamp: at(second), ...extra };
}
function completed(startSecond: number, endSecond: number, price: string, by: 'user' | 'platform') {
  return {
    start_time: at(startSecond),
    end_time: at(endSecond),
    duration: String(endSecond - startSecond),
    rate: '0.00400000',
    price,
    disconnected_by: by,
  };
}
function mergeBodies(bodies: Record<string, unknown>[], query: Record<string, string> = {}): UnifiedCallDraft {
  const events = bodies.flatMap((b) =>
    connector.parse({ rawBody: JSON.stringify(b), headers: {}, query, receivedAt: new Date() }).calls,
  );
  // Arrival order must not matter: merge the reverse order too.
  const draft = mergeOne(events);
  expect(connector.merge([...events].reverse())).toEqual(draft);
  return draft;
}

/**
 * A transfer that moves the customer's leg into another conversation (Voice API `transfer` event:
 * `uuid`, `conversation_uuid_from`, `conversation_uuid_to`, `timestamp`): Alice answers in the
 * first conversation, then her app transfers the caller (`PUT /v1/calls/{uuid}` action `transfer`
 * with an NCCO `connect` to Bob), which moves leg A into a second conversation where Bob's leg is
 * created. Both conversations' events are one customer call.
 */
describe('vonage transfer into another conversation', () => {
  const FIRST = 'CON-transfer-1';
  const SECOND = 'CON-transfer-2';
  const caller = { from: CUSTOMER, to: COMPANY, direction: 'inbound' as const };
  const toAgent = (user: string) => ({ from: COMPANY, to: user, direction: 'outbound' as const });
  const transfer = { uuid: 'A', conversation_uuid_from: FIRST, conversation_uuid_to: SECOND, type: 'transfer', timestamp: at(100) };
  const bodies = [
    leg(FIRST, 'A', 'started', 0, caller),
    leg(FIRST, 'A', 'ringing', 0, caller),
    leg(FIRST, 'A', 'answered', 1, caller),
    leg(FIRST, 'B1', 'started', 3, toAgent('agent_alice')),
    leg(FIRST, 'B1', 'ringing', 3, toAgent('agent_alice')),
    leg(FIRST, 'B1', 'answered', 10, toAgent('agent_alice')),
    transfer,
    leg(FIRST, 'B1', 'completed', 100, toAgent('agent_alice'), completed(10, 100, '0.00600000', 'platform')),
    leg(SECOND, 'C', 'started', 101, toAgent('agent_bob')),
    leg(SECOND, 'C', 'ringing', 101, toAgent('agent_bob')),
    leg(SECOND, 'C', 'answered', 108, toAgent('agent_bob')),
    leg(SECOND, 'C', 'completed', 300, toAgent('agent_bob'), completed(108, 300, '0.01280000', 'user')),
    leg(SECOND, 'A', 'completed', 300, caller, completed(1, 300, '0.02000000', 'user')),
  ];
  const parsed = bodies.map((b) => connector.parse({ rawBody: JSON.stringify(b), headers: {}, query: {}, receivedAt: new Date() }));
  const events = parsed.flatMap((p) => p.calls);
  /** What the hub does with the links: the second conversation's events filed under the first. */
  const filed = events.map((e) => (e.callKey === SECOND ? { ...e, callKey: FIRST } : e));

  it('parses the transfer into a fact of the conversation the leg left, and a link to the other', () => {
    const t = connector.parse({ rawBody: JSON.stringify(transfer), headers: {}, query: {}, receivedAt: new Date() });
    expect(t.calls).toEqual([
      { callKey: FIRST, key: `transfer:A:${SECOND}`, source: 'webhook', data: { kind: 'transfer', legId: 'A', from: FIRST, to: SECOND, at: at(100) } },
    ]);
    expect(t.callLinks).toEqual([{ callKey: FIRST, alias: SECOND }]);
    expect(parsed.flatMap((p) => p.callLinks ?? [])).toEqual([{ callKey: FIRST, alias: SECOND }]);
  });

  it('stays one call: both agents, talk to the customer\'s end, named after the first conversation', () => {
    expect(connector.merge(filed)).toEqual({
      providerCallId: FIRST,
      direction: 'inbound',
      status: 'answered',
      externalNumber: `+${CUSTOMER}`,
      trackingNumber: `+${COMPANY}`,
      startedAt: at(0),
      answeredAt: at(10),
      endedAt: at(300),
      waitSeconds: 10,
      talkSeconds: 290,
      holdSeconds: null,
      afterCallWorkSeconds: null,
      agent: { id: 'agent_alice', name: null },
      agents: [
        { id: 'agent_alice', name: null },
        { id: 'agent_bob', name: null },
      ],
      offeredAgents: [
        { id: 'agent_alice', name: null },
        { id: 'agent_bob', name: null },
      ],
      queue: null,
      tags: [],
      recordingUrl: null,
      telephonyCost: { amount: '0.0388', currency: 'EUR' },
    });
  });

  it('gives the same call for any order and any duplicates, whichever key the events come under', () => {
    const reference = connector.merge(filed);
    const both = [...filed, ...events];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: both.length - 1 }), { minLength: filed.length, maxLength: filed.length * 2 }).chain((picks) => {
          // Every event at least once (under either key), some twice.
          const all = [...filed.map((e, i) => (picks[i]! % 2 === 0 ? e : events[i]!)), ...picks.map((i) => both[i]!)];
          return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
        }),
        (shuffled) => void expect(connector.merge(shuffled)).toEqual(reference),
      ),
      { numRuns: 300 },
    );
  });
});

describe('vonage extra scenarios', () => {
  const caller = { from: CUSTOMER, to: COMPANY, direction: 'inbound' as const };
  const toAgent = (user: string) => ({ from: COMPANY, to: user, direction: 'outbound' as const });

  function inboundStart(conv: string): Record<string, unknown>[] {
    return [leg(conv, 'A', 'started', 0, caller), leg(conv, 'A', 'ringing', 0, caller), leg(conv, 'A', 'answered', 1, caller)];
  }

  it('inbound, nobody answers: agent leg times out, the platform hangs up → missed', () => {
    const conv = 'CON-missed';
    const d = mergeBodies([
      ...inboundStart(conv),
      leg(conv, 'B', 'started', 3, toAgent('agent_alice')),
      leg(conv, 'B', 'ringing', 3, toAgent('agent_alice')),
      leg(conv, 'B', 'timeout', 28, toAgent('agent_alice')),
      leg(conv, 'A', 'completed', 33, caller, completed(1, 33, '0.00240000', 'platform')),
    ]);
    expect(d).toMatchObject({ status: 'missed', answeredAt: null, waitSeconds: 33, talkSeconds: 0, agent: null, endedAt: at(33) });
    expect(d.offeredAgents).toEqual([{ id: 'agent_alice', name: null }]);
  });

  it('inbound, nobody answers, the caller leaves a message (NCCO record) → voicemail', () => {
    const conv = 'CON-voicemail';
    const d = mergeBodies([
      ...inboundStart(conv),
      leg(conv, 'B', 'started', 3, toAgent('agent_alice')),
      leg(conv, 'B', 'unanswered', 28, toAgent('agent_alice')),
      leg(conv, 'A', 'completed', 60, caller, completed(1, 60, '0.00400000', 'user')),
      {
        start_time: at(30),
        end_time: at(58),
        recording_url: 'https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
        size: 12222,
        recording_uuid: 'rec-1',
        conversation_uuid: conv,
        timestamp: at(58),
      },
    ]);
    expect(d).toMatchObject({ status: 'voicemail', waitSeconds: 60, talkSeconds: 0, recordingUrl: 'https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab' });
  });

  it('inbound, two agents ring, Bob answers first, Alice\'s leg is cancelled → answered by Bob', () => {
    const conv = 'CON-parallel';
    const d = mergeBodies([
      ...inboundStart(conv),
      leg(conv, 'B1', 'started', 3, toAgent('agent_alice')),
      leg(conv, 'B2', 'started', 3.2, toAgent('agent_bob')),
      leg(conv, 'B2', 'answered', 9, toAgent('agent_bob')),
      leg(conv, 'B1', 'cancelled', 9.1, toAgent('agent_alice')),
      leg(conv, 'B2', 'completed', 100, toAgent('agent_bob'), completed(9, 100, '0.00600000', 'user')),
      leg(conv, 'A', 'completed', 100.05, caller, completed(1, 100, '0.00700000', 'platform')),
    ]);
    expect(d).toMatchObject({ status: 'answered', waitSeconds: 9, talkSeconds: 91, agent: { id: 'agent_bob', name: null } });
    expect(d.agents.map((a) => a.id)).toEqual(['agent_bob']);
    expect(d.offeredAgents?.map((a) => a.id)).toEqual(['agent_alice', 'agent_bob']);
    expect(d.telephonyCost).toEqual({ amount: '0.013', currency: 'EUR' });
  });

  it('inbound handed from Alice to Bob in the same conversation → agents in order, talk to Bob\'s end', () => {
    const conv = 'CON-handover';
    const d = mergeBodies([
      ...inboundStart(conv),
      leg(conv, 'B', 'started', 3, toAgent('agent_alice')),
      leg(conv, 'B', 'answered', 10, toAgent('agent_alice')),
      leg(conv, 'C', 'started', 80, toAgent('agent_bob')),
      leg(conv, 'C', 'answered', 85, toAgent('agent_bob')),
      leg(conv, 'B', 'completed', 90, toAgent('agent_alice'), completed(10, 90, '0.00500000', 'user')),
      leg(conv, 'C', 'completed', 200, toAgent('agent_bob'), completed(85, 200, '0.00700000', 'user')),
      leg(conv, 'A', 'completed', 200.05, caller, completed(1, 200, '0.01500000', 'platform')),
    ]);
    expect(d).toMatchObject({ status: 'answered', waitSeconds: 10, talkSeconds: 190, agent: { id: 'agent_alice', name: null } });
    expect(d.agents.map((a) => a.id)).toEqual(['agent_alice', 'agent_bob']);
  });

  it('a call still going on is in_progress with no end', () => {
    const conv = 'CON-live';
    const d = mergeBodies([...inboundStart(conv), leg(conv, 'B', 'started', 3, toAgent('agent_alice')), leg(conv, 'B', 'answered', 7, toAgent('agent_alice'))]);
    expect(d).toMatchObject({ status: 'in_progress', endedAt: null, answeredAt: at(7), waitSeconds: 7, agent: { id: 'agent_alice' } });
  });

  it('an inbound leg that fails before the platform answers → failed', () => {
    const conv = 'CON-in-failed';
    const d = mergeBodies([leg(conv, 'A', 'started', 0, caller), leg(conv, 'A', 'failed', 2, caller)]);
    expect(d).toMatchObject({ direction: 'inbound', status: 'failed', waitSeconds: 2, endedAt: at(2), telephonyCost: null });
  });

  it('an outbound call whose agent leg fails before any customer leg → failed', () => {
    const conv = 'CON-out-agent-failed';
    const toBob = { from: COMPANY, to: 'agent_bob', direction: 'outbound' as const };
    const d = mergeBodies([leg(conv, 'A', 'started', 0, toBob), leg(conv, 'A', 'failed', 1, toBob)], { agent: 'agent_bob' });
    expect(d).toMatchObject({ direction: 'outbound', status: 'failed', externalNumber: null, agent: { id: 'agent_bob' } });
  });

  it('a withheld caller has no external number', () => {
    const conv = 'CON-withheld';
    const anonymous = { ...caller, from: 'Unknown' };
    const d = mergeBodies([leg(conv, 'A', 'started', 0, anonymous), leg(conv, 'A', 'completed', 20, anonymous, completed(1, 20, '0.001', 'user'))]);
    expect(d).toMatchObject({ direction: 'inbound', status: 'abandoned', externalNumber: null, trackingNumber: '+442079460000', waitSeconds: 20 });
  });

  describe('outbound placed by the hub (agent app leg, then the customer)', () => {
    const toBob = { from: COMPANY, to: 'agent_bob', direction: 'outbound' as const };
    const toCustomer = { from: COMPANY, to: CUSTOMER, direction: 'outbound' as const };
    const agentAnswered = (conv: string) => [leg(conv, 'A', 'started', 0, toBob), leg(conv, 'A', 'answered', 1, toBob), leg(conv, 'B', 'started', 2, toCustomer), leg(conv, 'B', 'ringing', 2.5, toCustomer)];
    const agentHangsUp = (conv: string, second: number) => leg(conv, 'A', 'completed', second, toBob, completed(1, second, '0.00100000', 'user'));

    it.each([
      ['busy', 'busy'],
      ['rejected', 'busy'],
      ['failed', 'failed'],
      ['timeout', 'missed'],
      ['unanswered', 'missed'],
      ['cancelled', 'missed'],
    ])('customer leg %s → %s', (vonageStatus, unified) => {
      const conv = `CON-out-${vonageStatus}`;
      const d = mergeBodies([...agentAnswered(conv), leg(conv, 'B', vonageStatus, 20, toCustomer), agentHangsUp(conv, 21)]);
      expect(d).toMatchObject({ direction: 'outbound', status: unified, answeredAt: null, waitSeconds: 21, talkSeconds: 0, agent: { id: 'agent_bob' } });
      expect(d.externalNumber).toBe('+447700900123');
    });

    it('an answering machine picks up (machine detection) → voicemail', () => {
      const conv = 'CON-out-machine';
      const d = mergeBodies([
        ...agentAnswered(conv),
        leg(conv, 'B', 'answered', 12, toCustomer),
        { call_uuid: 'B', conversation_uuid: conv, from: COMPANY, to: CUSTOMER, status: 'machine', sub_state: 'beep_start', timestamp: at(15) },
        leg(conv, 'B', 'completed', 40, toCustomer, completed(12, 40, '0.00500000', 'user')),
        agentHangsUp(conv, 40.1),
      ]);
      expect(d).toMatchObject({ status: 'voicemail', answeredAt: null, waitSeconds: 40, talkSeconds: 0 });
    });

    it('the agent comes from the event_url query when it is there', () => {
      const conv = 'CON-out-hint';
      const d = mergeBodies(
        [...agentAnswered(conv), leg(conv, 'B', 'answered', 6, toCustomer), leg(conv, 'B', 'completed', 66, toCustomer, completed(6, 66, '0.01', 'user')), agentHangsUp(conv, 66.1)],
        { agent: 'crm-user-42' },
      );
      expect(d).toMatchObject({ status: 'answered', waitSeconds: 6, talkSeconds: 60, agent: { id: 'crm-user-42', name: null } });
    });
  });

  it('an app user calling out from the Client SDK (leg A inbound from the app) is outbound', () => {
    const conv = 'CON-in-app';
    const fromApp = { from: 'agent_carol', to: COMPANY, direction: 'inbound' as const };
    const toCustomer = { from: COMPANY, to: CUSTOMER, direction: 'outbound' as const };
    const d = mergeBodies([
      leg(conv, 'A', 'started', 0, fromApp),
      leg(conv, 'A', 'answered', 0.5, fromApp),
      leg(conv, 'B', 'started', 1, toCustomer),
      leg(conv, 'B', 'answered', 8, toCustomer),
      leg(conv, 'B', 'completed', 68, toCustomer, completed(8, 68, '0.01', 'user')),
      leg(conv, 'A', 'completed', 68.1, fromApp, completed(0.5, 68, '0.002', 'platform')),
    ]);
    expect(d).toMatchObject({
      direction: 'outbound',
      status: 'answered',
      agent: { id: 'agent_carol', name: null },
      externalNumber: '+447700900123',
      trackingNumber: '+442079460000',
      waitSeconds: 8,
      talkSeconds: 60,
    });
  });

  it('merge returns null when no leg is known yet', () => {
    const recordingOnly = connector.parse({
      rawBody: JSON.stringify({ recording_url: 'https://x/y', recording_uuid: 'r', conversation_uuid: 'CON-r', timestamp: at(5) }),
      headers: {},
      query: {},
      receivedAt: new Date(),
    }).calls;
    expect(connector.merge(recordingOnly)).toBeNull();
    expect(connector.merge([])).toBeNull();
  });
});
