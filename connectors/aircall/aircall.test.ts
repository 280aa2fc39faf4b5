import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeliveryShapeError,
  type BackfillPage,
  type CallEvent,
  type ConnectorContext,
  type StoredDelivery,
  type UnifiedCallDraft,
  type WebhookRequest,
} from '../contract.js';
import { ProviderHttpError } from '../shared/http.js';
import { backfillCursor, MAX_CALLS_PER_QUERY, restCallToEvent } from './client.js';
import { aircallConnector as connector, type AircallCredentials } from './index.js';
import { envelopeOf, envelopeSchema } from './webhook.js';

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
interface Delivery {
  arrival: number;
  body: Json & { event: string; timestamp: number; data: Json };
}
interface Scenario {
  ids: { callId: number };
  expected: {
    direction: string;
    outcome: string;
    startedAt: string;
    answeredAt: string | null;
    endedAt: string;
    waitSeconds: number;
    talkSeconds: number;
    holdSeconds: number;
    agent: { id: number; name: string } | null;
    agentsOffered?: number[];
    queue: { numberId: number; numberName: string };
    customerNumber: string;
    companyNumber: string;
    recording: boolean;
    tags?: string[];
  };
  deliveries: Delivery[];
}
interface RestPage {
  response: { calls: Json[]; meta: Json };
}

const fixtureDir = new URL('../../test/fixtures/aircall/', import.meta.url);
const readFixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8')) as T;
const scenarios = {
  inbound_answered: readFixture<Scenario>('inbound_answered.json'),
  inbound_abandoned: readFixture<Scenario>('inbound_abandoned.json'),
  outbound: readFixture<Scenario>('outbound.json'),
};
const restPage = readFixture<RestPage>('rest_calls_page.json');

const TOKEN = 'aircall-test-webhook-token-0001';
const creds: AircallCredentials = { apiId: 'ac-api-id', apiToken: 'ac-api-token', webhookToken: TOKEN };

function webhookRequest(raw: string | Json): WebhookRequest {
  return {
    method: 'POST',
    rawBody: Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw), 'utf8'),
    headers: { 'content-type': 'application/json' },
    publicUrl: 'https://hub.example.com/webhooks/aircall/conn_1',
    query: {},
  };
}

function storedDelivery(body: Json): StoredDelivery {
  return { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' }, query: {}, receivedAt: new Date() };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
function makeCtx(sleeps: number[] = []): ConnectorContext {
  return {
    logger: silentLogger,
    fetch: (input, init) => globalThis.fetch(input, init),
    now: () => new Date('2025-03-12T09:00:00.000Z'),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

/** Verify (as the hub does) then parse every body into call events. */
function eventsFrom(bodies: Json[]): CallEvent[] {
  return bodies.flatMap((body) => {
    expect(connector.verify(webhookRequest(body), creds, makeCtx())).toEqual({ ok: true });
    return connector.parse(storedDelivery(body)).calls;
  });
}

const bodiesOf = (s: Scenario): Json[] => s.deliveries.map((d) => d.body);

function mergeOrFail(events: CallEvent[]): UnifiedCallDraft {
  const draft = connector.merge(events);
  if (!draft) throw new Error('merge returned null');
  return draft;
}

function expectMatchesExpected(draft: UnifiedCallDraft, s: Scenario): void {
  const x = s.expected;
  expect(draft.providerCallId).toBe(String(s.ids.callId));
  expect(draft.direction).toBe(x.direction);
  expect(draft.status).toBe(x.outcome);
  expect(draft.startedAt).toBe(x.startedAt);
  expect(draft.answeredAt).toBe(x.answeredAt);
  expect(draft.endedAt).toBe(x.endedAt);
  expect(draft.waitSeconds).toBe(x.waitSeconds);
  expect(draft.talkSeconds).toBe(x.talkSeconds);
  expect(draft.holdSeconds).toBe(x.holdSeconds);
  expect(draft.agent).toEqual(x.agent ? { id: String(x.agent.id), name: x.agent.name } : null);
  expect(draft.queue).toEqual({ id: String(x.queue.numberId), name: x.queue.numberName });
  expect(draft.externalNumber).toBe(x.customerNumber);
  expect(draft.trackingNumber).toBe(x.companyNumber);
  if (x.recording) expect(draft.recordingUrl).toMatch(/^https:\/\//);
  else expect(draft.recordingUrl).toBeNull();
  expect(draft.tags).toEqual(x.tags ?? []);
  if (x.agentsOffered) expect(draft.offeredAgents?.map((a) => a.id)).toEqual(x.agentsOffered.map(String));
  expect(draft.telephonyCost).toBeNull();
}

/** A call body derived from a fixture delivery, with some fields replaced. */
function withCall(base: Delivery, event: string, timestamp: number, data: Json): Json {
  return { ...base.body, event, timestamp, data: { ...base.body.data, ...data } };
}

function restEventOf(record: Json): CallEvent {
  const event = restCallToEvent(record);
  if (!event) throw new Error('not a call record');
  return event;
}

const T = 1741640400; // 2025-03-10T21:00:00Z
const base = scenarios.inbound_answered.deliveries[0]!; // call.created, inbound
const alice = scenarios.inbound_answered.deliveries[2]!.body.data.user as Json;
const bob = scenarios.outbound.deliveries[0]!.body.data.user as Json;
const teams = scenarios.inbound_answered.deliveries[2]!.body.data.teams as Json[];

function inbound(id: number): (event: string, at: number, data?: Json) => Json {
  return (event, at, data = {}) =>
    withCall(base, event, at, { id, direct_link: `https://api.aircall.io/v1/calls/${id}`, started_at: T, teams, ...data });
}

/** Alice answers, holds 10 s, transfers to Bob, Bob holds 20 s and hangs up. */
function transferScenario(): Json[] {
  const at = inbound(1834567010);
  const live = { status: 'answered', answered_at: T + 8 };
  const done = { status: 'done', answered_at: T + 8, ended_at: T + 200, duration: 200, hangup_cause: 'normal' };
  return [
    at('call.created', T, { teams: [] }),
    at('call.ringing_on_agent', T + 2, { user: alice }),
    at('call.answered', T + 8, { ...live, user: alice }),
    at('call.hold', T + 30, { ...live, user: alice }),
    at('call.unhold', T + 40, { ...live, user: alice }),
    at('call.transferred', T + 60, { ...live, user: alice, transferred_by: alice, transferred_to: bob }),
    at('call.hold', T + 100, { ...live, user: bob }),
    at('call.unhold', T + 120, { ...live, user: bob }),
    at('call.hungup', T + 200, { ...done, user: bob }),
    at('call.ended', T + 230, { ...done, user: bob }),
  ];
}

// ---------------------------------------------------------------------------------------------
// (1) Verification and delivery identity
// ---------------------------------------------------------------------------------------------

describe('aircall verify', () => {
  const body = scenarios.inbound_answered.deliveries[0]!.body;

  it('accepts a delivery carrying the webhook token', () => {
    expect(connector.verify(webhookRequest(body), creds, makeCtx())).toEqual({ ok: true });
  });

  it('rejects a token with one byte changed', () => {
    const raw = JSON.stringify(body);
    const tampered = raw.replace(TOKEN, `${TOKEN.slice(0, -1)}2`);
    expect(tampered).not.toBe(raw);
    expect(connector.verify(webhookRequest(tampered), creds, makeCtx()).ok).toBe(false);
  });

  it('rejects a delivery without a token, or with a non-JSON body', () => {
    const { token: _dropped, ...noToken } = body;
    expect(connector.verify(webhookRequest(noToken), creds, makeCtx())).toEqual({ ok: false, reason: 'missing token' });
    expect(connector.verify(webhookRequest('token=x'), creds, makeCtx()).ok).toBe(false);
  });

  it('refuses every delivery while the connection has no webhook token, whatever the body carries', () => {
    const { webhookToken: _unset, ...withoutToken } = creds;
    expect(connector.credentials.safeParse(withoutToken).success).toBe(true);
    expect(connector.verify(webhookRequest(body), withoutToken, makeCtx())).toEqual({
      ok: false,
      reason: 'no webhook token configured for this connection',
    });
    const { token: _dropped, ...noToken } = body;
    expect(connector.verify(webhookRequest(noToken), withoutToken, makeCtx()).ok).toBe(false);
    expect(connector.verify(webhookRequest({ ...body, token: '' }), { ...withoutToken, webhookToken: undefined }, makeCtx()).ok).toBe(false);
  });

  it('rejects a valid delivery under another connection’s token', () => {
    const other = { ...creds, webhookToken: 'another-webhook-token' };
    expect(connector.verify(webhookRequest(body), other, makeCtx()).ok).toBe(false);
  });

  it('gives a re-delivery the same dedupe key, whatever its key order, and another event another key', () => {
    const deliveries = scenarios.inbound_answered.deliveries;
    const answered = deliveries.find((d) => d.arrival === 3)!.body;
    const redelivered = deliveries.find((d) => d.arrival === 7)!.body;
    const reordered = Object.fromEntries(Object.entries(answered).reverse());
    const key = connector.dedupeKey(webhookRequest(answered));
    expect(key).toMatch(/^aircall:call\.answered:1834567001:1741615214:/);
    expect(connector.dedupeKey(webhookRequest(redelivered))).toBe(key);
    expect(connector.dedupeKey(webhookRequest(reordered))).toBe(key);
    const keys = new Set(deliveries.map((d) => connector.dedupeKey(webhookRequest(d.body))));
    expect(keys.size).toBe(deliveries.length - 1);
  });

  it('keeps every dedupe key it ever gave: the first implementation\'s key for fixtures, reordered copies and random bodies', () => {
    // Dedupe keys are stored: a retry after an upgrade must land on the key stored before it.
    // The first stableStringify, as it was written, and the key made from it.
    const firstStable = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
      if (Array.isArray(value)) return `[${value.map(firstStable).join(',')}]`;
      const entries = Object.entries(value as Json)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${firstStable(v)}`).join(',')}}`;
    };
    const firstKey = (body: Json): string => {
      const data = body.data as Json;
      const hash = createHash('sha256').update(firstStable(body)).digest('hex').slice(0, 16);
      return `aircall:${String(body.event)}:${'id' in data ? String(data.id) : 'none'}:${Math.trunc(Number(body.timestamp))}:${hash}`;
    };
    // Every object's keys in reverse order, all the way down.
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const bodies = Object.values(scenarios).flatMap((s) => s.deliveries.map((d) => ({ ...d.body, token: TOKEN }) as Json));
    for (const body of bodies) {
      expect(connector.dedupeKey(webhookRequest(body))).toBe(firstKey(body));
      // The same shapes again, then in another key order: the key orders remembered are not reused wrongly.
      expect(connector.dedupeKey(webhookRequest(reversed(body) as Json))).toBe(firstKey(body));
    }
    // Pinned: the key this delivery had before the canonical text was made faster.
    const answered = scenarios.inbound_answered.deliveries.find((d) => d.arrival === 3)!.body;
    expect(connector.dedupeKey(webhookRequest(answered))).toBe('aircall:call.answered:1834567001:1741615214:c442bb5200c65bce');
    const odd = { ...answered, token: TOKEN, data: { ...answered.data, note: 'é ☎ \ud83d\ude00 "q" \\ \u0001', nested: [[1, 2.5, -0, 1e21], { z: null, a: [true, false] }], '10': 'x', '9': 'y' } };
    expect(connector.dedupeKey(webhookRequest(odd))).toBe('aircall:call.answered:1834567001:1741615214:f15a212ec910d6aa');

    // Random members in the fixtures' shapes (the same keys again and again, as deliveries are)
    // and random shapes sharing their first key.
    const template = bodies[0]!;
    const extra = fc.dictionary(fc.oneof(fc.constantFrom('id', 'user', 'number', 'a', '0', '10', '__proto__'), fc.string({ unit: 'binary' })), fc.jsonValue(), { maxKeys: 5 });
    fc.assert(
      fc.property(extra, fc.jsonValue(), fc.boolean(), (more, value, reverse) => {
        const body = { ...template, data: { ...(template.data as Json), ...more, user: value } };
        const sent = (reverse ? reversed(body) : body) as Json;
        expect(connector.dedupeKey(webhookRequest(JSON.stringify(sent)))).toBe(firstKey(JSON.parse(JSON.stringify(body)) as Json));
      }),
      { numRuns: 1000 },
    );
  });

  it('stores the body without its token, as JSON.stringify writes it, for fixtures and random bodies', () => {
    const withoutToken = (text: string): string => {
      const { token: _token, ...rest } = JSON.parse(text) as Json;
      return JSON.stringify(rest);
    };
    for (const s of Object.values(scenarios)) {
      for (const d of s.deliveries) {
        const text = JSON.stringify({ ...d.body, token: TOKEN });
        const stored = connector.redact!(webhookRequest(text));
        expect(stored).toBe(withoutToken(text));
        expect(stored).not.toContain(TOKEN);
      }
    }
    const key = fc.oneof(fc.constantFrom('token', 'data', 'event', '0', '7', '__proto__', 'é'), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { maxKeys: 8 }), fc.boolean(), (body, spaced) => {
        const text = JSON.stringify({ ...body, token: TOKEN }, null, spaced ? 2 : undefined);
        const stored = connector.redact!(webhookRequest(text));
        expect(stored).toBe(withoutToken(text));
        expect(Object.keys(JSON.parse(stored) as Json)).not.toContain('token');
      }),
      { numRuns: 1000 },
    );
  });

  it('reads the envelope of a dedupe key exactly as the parse schema does, for any JSON value', () => {
    const text = fc.oneof(fc.string({ maxLength: 3 }), fc.string({ minLength: 99, maxLength: 101 }), fc.constantFrom('call.created', 'call', ''));
    const stamp = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom('1741615214', '0', '123456789012', '1234567890123', '', ' 1', '1.5', '-1', '1e3'),
      fc.string({ maxLength: 4 }),
    );
    const envelope = fc.record(
      { resource: fc.oneof(text, fc.jsonValue()), event: fc.oneof(text, fc.jsonValue()), timestamp: fc.oneof(stamp, fc.jsonValue()), data: fc.jsonValue(), token: fc.string() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(envelope, fc.jsonValue()), (value) => {
        // Through JSON, as a delivery's body arrives (no undefined, no -0, no NaN).
        const body: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
        const parsed = envelopeSchema.safeParse(body);
        expect(envelopeOf(body)).toEqual(parsed.success ? parsed.data : null);
      }),
      { numRuns: 2000 },
    );
  });

  it('validates credentials', () => {
    expect(connector.credentials.safeParse(creds).success).toBe(true);
    // The webhook token is optional (CONTRACT.md section 2); the API pair is not.
    expect(connector.credentials.safeParse({ apiId: 'a', apiToken: 'b' }).success).toBe(true);
    expect(connector.credentials.safeParse({ apiId: 'a', webhookToken: 't' }).success).toBe(false);
    expect(connector.credentials.safeParse({ ...creds, webhookToken: '' }).success).toBe(false);
    expect(connector.credentials.safeParse({ ...creds, baseUrl: 'not a url' }).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// (2) Fixture scenarios
// ---------------------------------------------------------------------------------------------

describe('aircall fixture scenarios', () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${name}: every delivery parsed and merged gives the expected call`, () => {
      const events = eventsFrom(bodiesOf(scenario));
      expect(new Set(events.map((e) => e.callKey))).toEqual(new Set([String(scenario.ids.callId)]));
      expectMatchesExpected(mergeOrFail(events), scenario);
    });
  }

  it('inbound_answered: agents, offered agents and the duplicate call.answered', () => {
    const events = eventsFrom(bodiesOf(scenarios.inbound_answered));
    const draft = mergeOrFail(events);
    expect(draft.agents).toEqual([{ id: '987001', name: 'Alice Agent' }]);
    expect(draft.offeredAgents).toEqual([{ id: '987001', name: 'Alice Agent' }]);
    // The re-delivered call.answered parses to the very same event.
    const answeredKeys = events.filter((e) => e.data.event === 'call.answered').map((e) => e.key);
    expect(answeredKeys).toHaveLength(2);
    expect(answeredKeys[0]).toBe(answeredKeys[1]);
    // It prefers the stable asset page to the S3 link that expires after an hour.
    expect(draft.recordingUrl).toBe('https://assets.aircall.io/calls/1834567001/recording');
  });

  it('inbound_abandoned: nobody handled it though two agents rang', () => {
    const draft = mergeOrFail(eventsFrom(bodiesOf(scenarios.inbound_abandoned)));
    expect(draft.agents).toEqual([]);
    expect(draft.offeredAgents?.map((a) => a.name)).toEqual(['Alice Agent', 'Bob Agent']);
  });

  it('outbound: the placing agent is known from call.created on', () => {
    const draft = mergeOrFail(eventsFrom(bodiesOf(scenarios.outbound)));
    expect(draft.agents).toEqual([{ id: '987002', name: 'Bob Agent' }]);
    const createdOnly = mergeOrFail(eventsFrom([scenarios.outbound.deliveries[0]!.body]));
    expect(createdOnly.status).toBe('in_progress');
    expect(createdOnly.agent).toEqual({ id: '987002', name: 'Bob Agent' });
  });
});

// ---------------------------------------------------------------------------------------------
// (3) Order and duplicates never matter
// ---------------------------------------------------------------------------------------------

/** A permutation of `events` with extra copies of some of them inserted anywhere. */
const shuffledWithDuplicates = (events: CallEvent[]) =>
  fc
    .tuple(
      fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: events.length * 2 }),
    )
    .map(([shuffled, copies]) => {
      const out = [...shuffled];
      for (const [which, where] of copies) out.splice(where % (out.length + 1), 0, events[which % events.length]!);
      return out;
    });

describe('aircall merge is order and duplicate independent', () => {
  const cases: Array<[string, () => CallEvent[]]> = [
    ...Object.entries(scenarios).map(([n, s]): [string, () => CallEvent[]] => [n, () => eventsFrom(bodiesOf(s))]),
    [
      'inbound_answered + REST',
      () => [...eventsFrom(bodiesOf(scenarios.inbound_answered)), restEventOf(restPage.response.calls[0]!)],
    ],
    ['transfer with two holds', () => eventsFrom(transferScenario())],
  ];

  for (const [name, build] of cases) {
    it(`${name}: any permutation with any duplicates gives the same draft`, () => {
      const events = build();
      const reference = connector.merge(events);
      expect(reference).not.toBeNull();
      fc.assert(
        fc.property(shuffledWithDuplicates(events), (mixed) => {
          expect(connector.merge(mixed)).toEqual(reference);
        }),
        { numRuns: 200 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// (4) Backfill through GET /v1/calls
// ---------------------------------------------------------------------------------------------

const API = 'https://api.aircall.io';
const basic = `Basic ${Buffer.from('ac-api-id:ac-api-token').toString('base64')}`;
const marchTenth = { from: new Date('2025-03-10T00:00:00Z'), to: new Date('2025-03-11T00:00:00Z') };
const pageQuery = (page: number) => ({ from: '1741564800', to: '1741651200', order: 'asc', per_page: '50', page: String(page) });

/** The second page (written for these tests): a voicemail and an unanswered outbound call. */
function secondRestPage(): { calls: Json[]; meta: Json } {
  const [answered, , outbound] = restPage.response.calls as [Json, Json, Json];
  const voicemail: Json = {
    ...answered,
    id: 1834567004,
    sid: 'CA00000000000000000000000000000004',
    direct_link: 'https://api.aircall.io/v1/calls/1834567004',
    started_at: 1741626000,
    answered_at: null,
    ended_at: 1741626075,
    duration: 75,
    missed_call_reason: 'agents_did_not_answer',
    recording: null,
    voicemail: 'https://example-bucket.s3.amazonaws.com/voicemail-1834567004.mp3?X-Amz-Expires=3600',
    asset: 'https://assets.aircall.io/calls/1834567004/voicemail',
    user: null,
    tags: [],
    comments: [],
  };
  const unanswered: Json = {
    ...outbound,
    id: 1834567005,
    sid: 'CA00000000000000000000000000000005',
    direct_link: 'https://api.aircall.io/v1/calls/1834567005',
    started_at: 1741629600,
    answered_at: null,
    ended_at: 1741629625,
    duration: 25,
    hangup_cause: 'no_answer',
    recording: null,
    asset: null,
  };
  return {
    calls: [voicemail, unanswered],
    meta: { count: 2, total: 5, current_page: 2, per_page: 3, next_page_link: null, previous_page_link: API + '/v1/calls?page=1' },
  };
}

async function collect(gen: AsyncGenerator<BackfillPage, void, void>, pages: BackfillPage[]): Promise<void> {
  for await (const page of gen) pages.push(page);
}

describe('aircall backfill', () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('walks the pages with basic auth, waits as a 429 asks, and reproduces what REST can', async () => {
    const resetAt = Math.floor(makeCtx().now().getTime() / 1000) + 7;
    nock(API).get('/v1/calls').query(pageQuery(1)).matchHeader('authorization', basic).reply(200, restPage.response);
    nock(API)
      .get('/v1/calls')
      .query(pageQuery(2))
      .matchHeader('authorization', basic)
      .reply(429, { error: 'Too Many Requests' }, { 'X-AircallApi-Reset': String(resetAt) });
    nock(API).get('/v1/calls').query(pageQuery(2)).matchHeader('authorization', basic).reply(200, secondRestPage());

    const sleeps: number[] = [];
    const pages: BackfillPage[] = [];
    await collect(connector.backfill!(creds, marchTenth, null, makeCtx(sleeps)), pages);

    expect(nock.isDone()).toBe(true);
    expect(sleeps).toEqual([7000]);
    expect(pages.map((p) => p.events.length)).toEqual([3, 2]);
    expect(pages[0]!.cursor).not.toBeNull();
    expect(pages[1]!.cursor).toBeNull();
    expect(pages[1]!.progress).toBe(1);
    const events = pages.flatMap((p) => p.events);
    expect(events.every((e) => e.source === 'rest')).toBe(true);

    const drafts = new Map(events.map((e) => [e.callKey, mergeOrFail([e])]));
    // README "What a REST-only backfill can and cannot reproduce": wait = answered_at − started_at,
    // talk = ended_at − answered_at (hold included: REST has no hold fields, so hold is unknown).
    const answered = drafts.get('1834567001')!;
    expect(answered).toMatchObject({
      status: 'answered',
      waitSeconds: 14,
      talkSeconds: 255,
      holdSeconds: null,
      agent: { id: '987001', name: 'Alice Agent' },
      agents: [{ id: '987001', name: 'Alice Agent' }],
      tags: ['Billing'],
      queue: { id: '412345', name: 'Support Line' },
      externalNumber: '+14155550123',
      trackingNumber: '+16505550100',
      recordingUrl: 'https://assets.aircall.io/calls/1834567001/recording',
    });
    expect(drafts.get('1834567002')).toMatchObject({ status: 'abandoned', waitSeconds: 47, talkSeconds: 0, agent: null, offeredAgents: [] });
    expect(drafts.get('1834567003')).toMatchObject({ status: 'answered', waitSeconds: 9, talkSeconds: 370, agent: { id: '987002' } });
    expect(drafts.get('1834567004')).toMatchObject({
      status: 'voicemail',
      answeredAt: null,
      waitSeconds: 75,
      agent: null,
      recordingUrl: 'https://assets.aircall.io/calls/1834567004/voicemail',
    });
    expect(drafts.get('1834567005')).toMatchObject({ status: 'missed', waitSeconds: 25, agent: { id: '987002' } });
  });

  it('resumes from the last cursor after a failure mid-way, without asking for page 1 again', async () => {
    nock(API).get('/v1/calls').query(pageQuery(1)).reply(200, restPage.response);
    nock(API).get('/v1/calls').query(pageQuery(2)).reply(502, 'bad gateway');

    const firstRun: BackfillPage[] = [];
    await expect(collect(connector.backfill!(creds, marchTenth, null, makeCtx()), firstRun)).rejects.toBeInstanceOf(
      ProviderHttpError,
    );
    expect(firstRun).toHaveLength(1);
    const resumeFrom = firstRun[0]!.cursor!;
    expect(backfillCursor.decode(resumeFrom)).toMatchObject({ page: 2 });

    nock(API).get('/v1/calls').query(pageQuery(2)).reply(200, secondRestPage());
    const secondRun: BackfillPage[] = [];
    await collect(connector.backfill!(creds, marchTenth, resumeFrom, makeCtx()), secondRun);
    expect(nock.isDone()).toBe(true);
    expect(secondRun.map((p) => p.events.map((e) => e.callKey))).toEqual([['1834567004', '1834567005']]);
    expect(secondRun[0]!.cursor).toBeNull();
  });

  it('halves a window holding more than 10 000 calls and covers the whole range without gaps', async () => {
    const callsPerHour = 150; // ≈ 66 h hold 10 000 calls
    const asked: Array<{ from: number; to: number; page: number; total: number }> = [];
    nock(API)
      .persist()
      .get('/v1/calls')
      .query(true)
      .reply((uri) => {
        const q = new URL(uri, API).searchParams;
        const from = Number(q.get('from'));
        const to = Number(q.get('to'));
        const total = Math.round(((to - from) / 3600) * callsPerHour);
        asked.push({ from, to, page: Number(q.get('page')), total });
        expect(q.get('per_page')).toBe('50');
        return [200, { calls: [], meta: { total, next_page_link: null } }];
      });

    const window = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-15T00:00:00Z') };
    const pages: BackfillPage[] = [];
    await collect(connector.backfill!(creds, window, null, makeCtx()), pages);

    const accepted = asked.filter((a) => a.total <= MAX_CALLS_PER_QUERY);
    expect(asked.some((a) => a.total > MAX_CALLS_PER_QUERY)).toBe(true);
    expect(accepted).toHaveLength(pages.length);
    // Consecutive accepted sub-windows tile [from, to] exactly.
    expect(accepted[0]!.from).toBe(window.from.getTime() / 1000);
    expect(accepted.at(-1)!.to).toBe(window.to.getTime() / 1000);
    for (let i = 1; i < accepted.length; i++) expect(accepted[i]!.from).toBe(accepted[i - 1]!.to);
    expect(pages.at(-1)!.cursor).toBeNull();
    const progress = pages.map((p) => p.progress ?? 0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });
});

// ---------------------------------------------------------------------------------------------
// (5) REST and webhooks of the same call merge into one call
// ---------------------------------------------------------------------------------------------

describe('aircall REST + webhook merge', () => {
  it('keeps the webhook’s hold figures and fills nothing wrong from REST', () => {
    const webhookEvents = eventsFrom(bodiesOf(scenarios.inbound_answered));
    const restEvent = restEventOf(restPage.response.calls[0]!);
    expect(restEvent.callKey).toBe(webhookEvents[0]!.callKey);

    const merged = mergeOrFail([restEvent, ...webhookEvents]);
    expectMatchesExpected(merged, scenarios.inbound_answered);
    expect(merged.holdSeconds).toBe(30);
    expect(merged.talkSeconds).toBe(225);
    expect(merged).toEqual(mergeOrFail(webhookEvents));
  });

  it('fills what the webhooks never carried (only call.created and call.hungup were received)', () => {
    const d = scenarios.inbound_answered.deliveries;
    const partial = eventsFrom([d[0]!.body, d[5]!.body]);
    const withoutRest = mergeOrFail(partial);
    expect(withoutRest.recordingUrl).toBeNull();
    expect(withoutRest.tags).toEqual([]);

    const merged = mergeOrFail([...partial, restEventOf(restPage.response.calls[0]!)]);
    expect(merged.recordingUrl).toBe('https://assets.aircall.io/calls/1834567001/recording');
    expect(merged.tags).toEqual(['Billing']);
    expect(merged.agent).toEqual({ id: '987001', name: 'Alice Agent' });
    expect(merged.waitSeconds).toBe(14);
  });
});

// ---------------------------------------------------------------------------------------------
// (6) More scenarios
// ---------------------------------------------------------------------------------------------

describe('aircall more scenarios', () => {
  it('transfer between two agents, hold twice: agents in order, both holds counted', () => {
    const draft = mergeOrFail(eventsFrom(transferScenario()));
    expect(draft).toMatchObject({
      status: 'answered',
      waitSeconds: 8,
      holdSeconds: 30,
      talkSeconds: 192 - 30,
      agent: { id: '987001', name: 'Alice Agent' },
      agents: [
        { id: '987001', name: 'Alice Agent' },
        { id: '987002', name: 'Bob Agent' },
      ],
    });
  });

  it('accepts the API reference’s "transfered_to" spelling too', () => {
    const bodies = transferScenario().map((b) => {
      const data = { ...(b.data as Json) };
      if ('transferred_to' in data) {
        data.transfered_to = data.transferred_to;
        data.transfered_by = data.transferred_by;
        delete data.transferred_to;
        delete data.transferred_by;
      }
      return { ...b, data };
    });
    expect(mergeOrFail(eventsFrom(bodies)).agents.map((a) => a.id)).toEqual(['987001', '987002']);
  });

  it('a hold still open at hang-up ends with the call', () => {
    const at = inbound(1834567011);
    const live = { status: 'answered', answered_at: T + 5, user: alice };
    const draft = mergeOrFail(
      eventsFrom([
        at('call.created', T),
        at('call.answered', T + 5, live),
        at('call.hold', T + 50, live),
        at('call.hungup', T + 65, { ...live, status: 'done', ended_at: T + 65 }),
      ]),
    );
    expect(draft).toMatchObject({ holdSeconds: 15, talkSeconds: 60 - 15, waitSeconds: 5 });
  });

  it('missed → voicemail: the voicemail time is waiting, nobody handled it', () => {
    const at = inbound(1834567012);
    const voicemail = 'https://example-bucket.s3.amazonaws.com/voicemail.mp3?X-Amz-Expires=3600';
    const done = {
      status: 'done',
      ended_at: T + 75,
      missed_call_reason: 'agents_did_not_answer',
      voicemail,
      asset: 'https://assets.aircall.io/calls/1834567012/voicemail',
    };
    const draft = mergeOrFail(
      eventsFrom([
        at('call.created', T),
        at('call.ringing_on_agent', T + 3, { user: alice }),
        at('call.hungup', T + 75, done),
        at('call.voicemail_left', T + 76, done),
        at('call.ended', T + 105, done),
      ]),
    );
    expect(draft).toMatchObject({
      status: 'voicemail',
      answeredAt: null,
      waitSeconds: 75,
      talkSeconds: 0,
      holdSeconds: 0,
      agent: null,
      agents: [],
      offeredAgents: [{ id: '987001', name: 'Alice Agent' }],
      recordingUrl: 'https://assets.aircall.io/calls/1834567012/voicemail',
    });
  });

  it('voicemail stays voicemail even if Aircall stamps answered_at when the voicemail picks up', () => {
    const at = inbound(1834567013);
    const done = { status: 'done', answered_at: T + 20, ended_at: T + 60, voicemail: 'https://vm.example/x.mp3' };
    const draft = mergeOrFail(eventsFrom([at('call.created', T), at('call.ended', T + 90, done)]));
    expect(draft).toMatchObject({ status: 'voicemail', answeredAt: null, waitSeconds: 60, talkSeconds: 0 });
  });

  // Aircall's missed_call_reason values (call overview): the caller hung up → abandoned; Aircall
  // gave up on the caller → missed; an unknown or absent reason → missed.
  it.each([
    ['short_abandoned', 'abandoned'],
    ['abandoned_in_ivr', 'abandoned'],
    ['abandoned_in_classic', 'abandoned'],
    ['out_of_opening_hours', 'missed'],
    ['no_available_agent', 'missed'],
    ['agents_did_not_answer', 'missed'],
    ['a_reason_aircall_adds_later', 'missed'],
    [null, 'missed'],
  ] as const)('inbound missed_call_reason %s → %s', (reason, status) => {
    const at = inbound(1834567014);
    const done = { status: 'done', ended_at: T + 30, missed_call_reason: reason };
    expect(mergeOrFail(eventsFrom([at('call.created', T), at('call.hungup', T + 30, done)])).status).toBe(status);
  });

  it.each([
    ['no_answer', 'missed'],
    ['busy', 'busy'],
    ['user_busy', 'busy'],
    ['failed', 'failed'],
    [null, 'missed'],
  ] as const)('outbound not answered, hangup_cause %s → %s', (cause, status) => {
    const created = scenarios.outbound.deliveries[0]!;
    const id = 1834567015;
    const data = { id, started_at: T };
    const draft = mergeOrFail(
      eventsFrom([
        withCall(created, 'call.created', T, data),
        withCall(created, 'call.hungup', T + 25, { ...data, status: 'done', ended_at: T + 25, hangup_cause: cause }),
      ]),
    );
    expect(draft).toMatchObject({
      status,
      direction: 'outbound',
      waitSeconds: 25,
      talkSeconds: 0,
      agent: { id: '987002', name: 'Bob Agent' },
      agents: [{ id: '987002', name: 'Bob Agent' }],
    });
  });

  it('a call not ended yet is in progress', () => {
    const d = scenarios.inbound_answered.deliveries;
    const draft = mergeOrFail(eventsFrom([d[0]!.body, d[1]!.body, d[2]!.body]));
    expect(draft).toMatchObject({
      status: 'in_progress',
      endedAt: null,
      answeredAt: '2025-03-10T14:00:14.000Z',
      waitSeconds: 14,
      agent: { id: '987001' },
    });
  });

  it('ignores a stale snapshot delivered after call.ended, keeps later tags and removals', () => {
    const deliveries = scenarios.inbound_answered.deliveries;
    const original = mergeOrFail(eventsFrom(bodiesOf(scenarios.inbound_answered)));
    const answered = deliveries.find((d) => d.arrival === 3)!;
    // The same answered snapshot, rebuilt by Aircall a minute after call.ended.
    const stale = { ...answered.body, timestamp: 1741615560 };
    expect(mergeOrFail(eventsFrom([...bodiesOf(scenarios.inbound_answered), stale]))).toEqual(original);

    const last = deliveries.at(-1)!;
    const billing = (last.body.data.tags as Json[])[0]!;
    const vip = { ...billing, id: 770002, name: 'VIP' };
    const tagged = withCall(last, 'call.tagged', 1741615600, { tags: [billing, vip] });
    const untagged = withCall(last, 'call.untagged', 1741615700, { tags: [vip] });
    const withTags = mergeOrFail(eventsFrom([...bodiesOf(scenarios.inbound_answered), tagged]));
    expect(withTags.tags).toEqual(['Billing', 'VIP']);
    expect({ ...withTags, tags: original.tags }).toEqual(original);
    expect(mergeOrFail(eventsFrom([untagged, ...bodiesOf(scenarios.inbound_answered), tagged])).tags).toEqual(['VIP']);
  });

  it('an anonymous caller has no external number', () => {
    const at = inbound(1834567016);
    const draft = mergeOrFail(eventsFrom([at('call.created', T, { raw_digits: 'anonymous' })]));
    expect(draft.externalNumber).toBeNull();
    expect(draft.trackingNumber).toBe('+16505550100');
  });
});

// ---------------------------------------------------------------------------------------------
// AI Voice Agent (AIVA): self-served calls, on Aircall's own report only
// ---------------------------------------------------------------------------------------------

describe('aircall AI voice agent', () => {
  /** An `ai_voice_agent.*` webhook: the Voice Agent object of the call (developer.aircall.io, "Log Voice Agent calls"). */
  function aiva(callId: number, event: string, at: number, data: Json = {}): Json {
    return {
      resource: 'ai_voice_agent',
      event,
      timestamp: at,
      token: TOKEN,
      data: {
        id: callId,
        call_id: callId,
        call_uuid: `CA-aiva-${callId}`,
        ai_voice_agent_id: 'aiva-42',
        ai_voice_agent_name: 'Front desk',
        ai_voice_agent_session_id: `session-${callId}`,
        number_id: 412345,
        created_at: at,
        started_at: T + 1,
        ...data,
      },
    };
  }

  function selfServed(): Json[] {
    const id = 1834567020;
    const at = inbound(id);
    // AIVA picks up at once; Aircall stamps answered_at with that pick-up, and no user.
    const done = { status: 'done', answered_at: T + 1, ended_at: T + 95, duration: 95 };
    return [
      at('call.created', T, { teams: [] }),
      aiva(id, 'ai_voice_agent.started', T + 1),
      at('call.answered', T + 1, { status: 'answered', answered_at: T + 1, teams: [] }),
      aiva(id, 'ai_voice_agent.ended', T + 95, { ended_at: T + 95, call_end_reason: 'answered' }),
      at('call.hungup', T + 95, { ...done, teams: [] }),
      at('call.ended', T + 125, { ...done, teams: [] }),
    ];
  }

  it('a call AIVA took and ended without escalating is self_served, with AIVA as the evidence', () => {
    const draft = mergeOrFail(eventsFrom(selfServed()));
    expect(draft).toMatchObject({
      status: 'self_served',
      startedAt: '2025-03-10T21:00:00.000Z',
      answeredAt: null,
      endedAt: '2025-03-10T21:01:35.000Z',
      waitSeconds: 95,
      talkSeconds: 0,
      holdSeconds: 0,
      agent: null,
      agents: [],
      automation: { id: 'aiva-42', name: 'Front desk', escalated: false, evidence: 'aircall ai_voice_agent.ended (answered)' },
    });
  });

  it('is the same call for any order and any duplicates of its events', () => {
    const events = eventsFrom(selfServed());
    const reference = connector.merge(events);
    fc.assert(fc.property(shuffledWithDuplicates(events), (mixed) => void expect(connector.merge(mixed)).toEqual(reference)), { numRuns: 200 });
  });

  it('AIVA escalates and Alice answers: answered by Alice, AIVA kept as escalated', () => {
    const id = 1834567021;
    const at = inbound(id);
    const done = { status: 'done', answered_at: T + 45, ended_at: T + 200, duration: 200 };
    const draft = mergeOrFail(
      eventsFrom([
        at('call.created', T, { teams: [] }),
        aiva(id, 'ai_voice_agent.started', T + 1),
        aiva(id, 'ai_voice_agent.escalated', T + 40, { escalation_reason: 'caller asked for a human' }),
        at('call.ringing_on_agent', T + 41, { user: alice }),
        at('call.answered', T + 45, { status: 'answered', answered_at: T + 45, user: alice }),
        aiva(id, 'ai_voice_agent.ended', T + 45, { ended_at: T + 45, call_end_reason: 'escalated' }),
        at('call.hungup', T + 200, { ...done, user: alice }),
      ]),
    );
    expect(draft).toMatchObject({
      status: 'answered',
      answeredAt: '2025-03-10T21:00:45.000Z',
      waitSeconds: 45,
      talkSeconds: 155,
      agent: { id: String(alice.id) },
      automation: { id: 'aiva-42', escalated: true, evidence: 'aircall ai_voice_agent.ended (escalated)' },
    });
  });

  it('AIVA escalates, nobody answers and the caller hangs up: abandoned, never answered', () => {
    const id = 1834567022;
    const at = inbound(id);
    const done = { status: 'done', answered_at: T + 1, ended_at: T + 70, missed_call_reason: 'abandoned_in_classic' };
    const draft = mergeOrFail(
      eventsFrom([
        at('call.created', T, { teams: [] }),
        aiva(id, 'ai_voice_agent.started', T + 1),
        aiva(id, 'ai_voice_agent.escalated', T + 40),
        at('call.ringing_on_agent', T + 41, { user: alice }),
        // Nobody took it: the final snapshot names no user (only the ring did).
        at('call.hungup', T + 70, done),
      ]),
    );
    expect(draft).toMatchObject({ status: 'abandoned', answeredAt: null, waitSeconds: 70, talkSeconds: 0, agents: [] });
    expect(draft.automation?.escalated).toBe(true);
  });

  it('never infers self-service from a missing agent: without AIVA events nothing changes', () => {
    const id = 1834567023;
    const at = inbound(id);
    const done = { status: 'done', answered_at: T + 1, ended_at: T + 95 };
    const draft = mergeOrFail(eventsFrom([at('call.created', T), at('call.answered', T + 1, { status: 'answered', answered_at: T + 1 }), at('call.hungup', T + 95, done)]));
    expect(draft.status).toBe('answered');
    expect(draft.automation).toBeUndefined();
  });

  it('parses the summary event into nothing, and a Voice Agent object without a call into a shape error', () => {
    expect(connector.parse(storedDelivery(aiva(1834567024, 'ai_voice_agent.summary', T + 100, { extracted_data: { reason: 'billing' } }))).calls).toEqual([]);
    expect(() => connector.parse(storedDelivery(aiva(1, 'ai_voice_agent.ended', T, { id: null, call_id: null })))).toThrow(DeliveryShapeError);
  });
});

describe('aircall parse', () => {
  it('turns user presence events into presence', () => {
    const user = { id: 987001, name: 'Alice Agent', email: 'alice@acme.example', available: true };
    const parse = (event: string) =>
      connector.parse(storedDelivery({ resource: 'user', event, timestamp: T, token: TOKEN, data: user }));
    const at = '2025-03-10T21:00:00.000Z';
    expect(parse('user.connected')).toEqual({
      calls: [],
      presence: [{ agentId: '987001', agentName: 'Alice Agent', state: 'available', at }],
    });
    expect(parse('user.opened').presence[0]?.state).toBe('available');
    expect(parse('user.closed').presence[0]?.state).toBe('unavailable');
    expect(parse('user.disconnected').presence[0]?.state).toBe('unavailable');
    expect(parse('user.created')).toEqual({ calls: [], presence: [] });
  });

  it('returns nothing for Aircall events it does not use', () => {
    const created = scenarios.inbound_answered.deliveries[0]!.body;
    expect(connector.parse(storedDelivery({ ...created, event: 'call.comm_assets_generated' }))).toEqual({ calls: [], presence: [] });
    expect(
      connector.parse(storedDelivery({ resource: 'number', event: 'number.opened', timestamp: T, token: TOKEN, data: { id: 412345 } })),
    ).toEqual({ calls: [], presence: [] });
  });

  it('throws DeliveryShapeError for a body that is not Aircall’s', () => {
    expect(() => connector.parse(storedDelivery({ CallSid: 'CA123', CallStatus: 'ringing' }))).toThrow(DeliveryShapeError);
    const created = scenarios.inbound_answered.deliveries[0]!.body;
    expect(() => connector.parse(storedDelivery({ ...created, data: { id: 1 } }))).toThrow(DeliveryShapeError);
    expect(() => connector.parse({ ...storedDelivery({}), rawBody: 'not json' })).toThrow(DeliveryShapeError);
  });

  it('merge returns null when no event is an Aircall call snapshot', () => {
    expect(connector.merge([])).toBeNull();
    expect(connector.merge([{ callKey: '1', key: 'x', source: 'webhook', data: { foo: 1 } }])).toBeNull();
  });
});

describe('aircall sentiment (Aircall AI)', () => {
  const sentiment = (callId: number, at: number, value: string, type = 'external'): Json => ({
    resource: 'sentiment',
    event: 'sentiment.created',
    timestamp: at,
    token: TOKEN,
    data: { id: callId, call_id: callId, participants: [{ phone_number: '+14155550123', value, type }] },
  });

  it("gives the call the external participant's label, the latest analysis winning in any order", () => {
    const calls = bodiesOf(scenarios.inbound_answered);
    const id = scenarios.inbound_answered.deliveries[0]!.body.data.id as number;
    const events = eventsFrom([...calls, sentiment(id, 1741615700, 'NEGATIVE'), sentiment(id, 1741615800, 'POSITIVE')]);
    const reference = mergeOrFail(events);
    expect(reference.sentiment).toEqual({ label: 'positive', score: null, source: 'aircall sentiment.created' });
    expect({ ...reference, sentiment: undefined }).toEqual({ ...mergeOrFail(eventsFrom(calls)), sentiment: undefined });
    fc.assert(fc.property(shuffledWithDuplicates(events), (mixed) => void expect(connector.merge(mixed)).toEqual(reference)), { numRuns: 100 });
  });

  it('ignores an unknown label or internal participants only, and refuses a body that is not a Sentiment object', () => {
    expect(connector.parse(storedDelivery(sentiment(1, 1741615800, 'MIXED'))).calls).toEqual([]);
    expect(connector.parse(storedDelivery(sentiment(1, 1741615800, 'POSITIVE', 'internal'))).calls).toEqual([]);
    expect(() => connector.parse(storedDelivery({ ...sentiment(1, 1741615800, 'POSITIVE'), data: { call_id: 1 } }))).toThrow(DeliveryShapeError);
  });
});
