import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { DeliveryShapeError } from '../contract.js';
import type { BackfillPage, CallEvent, ConnectorContext, StoredDelivery, UnifiedCallDraft, WebhookRequest } from '../contract.js';
import { ProviderHttpError } from '../shared/http.js';
import { ringcentralConnector as rc, type RingCentralCredentials } from './index.js';
import { getSubscription, renewSubscription } from './maintain.js';

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

const FIXTURES = new URL('../../test/fixtures/ringcentral/', import.meta.url);
const TOKEN = 'rc-test-verification-token-0001';
const SERVER = 'https://platform.ringcentral.com';

interface FixtureDelivery {
  arrival: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}
interface ExpectedFacts {
  direction: string;
  outcome: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  waitSeconds: number;
  talkSeconds: number;
  holdSeconds: number | null;
  agent: { id: string; name: string } | null;
  agentsOffered?: string[];
  queue: { id: string; name: string } | null;
  customerNumber: string;
  companyNumber: string;
  recording: boolean;
}
interface ScenarioFixture {
  expected: ExpectedFacts;
  deliveries: FixtureDelivery[];
  ids: { telephonySessionId: string };
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as T;
}
const scenarios = ['inbound_answered', 'inbound_abandoned', 'outbound'] as const;
const scenario = (name: (typeof scenarios)[number]) => fixture<ScenarioFixture>(name);

const creds: RingCentralCredentials = {
  clientId: 'rc-client-id',
  clientSecret: 'rc-client-secret',
  jwt: 'eyJhbGciOiJSUzI1NiJ9.test-jwt.signature',
  verificationToken: TOKEN,
};

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function request(body: string, headers: Record<string, string>): WebhookRequest {
  return {
    method: 'POST',
    rawBody: Buffer.from(body),
    headers: lower(headers),
    publicUrl: 'https://hub.example.com/webhooks/ringcentral/conn_1',
    query: {},
  };
}

function stored(body: unknown, receivedAt = new Date('2025-03-10T18:00:00.000Z')): StoredDelivery {
  return { rawBody: typeof body === 'string' ? body : JSON.stringify(body), headers: {}, query: {}, receivedAt };
}

function eventsOf(bodies: readonly unknown[]): CallEvent[] {
  return bodies.flatMap((b) => rc.parse(stored(b)).calls);
}

function scenarioEvents(name: (typeof scenarios)[number]): CallEvent[] {
  return eventsOf(scenario(name).deliveries.map((d) => d.body));
}

function ctx(overrides: Partial<ConnectorContext> = {}): ConnectorContext & { sleep: ReturnType<typeof vi.fn> } {
  const noop = () => undefined;
  return {
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    fetch: (...args) => globalThis.fetch(...args),
    now: () => new Date('2025-03-12T00:00:00.000Z'),
    sleep: vi.fn(async (_ms: number) => undefined),
    ...overrides,
  } as ConnectorContext & { sleep: ReturnType<typeof vi.fn> };
}

/** Synthetic telephony-session notifications, shaped like the fixtures (one party each). */
interface PartySpec {
  id: string;
  extensionId?: string;
  direction: 'Inbound' | 'Outbound';
  from: { phoneNumber: string; name?: string; extensionId?: string };
  to: { phoneNumber: string; name?: string; extensionId?: string };
  queueCall?: boolean;
}
function session(telephonySessionId: string, startIso: string) {
  const start = Date.parse(startIso);
  let sequence = 0;
  return (offsetSeconds: number, party: PartySpec, code: string, extra: { reason?: string; recordingId?: string } = {}) => {
    sequence += 1;
    const eventTime = new Date(start + offsetSeconds * 1000).toISOString();
    return {
      uuid: `${telephonySessionId}-${sequence}`,
      event: party.extensionId
        ? `/restapi/v1.0/account/400131508008/extension/${party.extensionId}/telephony/sessions`
        : '/restapi/v1.0/account/400131508008/telephony/sessions',
      timestamp: eventTime,
      subscriptionId: '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44',
      body: {
        sequence,
        telephonySessionId,
        eventTime,
        parties: [
          {
            accountId: '400131508008',
            ...(party.extensionId ? { extensionId: party.extensionId } : {}),
            id: party.id,
            direction: party.direction,
            from: party.from,
            to: party.to,
            status: { code, ...(extra.reason ? { reason: extra.reason } : {}), rcc: false },
            ...(party.queueCall ? { queueCall: true } : {}),
            ...(extra.recordingId ? { recordings: [{ id: extra.recordingId, active: true }] } : {}),
            missedCall: false,
          },
        ],
      },
    };
  };
}

const CUSTOMER_IN = '+14155550123';
const CUSTOMER_OUT = '+14155550188';
const COMPANY = '+16505550100';
const ALICE = { id: '400131512008', name: 'Alice Agent' };
const BOB = { id: '400131514008', name: 'Bob Agent' };
const QUEUE = { id: '400131510008', name: 'Support Queue' };

function inboundParties(prefix: string) {
  const caller: PartySpec = { id: `${prefix}-1`, direction: 'Outbound', from: { phoneNumber: CUSTOMER_IN }, to: { phoneNumber: COMPANY } };
  const queue: PartySpec = {
    id: `${prefix}-2`,
    extensionId: QUEUE.id,
    direction: 'Inbound',
    from: { phoneNumber: CUSTOMER_IN },
    to: { phoneNumber: COMPANY, name: QUEUE.name, extensionId: QUEUE.id },
  };
  const member = (n: number, agent: { id: string; name: string }): PartySpec => ({
    id: `${prefix}-${n}`,
    extensionId: agent.id,
    direction: 'Inbound',
    from: { phoneNumber: CUSTOMER_IN },
    to: { phoneNumber: COMPANY, name: agent.name, extensionId: agent.id },
    queueCall: true,
  });
  return { caller, queue, alice: member(3, ALICE), bob: member(4, BOB) };
}

function outboundParties(prefix: string) {
  const bob: PartySpec = {
    id: `${prefix}-1`,
    extensionId: BOB.id,
    direction: 'Outbound',
    from: { phoneNumber: COMPANY, extensionId: BOB.id },
    to: { phoneNumber: CUSTOMER_OUT },
  };
  const callee: PartySpec = {
    id: `${prefix}-2`,
    direction: 'Inbound',
    from: { phoneNumber: COMPANY, name: BOB.name, extensionId: BOB.id },
    to: { phoneNumber: CUSTOMER_OUT },
  };
  return { bob, callee };
}

/** Fisher–Yates with fast-check's random source, plus duplicates. */
const permutationWithDuplicates = <T>(items: readonly T[]) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: items.length, maxLength: items.length }),
      fc.array(fc.nat({ max: Math.max(0, items.length - 1) }), { maxLength: items.length }),
    )
    .map(([order, dupes]) => {
      const withDupes = [...items, ...dupes.map((i) => items[i] as T)];
      return withDupes
        .map((item, i) => ({ item, rank: order[i % order.length] ?? 0, i }))
        .sort((a, b) => a.rank - b.rank || a.i - b.i)
        .map((x) => x.item);
    });

// ---------------------------------------------------------------------------------------------
// 1. Handshake and verification
// ---------------------------------------------------------------------------------------------

describe('ringcentral webhook authenticity', () => {
  const delivery = scenario('inbound_answered').deliveries[0] as FixtureDelivery;
  const raw = JSON.stringify(delivery.body);

  it('answers the Validation-Token handshake exactly as the fixture expects', () => {
    const hs = fixture<{
      deliveries: [{ headers: Record<string, string>; body: string; expectedResponse: { status: number; headers: Record<string, string>; body: string } }];
    }>('validation_handshake').deliveries[0];
    const answer = rc.handshake?.(request(hs.body, hs.headers), creds);
    expect(answer).toEqual(hs.expectedResponse);
  });

  it('does not treat a notification (non-empty body) or a request without the header as a handshake', () => {
    expect(rc.handshake?.(request(raw, { 'Validation-Token': TOKEN }), creds)).toBeNull();
    expect(rc.handshake?.(request('', { 'Content-Type': 'application/json' }), creds)).toBeNull();
    expect(rc.handshake?.(request('', { 'Validation-Token': 'bad\r\nX-Injected: 1' }), creds)).toBeNull();
  });

  it('accepts a delivery carrying the subscription token (Verification-Token, as delivered)', () => {
    expect(rc.verify(request(raw, delivery.headers), creds, ctx())).toEqual({ ok: true });
  });

  it('accepts the token under its other documented name, Validation-Token', () => {
    expect(rc.verify(request(raw, { 'Validation-Token': TOKEN }), creds, ctx())).toEqual({ ok: true });
  });

  it('rejects a token with one byte changed, a truncated one, and a missing header', () => {
    const oneByteChanged = `${TOKEN.slice(0, -1)}2`;
    expect(rc.verify(request(raw, { 'Verification-Token': oneByteChanged }), creds, ctx()).ok).toBe(false);
    expect(rc.verify(request(raw, { 'Verification-Token': TOKEN.slice(0, -1) }), creds, ctx()).ok).toBe(false);
    expect(rc.verify(request(raw, { 'Content-Type': 'application/json' }), creds, ctx())).toEqual({
      ok: false,
      reason: expect.stringMatching(/missing/i),
    });
  });

  it('rejects a delivery checked against another connection’s token', () => {
    const other = { ...creds, verificationToken: 'another-connection-token' };
    expect(rc.verify(request(raw, delivery.headers), other, ctx()).ok).toBe(false);
  });

  it('dedupes by the notification uuid, else by the body hash', () => {
    const again = request(raw, delivery.headers);
    expect(rc.dedupeKey(again)).toBe('ringcentral:4647511184918919292');
    const noUuid = JSON.stringify({ ...delivery.body, uuid: undefined });
    const k1 = rc.dedupeKey(request(noUuid, {}));
    expect(k1).toMatch(/^ringcentral:sha256:[0-9a-f]{64}$/);
    expect(rc.dedupeKey(request(noUuid, {}))).toBe(k1);
    expect(rc.dedupeKey(request(`${noUuid} `, {}))).not.toBe(k1);
    // Only a non-empty string in a JSON object is a uuid.
    for (const other of [{ ...delivery.body, uuid: '' }, { ...delivery.body, uuid: 4647511184918919292 }, { ...delivery.body, uuid: ['x'] }, ['x'], 'x', null]) {
      expect(rc.dedupeKey(request(JSON.stringify(other), {}))).toMatch(/^ringcentral:sha256:[0-9a-f]{64}$/);
    }
    expect(rc.dedupeKey(request(JSON.stringify({ uuid: 'u-1' }), {}))).toBe('ringcentral:u-1');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Fixture scenarios
// ---------------------------------------------------------------------------------------------

function expectFacts(draft: UnifiedCallDraft | null, expected: ExpectedFacts, sessionId: string) {
  expect(draft).not.toBeNull();
  const d = draft as UnifiedCallDraft;
  expect(d.providerCallId).toBe(sessionId);
  expect(d.direction).toBe(expected.direction);
  expect(d.status).toBe(expected.outcome);
  expect(d.startedAt).toBe(expected.startedAt);
  expect(d.answeredAt).toBe(expected.answeredAt);
  expect(d.endedAt).toBe(expected.endedAt);
  expect(d.waitSeconds).toBe(expected.waitSeconds);
  expect(d.talkSeconds).toBe(expected.talkSeconds);
  expect(d.holdSeconds).toBe(expected.holdSeconds);
  expect(d.agent).toEqual(expected.agent ? { id: expected.agent.id, name: expected.agent.name } : null);
  expect(d.queue).toEqual(expected.queue);
  expect(d.externalNumber).toBe(expected.customerNumber);
  expect(d.trackingNumber).toBe(expected.companyNumber);
  expect(d.recordingUrl !== null).toBe(expected.recording);
  expect(d.afterCallWorkSeconds).toBeNull();
  expect(d.telephonyCost).toBeNull();
}

describe('ringcentral fixture scenarios', () => {
  it.each(scenarios)('%s: parse every delivery, merge, match the expected block', (name) => {
    const f = scenario(name);
    const events = scenarioEvents(name);
    expect(events).toHaveLength(f.deliveries.length); // one party per notification
    expect(new Set(events.map((e) => e.callKey))).toEqual(new Set([f.ids.telephonySessionId]));
    expect(events.every((e) => e.source === 'webhook')).toBe(true);
    expectFacts(rc.merge(events), f.expected, f.ids.telephonySessionId);
  });

  it('inbound_answered: the agent is the only handler; the recording points at its content', () => {
    const draft = rc.merge(scenarioEvents('inbound_answered'));
    expect(draft?.agents).toEqual([ALICE]);
    expect(draft?.recordingUrl).toBe(
      'https://media.ringcentral.com/restapi/v1.0/account/400131508008/recording/4405124008/content',
    );
  });

  it('inbound_abandoned: the caller party’s platform "Answered" is not an agent answer; Alice and Bob were offered', () => {
    const f = scenario('inbound_abandoned');
    const draft = rc.merge(scenarioEvents('inbound_abandoned'));
    expect(draft?.agents).toEqual([]);
    expect(draft?.offeredAgents?.map((a) => a.id)).toEqual(f.expected.agentsOffered);
  });

  it('outbound: the agent is the party that placed the call', () => {
    expect(rc.merge(scenarioEvents('outbound'))?.agents).toEqual([BOB]);
  });

  it('a call whose end has not been seen yet is in progress', () => {
    const events = scenarioEvents('inbound_answered').filter((e) => (e.data.sequence as number) <= 7);
    const draft = rc.merge(events);
    expect(draft?.status).toBe('in_progress');
    expect(draft?.endedAt).toBeNull();
    expect(draft?.answeredAt).toBe('2025-03-10T14:00:14.000Z');
    expect(draft?.agent).toEqual(ALICE);
  });

  it('merge of nothing usable is null', () => {
    expect(rc.merge([])).toBeNull();
    expect(rc.merge([{ callKey: 'x', key: 'y', source: 'webhook', data: { kind: 'other' } }])).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Order and duplicates do not matter
// ---------------------------------------------------------------------------------------------

describe('ringcentral merge is order- and duplicate-independent', () => {
  const restPage = fixture<{ response: { records: unknown[] } }>('rest_call_log_page');
  it.each(scenarios)('%s: shuffled and duplicated events give a deep-equal draft', (name) => {
    const events = scenarioEvents(name);
    const reference = rc.merge(events);
    fc.assert(
      fc.property(permutationWithDuplicates(events), (shuffled) => {
        expect(rc.merge(shuffled)).toEqual(reference);
      }),
      { numRuns: 200 },
    );
  });

  it('with the call-log record of the same call mixed in', async () => {
    const events = [...scenarioEvents('inbound_answered'), ...(await restEventsOfFixture(restPage)).filter((e) => e.callKey === 's-10b2fc514b0ca7700cd7c67525fa10b2')];
    const reference = rc.merge(events);
    fc.assert(
      fc.property(permutationWithDuplicates(events), (shuffled) => {
        expect(rc.merge(shuffled)).toEqual(reference);
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Backfill through the SDK (nock on the REST API)
// ---------------------------------------------------------------------------------------------

const tokenResponse = (accessToken: string) => ({
  access_token: accessToken,
  token_type: 'bearer',
  expires_in: 3600,
  refresh_token: `${accessToken}-refresh`,
  refresh_token_expires_in: 604800,
  scope: 'ReadCallLog CallControl',
  owner_id: '400131500008',
  endpoint_id: 'endpoint-1',
});

function nockLogin(accessToken = 'access-token-1') {
  const basic = `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`;
  return nock(SERVER)
    .post('/restapi/oauth/token', (body: Record<string, string>) => {
      return body.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && body.assertion === creds.jwt;
    })
    .matchHeader('authorization', basic)
    .reply(200, tokenResponse(accessToken));
}

const callLogPath = '/restapi/v1.0/account/~/call-log';
const bearer = (token: string) => new RegExp(`^bearer ${token}$`, 'i');

/** The fixture's second page (its nextPage): a voicemail and a busy outbound call. */
const secondPage = {
  uri: `${SERVER}/restapi/v1.0/account/400131508008/call-log?view=Detailed&type=Voice&page=2`,
  records: [
    {
      uri: `${SERVER}/restapi/v1.0/account/400131508008/call-log/ASvm1`,
      id: 'ASvm1',
      sessionId: '5081234611008',
      telephonySessionId: 's-vm0000000000000000000000000000001',
      startTime: '2025-03-10T11:00:00.000Z',
      duration: 62,
      durationMs: 61500,
      type: 'Voice',
      direction: 'Inbound',
      action: 'Phone Call',
      result: 'Voicemail',
      reason: 'Accepted',
      to: { phoneNumber: COMPANY, name: 'Support Queue', extensionId: QUEUE.id, extensionNumber: '2001' },
      from: { phoneNumber: '(415) 555-0123', location: 'San Francisco, CA' },
      extension: { uri: `${SERVER}/restapi/v1.0/account/400131508008/extension/${QUEUE.id}`, id: Number(QUEUE.id) },
      lastModifiedTime: '2025-03-10T11:01:10.000Z',
      legs: [],
    },
    {
      uri: `${SERVER}/restapi/v1.0/account/400131508008/call-log/ASbusy1`,
      id: 'ASbusy1',
      telephonySessionId: 's-busy000000000000000000000000000001',
      startTime: '2025-03-10T10:00:00.000Z',
      duration: 6,
      durationMs: 6200,
      type: 'Voice',
      direction: 'Outbound',
      action: 'VoIP Call',
      result: 'Busy',
      reason: 'Line Busy',
      to: { phoneNumber: '14155550188' }, // documented form: digits with the country code, no "+"
      from: { phoneNumber: COMPANY, name: BOB.name, extensionId: BOB.id },
      extension: { id: Number(BOB.id) },
      legs: [],
    },
    {
      // A fax in a voice query is skipped.
      id: 'ASfax1',
      startTime: '2025-03-10T09:00:00.000Z',
      duration: 30,
      type: 'Fax',
      direction: 'Inbound',
      result: 'Received',
      from: { phoneNumber: CUSTOMER_IN },
      to: { phoneNumber: COMPANY },
    },
  ],
  paging: { page: 2, perPage: 3 },
  navigation: { firstPage: { uri: `${SERVER}/restapi/v1.0/account/400131508008/call-log?page=1` } },
};

const DAY = { from: new Date('2025-03-10T00:00:00.000Z'), to: new Date('2025-03-11T00:00:00.000Z') };

async function collect(gen: AsyncGenerator<BackfillPage, void, void>): Promise<BackfillPage[]> {
  const pages: BackfillPage[] = [];
  for await (const page of gen) pages.push(page);
  return pages;
}

function mergeByCall(events: readonly CallEvent[]): Map<string, UnifiedCallDraft | null> {
  const byCall = new Map<string, CallEvent[]>();
  for (const e of events) byCall.set(e.callKey, [...(byCall.get(e.callKey) ?? []), e]);
  return new Map([...byCall].map(([k, evs]) => [k, rc.merge(evs)]));
}

/** The fixture page through the real client (login + one GET), for the merge tests. */
async function restEventsOfFixture(page: { response: { records: unknown[] } }): Promise<CallEvent[]> {
  nockLogin();
  nock(SERVER)
    .get(callLogPath)
    .query(true)
    .reply(200, { ...page.response, navigation: {} });
  const pages = await collect(rc.backfill?.(creds, DAY, null, ctx()) ?? (async function* () {})());
  nock.cleanAll();
  return pages.flatMap((p) => p.events);
}

describe('ringcentral backfill (call log)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  const restPage = fixture<{ response: { records: unknown[]; navigation: { nextPage: { uri: string } } } }>(
    'rest_call_log_page',
  );

  it('reads every page, waits on 429 as Retry-After asks, and resumes a failed run from the last cursor', async () => {
    const queries: Record<string, string>[] = [];
    nockLogin();
    nock(SERVER)
      .get(callLogPath)
      .query((q) => {
        queries.push(q as Record<string, string>);
        return q.page === '1';
      })
      .reply(200, restPage.response, { 'X-Rate-Limit-Remaining': '8', 'X-Rate-Limit-Window': '60' });
    const nextPath = new URL(restPage.response.navigation.nextPage.uri).pathname; // as RingCentral gave it
    nock(SERVER)
      .get(nextPath)
      .query((q) => q.page === '2')
      .reply(500, { errorCode: 'CMN-101', message: 'Parameter [page] value is invalid' });

    // First run: page 1 is stored, page 2 fails.
    const context = ctx();
    const firstRun: BackfillPage[] = [];
    const run = rc.backfill?.(creds, DAY, null, context);
    await expect(
      (async () => {
        for await (const page of run ?? []) firstRun.push(page);
      })(),
    ).rejects.toBeInstanceOf(ProviderHttpError);
    expect(firstRun).toHaveLength(1);
    expect(queries[0]).toMatchObject({
      view: 'Detailed',
      type: 'Voice',
      dateFrom: '2025-03-10T00:00:00.000Z',
      dateTo: '2025-03-11T00:00:00.000Z',
      page: '1',
    });
    const cursor = firstRun[0]?.cursor ?? null;
    expect(cursor).not.toBeNull();

    // Second run from the cursor: a 429 first, then the page.
    nockLogin('access-token-2');
    nock(SERVER)
      .get(nextPath)
      .query((q) => q.page === '2')
      .reply(429, { errorCode: 'CMN-301', message: 'Request rate exceeded' }, { 'Retry-After': '7' });
    nock(SERVER)
      .get(nextPath)
      .query((q) => q.page === '2')
      .matchHeader('authorization', bearer('access-token-2'))
      .reply(200, secondPage);
    const resumed = await collect(rc.backfill?.(creds, DAY, cursor, context) ?? (async function* () {})());
    expect(context.sleep).toHaveBeenCalledWith(7000);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.cursor).toBeNull();
    expect(resumed[0]?.progress).toBe(1);
    expect(nock.isDone()).toBe(true);

    const events = [...firstRun, ...resumed].flatMap((p) => p.events);
    expect(events.every((e) => e.source === 'rest')).toBe(true);
    const drafts = mergeByCall(events);
    expect(drafts.size).toBe(5); // 3 fixture calls + voicemail + busy (the fax is skipped)

    // REST-only: what the fixtures README says the call log can and cannot reproduce.
    const answered = drafts.get('s-10b2fc514b0ca7700cd7c67525fa10b2');
    expect(answered).toMatchObject({
      direction: 'inbound',
      status: 'answered',
      startedAt: '2025-03-10T14:00:00.000Z',
      endedAt: '2025-03-10T14:04:29.060Z',
      // The agent leg starts at ring time: answer ≈ +4 s, talk ≈ the leg's 265 s (includes 10 s of ringing).
      answeredAt: '2025-03-10T14:00:04.000Z',
      waitSeconds: 4,
      talkSeconds: 265,
      holdSeconds: null, // no hold in the call log
      agent: ALICE,
      agents: [ALICE],
      queue: QUEUE,
      externalNumber: CUSTOMER_IN,
      trackingNumber: COMPANY,
      recordingUrl: 'https://media.ringcentral.com/restapi/v1.0/account/400131508008/recording/4405124008/content',
    });
    expect(drafts.get('s-3b48c10ddc5aaee4e8123984f2164b1a')).toMatchObject({
      direction: 'inbound',
      status: 'abandoned', // result Missed, reason "Hang Up"
      answeredAt: null,
      endedAt: '2025-03-10T15:10:47.100Z',
      waitSeconds: 47,
      talkSeconds: 0,
      holdSeconds: null,
      agent: null,
    });
    expect(drafts.get('s-ec2bf8d2e65e2ce3743edf08cffbf9b7')).toMatchObject({
      direction: 'outbound',
      status: 'answered',
      startedAt: '2025-03-10T16:20:00.000Z',
      endedAt: '2025-03-10T16:26:19.020Z',
      // No ring time in the log: the whole 379 s count as talk.
      waitSeconds: 0,
      talkSeconds: 379,
      holdSeconds: null,
      agent: BOB,
      externalNumber: CUSTOMER_OUT,
      trackingNumber: COMPANY,
    });
    expect(drafts.get('s-vm0000000000000000000000000000001')).toMatchObject({
      status: 'voicemail',
      waitSeconds: 62, // never answered: to the end, voicemail time included (61.5 s)
      externalNumber: CUSTOMER_IN, // "(415) 555-0123" read as the North American number it is
      agent: null,
    });
    expect(drafts.get('s-busy000000000000000000000000000001')).toMatchObject({
      direction: 'outbound',
      status: 'busy',
      agent: BOB,
      talkSeconds: 0,
      externalNumber: CUSTOMER_OUT,
    });
  });

  it('waits X-Rate-Limit-Window when a 429 has no Retry-After, and the window when the quota is spent', async () => {
    nockLogin();
    nock(SERVER).get(callLogPath).query(true).reply(429, {}, { 'X-Rate-Limit-Window': '60' });
    nock(SERVER)
      .get(callLogPath)
      .query(true)
      .reply(200, { records: [], navigation: { nextPage: { uri: `${SERVER}/restapi/v1.0/account/400131508008/call-log?page=2` } } }, {
        'X-Rate-Limit-Remaining': '0',
        'X-Rate-Limit-Window': '45',
      });
    nock(SERVER).get('/restapi/v1.0/account/400131508008/call-log').query({ page: '2' }).reply(200, { records: [] });
    const context = ctx();
    const pages = await collect(rc.backfill?.(creds, DAY, null, context) ?? (async function* () {})());
    expect(pages).toHaveLength(2);
    expect(context.sleep.mock.calls).toEqual([[60_000], [45_000]]);
  });

  it('splits a long window into days, each resumable', async () => {
    const windows: Array<[string, string]> = [];
    nockLogin();
    nock(SERVER)
      .get(callLogPath)
      .query((q) => {
        windows.push([String(q.dateFrom), String(q.dateTo)]);
        return true;
      })
      .times(3)
      .reply(200, { records: [] });
    const window = { from: new Date('2025-03-08T12:00:00.000Z'), to: new Date('2025-03-10T18:00:00.000Z') };
    const pages = await collect(rc.backfill?.(creds, window, null, ctx()) ?? (async function* () {})());
    expect(windows).toEqual([
      ['2025-03-08T12:00:00.000Z', '2025-03-09T12:00:00.000Z'],
      ['2025-03-09T12:00:00.000Z', '2025-03-10T12:00:00.000Z'],
      ['2025-03-10T12:00:00.000Z', '2025-03-10T18:00:00.000Z'],
    ]);
    expect(pages.map((p) => p.cursor === null)).toEqual([false, false, true]);
    expect(pages.map((p) => p.progress)).toEqual([24 / 54, 48 / 54, 1]);

    // Resuming from the second page's cursor reads only the last day.
    windows.length = 0;
    nockLogin();
    nock(SERVER).get(callLogPath).query((q) => (windows.push([String(q.dateFrom), String(q.dateTo)]), true)).reply(200, { records: [] });
    await collect(rc.backfill?.(creds, window, pages[1]?.cursor ?? null, ctx()) ?? (async function* () {})());
    expect(windows).toEqual([['2025-03-10T12:00:00.000Z', '2025-03-10T18:00:00.000Z']]);
  });

  it('rejects a cursor from another window, and never sends the token to a host other than the server', async () => {
    nockLogin();
    nock(SERVER)
      .get(callLogPath)
      .query(true)
      .reply(200, { records: [], navigation: { nextPage: { uri: 'https://evil.example.com/restapi/v1.0/account/1/call-log?page=2' } } });
    nock(SERVER).get('/restapi/v1.0/account/1/call-log').query({ page: '2' }).reply(200, { records: [] });
    const pages = await collect(rc.backfill?.(creds, DAY, null, ctx()) ?? (async function* () {})());
    expect(pages).toHaveLength(2);
    expect(nock.isDone()).toBe(true);

    const otherWindow = { from: new Date('2025-04-01T00:00:00.000Z'), to: new Date('2025-04-02T00:00:00.000Z') };
    await expect(collect(rc.backfill?.(creds, otherWindow, pages[0]?.cursor ?? null, ctx()) ?? (async function* () {})())).rejects.toThrow(
      /cursor/,
    );
  });

  it('keeps the tokens of two connections apart', async () => {
    const other = { ...creds, clientId: 'other-client', clientSecret: 'other-secret', serverUrl: 'https://platform.example-brand.com' };
    nockLogin('token-a');
    nock('https://platform.example-brand.com').post('/restapi/oauth/token').reply(200, tokenResponse('token-b'));
    nock(SERVER).get(callLogPath).query(true).matchHeader('authorization', bearer('token-a')).reply(200, { records: [] });
    nock('https://platform.example-brand.com')
      .get(callLogPath)
      .query(true)
      .matchHeader('authorization', bearer('token-b'))
      .reply(200, { records: [] });
    await Promise.all([
      collect(rc.backfill?.(creds, DAY, null, ctx()) ?? (async function* () {})()),
      collect(rc.backfill?.(other, DAY, null, ctx()) ?? (async function* () {})()),
    ]);
    expect(nock.isDone()).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. REST and webhook of the same call merge into one
// ---------------------------------------------------------------------------------------------

describe('ringcentral REST + webhook', () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());
  const restPage = fixture<{ response: { records: unknown[] } }>('rest_call_log_page');

  it.each(scenarios)('%s: one call (same callKey) with the webhook’s precise figures', async (name) => {
    const f = scenario(name);
    const webhook = scenarioEvents(name);
    const rest = (await restEventsOfFixture(restPage)).filter((e) => e.callKey === f.ids.telephonySessionId);
    expect(rest).toHaveLength(1);
    const calls = mergeByCall([...webhook, ...rest]);
    expect([...calls.keys()]).toEqual([f.ids.telephonySessionId]);
    const draft = calls.get(f.ids.telephonySessionId) ?? null;
    expectFacts(draft, f.expected, f.ids.telephonySessionId);
    expect(draft).toEqual({ ...rc.merge(webhook), recordingUrl: draft?.recordingUrl });
  });

  it('the call log closes a call whose final notifications were lost', async () => {
    const f = scenario('inbound_answered');
    const webhook = scenarioEvents('inbound_answered').filter((e) => (e.data.sequence as number) <= 8);
    const rest = (await restEventsOfFixture(restPage)).filter((e) => e.callKey === f.ids.telephonySessionId);
    const draft = rc.merge([...webhook, ...rest]);
    expect(draft).toMatchObject({
      status: 'answered',
      answeredAt: '2025-03-10T14:00:14.000Z', // webhook: the precise answer
      endedAt: '2025-03-10T14:04:29.060Z', // call log: the end
      waitSeconds: 14,
      holdSeconds: 30,
      talkSeconds: 225,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 6. More scenarios
// ---------------------------------------------------------------------------------------------

describe('ringcentral extra scenarios', () => {
  it('queue → nobody answers → voicemail', () => {
    const p = inboundParties('vm');
    const n = session('s-vm', '2025-03-10T09:00:00.000Z');
    const draft = rc.merge(
      eventsOf([
        n(0, p.caller, 'Setup'),
        n(0.05, p.queue, 'Setup'),
        n(1, p.caller, 'Answered'),
        n(4, p.alice, 'Proceeding'),
        n(34, p.alice, 'Disconnected', { reason: 'NoAnswer' }),
        n(34.1, p.queue, 'VoiceMail'),
        n(80, p.caller, 'Disconnected'),
        n(80.1, p.queue, 'Disconnected'),
      ]),
    );
    expect(draft).toMatchObject({
      status: 'voicemail',
      answeredAt: null,
      waitSeconds: 80, // to the end, voicemail time included
      talkSeconds: 0,
      agent: null,
      offeredAgents: [ALICE],
      queue: QUEUE,
    });
  });

  it('queue rings out and the system drops the caller → missed', () => {
    const p = inboundParties('ms');
    const n = session('s-ms', '2025-03-10T09:00:00.000Z');
    const draft = rc.merge(
      eventsOf([
        n(0, p.caller, 'Setup'),
        n(0.05, p.queue, 'Setup'),
        n(3, p.alice, 'Proceeding'),
        n(33, p.alice, 'Disconnected', { reason: 'NoAnswer' }),
        n(60, p.queue, 'Disconnected', { reason: 'Timeout' }),
        n(60.2, p.caller, 'Disconnected'),
      ]),
    );
    expect(draft).toMatchObject({ status: 'missed', waitSeconds: 60, agent: null, agents: [] });
  });

  it('outbound to a busy line → busy; to an invalid number → failed; nobody picks up → missed', () => {
    const cases: Array<[string, string]> = [
      ['TargetBusy', 'busy'],
      ['InvalidNumber', 'failed'],
      ['NoAnswer', 'missed'],
    ];
    for (const [reason, status] of cases) {
      const p = outboundParties(`ob-${reason}`);
      const n = session(`s-ob-${reason}`, '2025-03-10T10:00:00.000Z');
      const draft = rc.merge(
        eventsOf([
          n(0, p.bob, 'Setup'),
          n(0.05, p.callee, 'Proceeding'),
          n(25, p.callee, 'Disconnected', { reason }),
          n(25.02, p.bob, 'Disconnected'),
        ]),
      );
      expect(draft).toMatchObject({ direction: 'outbound', status, answeredAt: null, waitSeconds: 25, talkSeconds: 0, agent: BOB });
    }
  });

  it('transfer from Alice to Bob: both agents in order, the first answer counts, hold of both', () => {
    const p = inboundParties('tr');
    const n = session('s-tr', '2025-03-10T11:00:00.000Z');
    const draft = rc.merge(
      eventsOf([
        n(0, p.caller, 'Setup'),
        n(0.05, p.queue, 'Setup'),
        n(1, p.caller, 'Answered'),
        n(5, p.alice, 'Proceeding'),
        n(12, p.alice, 'Answered'),
        n(12.05, p.queue, 'Disconnected'),
        n(60, p.alice, 'Hold'),
        n(70, p.bob, 'Proceeding'),
        n(75, p.alice, 'Disconnected', { reason: 'BlindTransfer' }),
        n(80, p.bob, 'Answered'),
        n(100, p.bob, 'Hold'),
        n(110, p.bob, 'Answered'),
        n(200, p.bob, 'Disconnected'),
        n(200.05, p.caller, 'Disconnected'),
      ]),
    );
    expect(draft).toMatchObject({
      status: 'answered',
      answeredAt: '2025-03-10T11:00:12.000Z',
      endedAt: '2025-03-10T11:03:20.050Z',
      waitSeconds: 12,
      holdSeconds: 25, // Alice 60→75 (closed when she left), Bob 100→110
      talkSeconds: 188 - 25, // 12 → 200 (Bob's end), less hold
      agent: ALICE,
      agents: [ALICE, BOB],
      offeredAgents: [ALICE, BOB],
      queue: QUEUE,
    });
  });

  // A blind transfer out of a queue (telephony session notifications, CallStatusInfo): Alice takes
  // the caller from the queue (`queueCall: true`), then transfers blind to Bob's own extension —
  // her party ends `Disconnected` with reason `BlindTransfer`, and Bob's party, which did not come
  // from the queue, carries no `queueCall`. Bob is an agent of the call all the same.
  describe('blind transfer from a queue agent to a direct extension', () => {
    const p = inboundParties('bt');
    const bobDirect: PartySpec = {
      id: 'bt-5',
      extensionId: BOB.id,
      direction: 'Inbound',
      from: { phoneNumber: CUSTOMER_IN },
      to: { phoneNumber: COMPANY, name: BOB.name, extensionId: BOB.id },
    };
    const n = session('s-bt', '2025-03-10T14:00:00.000Z');
    const notifications = [
      n(0, p.caller, 'Setup'),
      n(0.05, p.queue, 'Setup'),
      n(1, p.caller, 'Answered'),
      n(5, p.alice, 'Proceeding'),
      n(12, p.alice, 'Answered'),
      n(12.05, p.queue, 'Disconnected'),
      n(60, p.alice, 'Disconnected', { reason: 'BlindTransfer' }),
      n(60.1, bobDirect, 'Proceeding'),
      n(68, bobDirect, 'Answered'),
      n(90, bobDirect, 'Hold'),
      n(100, bobDirect, 'Answered'),
      n(250, p.caller, 'Disconnected'),
      n(250.05, bobDirect, 'Disconnected'),
    ];
    const events = eventsOf(notifications);

    it('keeps both agents, and talk runs to the customer\'s end', () => {
      expect(rc.merge(events)).toMatchObject({
        status: 'answered',
        startedAt: '2025-03-10T14:00:00.000Z',
        answeredAt: '2025-03-10T14:00:12.000Z',
        endedAt: '2025-03-10T14:04:10.050Z',
        waitSeconds: 12,
        holdSeconds: 10, // Bob 90 → 100
        talkSeconds: 238 - 10, // Alice's answer at 12 → the end at 250.05, less hold
        agent: ALICE,
        agents: [ALICE, BOB],
        offeredAgents: [ALICE, BOB],
        queue: QUEUE,
      });
    });

    it('gives the same call for any order and any duplicates', () => {
      const reference = rc.merge(events);
      fc.assert(fc.property(permutationWithDuplicates(events), (shuffled) => void expect(rc.merge(shuffled)).toEqual(reference)), {
        numRuns: 300,
      });
    });

    it('an extension that answered before the transfer is not made an agent by it', () => {
      // Bob's extension rang and answered an unrelated leg before Alice transferred: not a target.
      const early = eventsOf([...notifications.slice(0, 6), n(30, { ...bobDirect, id: 'bt-6' }, 'Answered'), n(31, { ...bobDirect, id: 'bt-6' }, 'Disconnected')]);
      expect(rc.merge(early)?.agents).toEqual([ALICE]);
    });
  });

  it('hold twice on one call adds up', () => {
    const p = inboundParties('h2');
    const n = session('s-h2', '2025-03-10T12:00:00.000Z');
    const draft = rc.merge(
      eventsOf([
        n(0, p.caller, 'Setup'),
        n(0.05, p.queue, 'Setup'),
        n(2, p.alice, 'Proceeding'),
        n(6, p.alice, 'Answered'),
        n(30, p.alice, 'Hold'),
        n(45, p.alice, 'Answered'),
        n(100, p.alice, 'Hold'),
        n(120, p.alice, 'Answered'),
        n(306, p.alice, 'Disconnected'),
        n(306.05, p.caller, 'Disconnected'),
      ]),
    );
    expect(draft).toMatchObject({ status: 'answered', waitSeconds: 6, holdSeconds: 35, talkSeconds: 300 - 35 });
  });

  it('a call rung directly to an extension (no queue): that extension is the agent', () => {
    const caller: PartySpec = { id: 'd-1', direction: 'Outbound', from: { phoneNumber: CUSTOMER_IN }, to: { phoneNumber: COMPANY } };
    const alice: PartySpec = {
      id: 'd-2',
      extensionId: ALICE.id,
      direction: 'Inbound',
      from: { phoneNumber: CUSTOMER_IN },
      to: { phoneNumber: COMPANY, name: ALICE.name, extensionId: ALICE.id },
    };
    const n = session('s-direct', '2025-03-10T13:00:00.000Z');
    const draft = rc.merge(
      eventsOf([n(0, caller, 'Setup'), n(0.1, alice, 'Proceeding'), n(8, alice, 'Answered'), n(68, alice, 'Disconnected'), n(68.1, caller, 'Disconnected')]),
    );
    expect(draft).toMatchObject({ status: 'answered', waitSeconds: 8, talkSeconds: 60, holdSeconds: 0, agent: ALICE, queue: null });
  });

  it('property: the transfer and busy scenarios are order-independent too', () => {
    const p = inboundParties('prop-tr');
    const n = session('s-prop-tr', '2025-03-10T11:00:00.000Z');
    const transfer = eventsOf([
      n(0, p.caller, 'Setup'),
      n(0.05, p.queue, 'Setup'),
      n(5, p.alice, 'Proceeding'),
      n(12, p.alice, 'Answered'),
      n(60, p.alice, 'Hold'),
      n(75, p.alice, 'Disconnected', { reason: 'BlindTransfer' }),
      n(80, p.bob, 'Answered'),
      n(200, p.bob, 'Disconnected'),
      n(200.05, p.caller, 'Disconnected'),
    ]);
    const o = outboundParties('prop-busy');
    const m = session('s-prop-busy', '2025-03-10T10:00:00.000Z');
    const busy = eventsOf([
      m(0, o.bob, 'Setup'),
      m(0.05, o.callee, 'Proceeding'),
      m(3, o.callee, 'Disconnected', { reason: 'TargetBusy' }),
      m(3.02, o.bob, 'Disconnected'),
    ]);
    for (const events of [transfer, busy]) {
      const reference = rc.merge(events);
      fc.assert(fc.property(permutationWithDuplicates(events), (shuffled) => void expect(rc.merge(shuffled)).toEqual(reference)));
    }
  });
});

describe('ringcentral parse edges', () => {
  it('a notification listing several parties gives one event per party', () => {
    const body = structuredClone(scenario('outbound').deliveries[0]?.body) as { body: { parties: Array<Record<string, unknown>> } };
    body.body.parties.push({ ...body.body.parties[0], id: 'p-extra', extensionId: undefined });
    const calls = rc.parse(stored(body)).calls;
    expect(calls.map((c) => c.key)).toEqual(['seq:1:party:p-ec2bf8d2e65e2ce3743edf08cffbf9b7-1', 'seq:1:party:p-extra']);
  });

  it('a subscription renewal reminder is valid and carries no call', () => {
    const reminder = {
      uuid: '1234',
      event: '/restapi/v1.0/subscription/~?threshold=86400&interval=3600',
      timestamp: '2025-03-10T12:00:00.000Z',
      subscriptionId: '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44',
      body: { id: '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44', status: 'Active', expirationTime: '2025-03-11T12:00:00.000Z' },
    };
    // No call, but the subscription id is learned for the renewal job.
    expect(rc.parse(stored(reminder))).toEqual({ calls: [], presence: [], connectionState: { subscriptionId: '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44' } });
  });

  it('presence notifications give agent availability', () => {
    const presence = (dndStatus: string, presenceStatus = 'Available') => ({
      uuid: `p-${dndStatus}-${presenceStatus}`,
      event: '/restapi/v1.0/account/400131508008/extension/400131512008/presence',
      timestamp: '2025-03-10T08:00:00.000Z',
      body: { extensionId: 400131512008, telephonyStatus: 'NoCall', presenceStatus, userStatus: presenceStatus, dndStatus },
    });
    expect(rc.parse(stored(presence('TakeAllCalls'))).presence).toEqual([
      { agentId: '400131512008', state: 'available', at: '2025-03-10T08:00:00.000Z' },
    ]);
    expect(rc.parse(stored(presence('DoNotAcceptDepartmentCalls'))).presence[0]?.state).toBe('unavailable');
    expect(rc.parse(stored(presence('TakeAllCalls', 'Offline'))).presence[0]?.state).toBe('unavailable');
  });

  it('JSON that is not a RingCentral notification, or a broken session body, throws DeliveryShapeError', () => {
    expect(() => rc.parse(stored({ event: 'call.created', data: {} }))).toThrow(DeliveryShapeError);
    expect(() => rc.parse(stored({ hello: 'world' }))).toThrow(DeliveryShapeError);
    expect(() => rc.parse(stored('not json'))).toThrow(DeliveryShapeError);
    expect(() =>
      rc.parse(stored({ uuid: '1', event: '/restapi/v1.0/account/1/telephony/sessions', body: { sequence: 1 } })),
    ).toThrow(DeliveryShapeError);
  });

  it('credentials: serverUrl optional, https only', () => {
    expect(rc.credentials.safeParse(creds).success).toBe(true);
    expect(rc.credentials.safeParse({ ...creds, serverUrl: 'https://platform.devtest.ringcentral.com' }).success).toBe(true);
    expect(rc.credentials.safeParse({ ...creds, serverUrl: 'http://platform.ringcentral.com' }).success).toBe(false);
    expect(rc.credentials.safeParse({ ...creds, verificationToken: '' }).success).toBe(false);
    const { jwt: _jwt, ...withoutJwt } = creds;
    expect(rc.credentials.safeParse(withoutJwt).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Subscription upkeep
// ---------------------------------------------------------------------------------------------

describe('ringcentral subscriptions', () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());
  const id = '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44';
  const subscription = (status: string, expirationTime: string) => ({
    uri: `${SERVER}/restapi/v1.0/subscription/${id}`,
    id,
    creationTime: '2025-03-01T00:00:00.000Z',
    status,
    eventFilters: ['/restapi/v1.0/account/400131508008/telephony/sessions'],
    expirationTime,
    expiresIn: 604799,
    deliveryMode: { transportType: 'WebHook', address: 'https://hub.example.com/webhooks/ringcentral/conn_1' },
  });

  it('renews through POST /subscription/{id}/renew (after a 429)', async () => {
    nockLogin();
    nock(SERVER).post(`/restapi/v1.0/subscription/${id}/renew`).reply(429, {}, { 'Retry-After': '2' });
    nock(SERVER)
      .post(`/restapi/v1.0/subscription/${id}/renew`)
      .matchHeader('authorization', bearer('access-token-1'))
      .reply(200, subscription('Active', '2025-03-17T12:00:00.000+0000'));
    const context = ctx();
    await expect(renewSubscription(creds, id, context)).resolves.toEqual({
      status: 'Active',
      expiresAt: '2025-03-17T12:00:00.000Z',
    });
    expect(context.sleep).toHaveBeenCalledWith(2000);
    expect(nock.isDone()).toBe(true);
  });

  it('reads a subscription’s status (Blacklisted must be re-created)', async () => {
    nockLogin();
    nock(SERVER).get(`/restapi/v1.0/subscription/${id}`).reply(200, subscription('Blacklisted', '2025-03-12T00:00:00Z'));
    await expect(getSubscription(creds, id, ctx())).resolves.toEqual({ status: 'Blacklisted', expiresAt: '2025-03-12T00:00:00.000Z' });
  });

  it('a subscription that does not exist is a ProviderHttpError 404', async () => {
    nockLogin();
    nock(SERVER).get('/restapi/v1.0/subscription/nope').reply(404, { errorCode: 'SUB-001', message: 'Subscription not found' });
    await expect(getSubscription(creds, 'nope', ctx())).rejects.toMatchObject({ name: 'ProviderHttpError', status: 404 });
  });
});
