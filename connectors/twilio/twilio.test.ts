import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it, vi } from 'vitest';
import type { CallEvent, WebhookRequest } from '../contract.js';
import { twilioConnector as connector } from './index.js';

const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const creds = { accountSid: 'ACebbef090ddae5eb33c8a5f771f74d14c', authToken: AUTH_TOKEN };

interface Delivery {
  url: string;
  headers: Record<string, string>;
  params: Record<string, string>;
}
interface Fixture {
  expected: Record<string, unknown> & { agent: { id: string } | null; queue: { id: string } | null };
  ids: Record<string, string>;
  deliveries: Delivery[];
}
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/twilio/${name}.json`, import.meta.url), 'utf8')) as Fixture;

function request(d: Delivery, url = d.url, signature?: string): WebhookRequest {
  const body = new URLSearchParams(d.params).toString();
  const parsed = new URL(url);
  return {
    method: 'POST',
    rawBody: Buffer.from(body),
    publicUrl: url,
    query: Object.fromEntries(parsed.searchParams),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature ?? twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, d.params),
      'i-twilio-idempotency-token': d.headers['I-Twilio-Idempotency-Token'],
    },
  };
}

function eventsOf(f: Fixture): CallEvent[] {
  return f.deliveries.flatMap((d, i) =>
    connector.parse({
      rawBody: new URLSearchParams(d.params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      query: {},
      receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    }).calls,
  );
}

const ctx = {
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  fetch,
  now: () => new Date(),
  sleep: async () => undefined,
};

describe('twilio webhook verification', () => {
  const d = fixture('inbound_answered').deliveries[1]!;
  it('accepts the fixture signature for the URL Twilio signed', () => {
    expect(connector.verify(request(d, d.url, d.headers['X-Twilio-Signature']), creds, ctx)).toEqual({ ok: true });
  });
  it('accepts a delivery signed with the SDK for our own URL, query included', () => {
    const url = 'https://hub.example.org/webhooks/twilio/6f1c?kind=status';
    expect(connector.verify(request(d, url), creds, ctx).ok).toBe(true);
  });
  it('rejects one changed byte, another URL, another token and a missing header', () => {
    const url = 'https://hub.example.org/webhooks/twilio/6f1c';
    const good = request(d, url);
    const bytes = Buffer.from(good.rawBody);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    const tampered = { ...good, rawBody: bytes };
    const changed = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('CallStatus=initiated', 'CallStatus=initiatee')) };
    expect(connector.verify(tampered, creds, ctx).ok).toBe(false);
    expect(connector.verify(changed, creds, ctx).ok).toBe(false);
    expect(connector.verify({ ...good, publicUrl: `${url}x` }, creds, ctx).ok).toBe(false);
    expect(connector.verify(good, { ...creds, authToken: 'ffffffffffffffffffffffffffffffff' }, ctx).ok).toBe(false);
    expect(connector.verify({ ...good, headers: { ...good.headers, 'x-twilio-signature': undefined } }, creds, ctx).ok).toBe(false);
  });
  it('dedupes on what Twilio signs: a re-delivery is one key, each event of the call its own', () => {
    const f = fixture('outbound');
    const keys = f.deliveries.map((x) => connector.dedupeKey(request(x)));
    expect(keys[4]).toBe(keys[6]);
    expect(new Set(keys).size).toBe(6);
  });

  it('ignores the unsigned idempotency token and the order of the form fields, not the URL', () => {
    const d = fixture('outbound').deliveries[4]!;
    const key = connector.dedupeKey(request(d));
    const otherToken = request({ ...d, headers: { ...d.headers, 'I-Twilio-Idempotency-Token': 'replayed-0001' } });
    const noToken = request({ ...d, headers: {} });
    const reordered = { ...request(d), rawBody: Buffer.from(new URLSearchParams(Object.entries(d.params).reverse()).toString()) };
    expect(connector.dedupeKey(otherToken)).toBe(key);
    expect(connector.dedupeKey(noToken)).toBe(key);
    expect(connector.dedupeKey(reordered)).toBe(key);
    expect(connector.dedupeKey(request(d, 'https://hub.example.com/webhooks/twilio/status?tenant=other'))).not.toBe(key);
    expect(connector.dedupeKey(request({ ...d, params: { ...d.params, SequenceNumber: '9' } }))).not.toBe(key);
  });
});

describe("twilio verification and dedupe keys against the SDK's and the first implementation's", () => {
  /** Form fields as Twilio may send them: repeated names, any text, names that are special to objects. */
  const fields = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom('CallSid', 'To', 'From', '__proto__', 'constructor', '0', '10', 'a', 'A', 'Digits'), fc.string({ maxLength: 8 })), fc.string({ unit: 'grapheme', maxLength: 12 })),
    { maxLength: 12 },
  );
  const urls = fc.constantFrom(
    'https://hub.example.org/webhooks/twilio/6f1c',
    'https://hub.example.org:8443/webhooks/twilio/6f1c?kind=status&x=%27a%27',
    'http://127.0.0.1:3000/webhooks/twilio/6f1c',
    "https://hub.example.org/webhooks/twilio/6f1c?q=it's",
  );
  const requestOf = (entries: [string, string][], url: string, signature: string): WebhookRequest => ({
    method: 'POST',
    rawBody: Buffer.from(new URLSearchParams(entries).toString()),
    publicUrl: url,
    query: {},
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
  });
  /** The SDK's verdict on what the hub parsed, as the hub asked it before it checked the usual case itself. */
  const sdkVerdict = (req: WebhookRequest) =>
    twilio.validateRequest(AUTH_TOKEN, req.headers['x-twilio-signature']!, req.publicUrl, Object.fromEntries(new URLSearchParams(req.rawBody.toString())));

  it('accepts exactly what the SDK accepts: its signature for the URL, with or without the default port, and nothing forged', () => {
    fc.assert(
      fc.property(fields, urls, fc.constantFrom('as-is', 'with-port', 'other-token', 'other-url', 'garbage'), (entries, url, how) => {
        const params = Object.fromEntries(new URLSearchParams(new URLSearchParams(entries).toString()));
        const signedUrl = how === 'with-port' ? url.replace('hub.example.org/', 'hub.example.org:443/') : how === 'other-url' ? `${url}x` : url;
        const token = how === 'other-token' ? 'ffffffffffffffffffffffffffffffff' : AUTH_TOKEN;
        const signature = how === 'garbage' ? 'c2lnbmF0dXJl' : twilio.getExpectedTwilioSignature(token, signedUrl, params);
        const req = requestOf(entries, url, signature);
        const sdk = vi.spyOn(twilio, 'validateRequest');
        try {
          expect(connector.verify(req, creds, ctx).ok).toBe(sdkVerdict(req));
          if (how === 'as-is' || how === 'with-port') expect(connector.verify(req, creds, ctx).ok).toBe(true);
          // The usual case (signed for the URL as received) is settled by the hub's own HMAC, without the SDK's candidates.
          if (how === 'as-is') expect(sdk).toHaveBeenCalledTimes(1); // sdkVerdict's own call
        } finally {
          sdk.mockRestore();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keys a delivery exactly as the first implementation did (stored keys must not change)', () => {
    const firstKey = (req: WebhookRequest) => {
      const sorted = [...new URLSearchParams(req.rawBody.toString())].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
      return `signed:${createHash('sha256').update(`${req.publicUrl}\n${JSON.stringify(sorted)}`).digest('hex')}`;
    };
    fc.assert(
      fc.property(fields, urls, (entries, url) => {
        const req = requestOf(entries, url, 'x');
        expect(connector.dedupeKey(req)).toBe(firstKey(req));
      }),
      { numRuns: 500 },
    );
  });

  it("keys an event as before: over every field of its observation but receivedAt (stored keys must not change)", () => {
    const eventOf = (body: string, receivedAt = '2025-03-10T14:04:31.000Z') =>
      connector.parse({ rawBody: body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: {}, receivedAt: new Date(receivedAt) }).calls[0]!;
    // Keys the first implementation gave these bodies (computed with it), pinned.
    const status =
      'AccountSid=AC0123&CallSid=CA28f9b35c00d26a89b45a04f754abdd8e&CallStatus=completed&Direction=inbound&From=%2B14155550100&To=%2B14155550199' +
      '&CallDuration=256&SequenceNumber=3&Timestamp=Mon%2C+10+Mar+2025+14%3A04%3A30+%2B0000&CallbackSource=call-progress-events';
    const relay =
      'AccountSid=AC0123&CallSid=CAbfb944b3c19a17d8ac15f05366e00b71&SessionId=VX123&SessionStatus=ended' +
      '&HandoffData=%7B%22reason%22%3A%22human%22%7D&From=%2B14155550100&To=%2B14155550199';
    expect(eventOf(status).key).toBe('status-callback:CA28f9b35c00d26a89b45a04f754abdd8e:e985fc5165edaffc14e8e818841ff13f');
    expect(eventOf(relay).key).toBe('relay-action:CAbfb944b3c19a17d8ac15f05366e00b71:ee317d7ed40f7c65be01ce1f896546d2');
    // Any body: the key is the hash of the stored observation without receivedAt, and a re-delivery
    // received later has the same key.
    const callSid = fc.stringMatching(/^CA[0-9a-f]{32}$/);
    fc.assert(
      fc.property(callSid, fields, (sid, entries) => {
        const body = new URLSearchParams([['CallSid', sid], ...entries.filter(([k]) => k !== 'CallSid')]).toString();
        const event = eventOf(body);
        const { receivedAt, ...identity } = event.data as Record<string, unknown>;
        expect(receivedAt).toBe('2025-03-10T14:04:31.000Z');
        const sorted = JSON.stringify(Object.fromEntries(Object.entries(identity).sort(([a], [b]) => (a < b ? -1 : 1))));
        const kind = identity.kind as string;
        expect(event.key).toBe(`${kind}:${sid}:${createHash('sha256').update(sorted).digest('hex').slice(0, 32)}`);
        expect(eventOf(body, '2025-03-11T00:00:00.000Z').key).toBe(event.key);
      }),
      { numRuns: 300 },
    );
  });
});

describe.each(['inbound_answered', 'inbound_abandoned', 'outbound'])('twilio fixture %s', (name) => {
  const f = fixture(name);
  const e = f.expected;
  it('merges into the documented unified call', () => {
    const draft = connector.merge(eventsOf(f));
    expect(draft).not.toBeNull();
    expect(draft).toMatchObject({
      direction: e.direction,
      status: e.outcome,
      startedAt: e.startedAt,
      answeredAt: e.answeredAt,
      endedAt: e.endedAt,
      waitSeconds: e.waitSeconds,
      talkSeconds: e.talkSeconds,
      holdSeconds: e.holdSeconds,
      externalNumber: e.customerNumber,
      trackingNumber: e.companyNumber,
    });
    expect(draft!.agent?.id ?? null).toBe(e.agent?.id ?? null);
    expect(draft!.recordingUrl !== null).toBe(e.recording);
    if (e.queue) expect(draft!.queue?.id).toBe(f.ids.queueSid);
    else expect(draft!.queue).toBeNull();
    expect(draft!.providerCallId).toBe(f.ids.parentCallSid ?? f.deliveries[0]!.params.CallSid);
  });
  it('gives the same call for any order and any duplicates', () => {
    const events = eventsOf(f);
    const reference = connector.merge(events);
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.array(fc.nat(events.length - 1), { maxLength: 6 }), (shuffled, dupIdx) => {
        const withDups = [...shuffled, ...dupIdx.map((i) => events[i]!)];
        expect(connector.merge(withDups)).toEqual(reference);
      }),
      { numRuns: 200 },
    );
  });
});

describe('twilio statuses beyond the fixtures', () => {
  const base = fixture('inbound_answered');
  const parentSid = base.ids.parentCallSid!;
  const parentDeliveries = base.deliveries.filter((d) => d.params.CallSid === parentSid && !d.params.DialCallStatus);
  const withChild = (childStatus: string, extra: Record<string, string> = {}): Fixture => {
    const child = base.deliveries.find((d) => d.params.SequenceNumber === '1')!;
    const deliveries = [
      ...parentDeliveries,
      { ...child, params: { ...child.params, CallStatus: childStatus, SequenceNumber: '3', Timestamp: 'Mon, 10 Mar 2025 14:00:32 +0000', ...extra } },
    ];
    return { ...base, deliveries };
  };
  it('a child that rang out is a missed call with wait to the end', () => {
    const draft = connector.merge(eventsOf(withChild('no-answer')))!;
    expect(draft.status).toBe('missed');
    expect(draft.answeredAt).toBeNull();
    expect(draft.waitSeconds).toBe(270);
    expect(draft.agent).toBeNull();
    expect(draft.offeredAgents).toEqual([{ id: 'agent_alice', name: null }]);
  });
  it('a caller hanging up while the agent rings is abandoned', () => {
    expect(connector.merge(eventsOf(withChild('canceled')))!.status).toBe('abandoned');
  });
  it('a call without its final parent callback is in progress', () => {
    const f = fixture('inbound_answered');
    const draft = connector.merge(eventsOf({ ...f, deliveries: f.deliveries.slice(0, 4) }))!;
    expect(draft.status).toBe('in_progress');
    expect(draft.endedAt).toBeNull();
  });
  it('child legs alone wait for the parent', () => {
    const f = fixture('inbound_answered');
    expect(connector.merge(eventsOf({ ...f, deliveries: f.deliveries.slice(1, 5) }))).toBeNull();
  });
  it('an outbound-api call seen only at its end starts no later than its answer', () => {
    const body = new URLSearchParams({
      CallSid: 'CA6834cbb99fb4f819d4f634e42196597d',
      CallStatus: 'completed',
      Direction: 'outbound-api',
      From: '+16505550100',
      To: '+14155550188',
      CallDuration: '42',
      Timestamp: 'Mon, 10 Mar 2025 16:26:20 +0000',
      SequenceNumber: '3',
      CallbackSource: 'call-progress-events',
    }).toString();
    const draft = connector.merge(connector.parse({ rawBody: body, headers: {}, query: {}, receivedAt: new Date() }).calls)!;
    expect(draft).toMatchObject({
      direction: 'outbound',
      status: 'answered',
      startedAt: '2025-03-10T16:25:38.000Z',
      answeredAt: '2025-03-10T16:25:38.000Z',
      endedAt: '2025-03-10T16:26:20.000Z',
      talkSeconds: 42,
      externalNumber: '+14155550188',
      trackingNumber: '+16505550100',
    });
  });
  it('a caller taken from the queue by an agent (<Dial><Queue>, another call) is answered after QueueTime', () => {
    const f = fixture('inbound_abandoned');
    const deliveries = f.deliveries.map((d) =>
      d.params.QueueResult ? { ...d, params: { ...d.params, QueueResult: 'bridged', QueueTime: '20' } } : d,
    );
    const draft = connector.merge(eventsOf({ ...f, deliveries }))!;
    expect(draft).toMatchObject({
      status: 'answered',
      startedAt: '2025-03-10T15:10:00.000Z',
      answeredAt: '2025-03-10T15:10:20.000Z',
      waitSeconds: 20,
      talkSeconds: 27,
      agent: null,
      queue: { id: f.ids.queueSid },
    });
  });
  it('a body that is not a Twilio call webhook is a shape error', () => {
    expect(() =>
      connector.parse({ rawBody: 'hello=world', headers: {}, query: {}, receivedAt: new Date() }),
    ).toThrow(/not a Twilio call webhook/);
  });
});

// ConversationRelay (<Connect><ConversationRelay>): Twilio posts the <Connect> action URL when the
// AI session ends, with SessionId, SessionStatus, SessionDuration, and HandoffData when the app
// ended the session to pass the caller to a human.
describe('twilio ConversationRelay: self-served calls on Twilio\'s own report', () => {
  const PARENT = 'CA7c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f';
  const CHILD = 'CA0f1e2d3c4b5a69788796a5b4c3d2e1f0';
  const caller = { AccountSid: creds.accountSid, CallSid: PARENT, Direction: 'inbound', From: '+14155550123', To: '+16505550100' };
  const voiceUrl = { ...caller, CallStatus: 'ringing' };
  const relayAction = (extra: Record<string, string> = {}) => ({
    ...caller,
    CallStatus: 'in-progress',
    SessionId: 'VX8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a',
    SessionStatus: 'completed',
    SessionDuration: '115',
    ...extra,
  });
  const parentCompleted = {
    ...caller,
    CallStatus: 'completed',
    CallbackSource: 'call-progress-events',
    SequenceNumber: '0',
    Timestamp: 'Mon, 10 Mar 2025 15:02:00 +0000',
    CallDuration: '120',
  };
  const child = (status: string, seq: number, time: string, extra: Record<string, string> = {}) => ({
    AccountSid: creds.accountSid,
    CallSid: CHILD,
    ParentCallSid: PARENT,
    Direction: 'outbound-dial',
    From: '+14155550123',
    To: 'client:agent_alice',
    CallStatus: status,
    CallbackSource: 'call-progress-events',
    SequenceNumber: String(seq),
    Timestamp: `Mon, 10 Mar 2025 ${time} +0000`,
    ...extra,
  });
  const eventsOfParams = (all: Record<string, string>[]): CallEvent[] =>
    all.flatMap((p, i) =>
      connector.parse({ rawBody: new URLSearchParams(p).toString(), headers: {}, query: {}, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }).calls,
    );

  it('a caller the AI agent served to the end, without a handoff, is self_served', () => {
    const events = eventsOfParams([voiceUrl, relayAction(), parentCompleted]);
    const draft = connector.merge(events)!;
    expect(draft).toMatchObject({
      direction: 'inbound',
      status: 'self_served',
      startedAt: '2025-03-10T15:00:00.000Z',
      answeredAt: null,
      endedAt: '2025-03-10T15:02:00.000Z',
      waitSeconds: 120,
      talkSeconds: 0,
      agent: null,
      agents: [],
      automation: { id: 'VX8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a', name: null, escalated: false, evidence: 'twilio ConversationRelay completed' },
    });
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.array(fc.nat(events.length - 1), { maxLength: 4 }), (shuffled, dups) => {
        expect(connector.merge([...shuffled, ...dups.map((i) => events[i]!)])).toEqual(draft);
      }),
      { numRuns: 100 },
    );
  });

  it('a handoff the agent answers is answered by that agent, the AI session kept as escalated', () => {
    const draft = connector.merge(
      eventsOfParams([
        voiceUrl,
        relayAction({ HandoffData: '{"reason":"asked for a human"}' }),
        child('initiated', 0, '15:01:00'),
        child('ringing', 1, '15:01:01'),
        child('in-progress', 2, '15:01:06'),
        child('completed', 3, '15:02:00', { CallDuration: '54' }),
        parentCompleted,
      ]),
    )!;
    expect(draft).toMatchObject({
      status: 'answered',
      answeredAt: '2025-03-10T15:01:06.000Z',
      waitSeconds: 66,
      talkSeconds: 54,
      agent: { id: 'agent_alice', name: null },
      automation: { escalated: true, evidence: 'twilio ConversationRelay completed with HandoffData' },
    });
  });

  it('a handoff nobody answers is missed; a failed session or no session is never self-served', () => {
    const handedOver = eventsOfParams([
      voiceUrl,
      relayAction({ HandoffData: '{"reason":"asked for a human"}' }),
      child('initiated', 0, '15:01:00'),
      child('no-answer', 1, '15:01:30'),
      parentCompleted,
    ]);
    expect(connector.merge(handedOver)).toMatchObject({ status: 'missed', answeredAt: null, agents: [] });
    const failed = connector.merge(eventsOfParams([voiceUrl, relayAction({ SessionStatus: 'failed' }), parentCompleted]))!;
    expect(failed.status).not.toBe('self_served');
    expect(failed.automation).toBeUndefined();
    const plain = connector.merge(eventsOfParams([voiceUrl, parentCompleted]))!;
    expect(plain.status).toBe('abandoned');
    expect(plain.automation).toBeUndefined();
  });
});

// Conversational Intelligence: the Service's webhook names a transcript; `follow` reads the
// transcript, its call and its operator results through the SDK (nock answers for Twilio).
describe('twilio Conversational Intelligence sentiment', () => {
  const PARENT = 'CAaa00000000000000000000000000aa01';
  const CHILD = 'CAaa00000000000000000000000000aa02';
  const TRANSCRIPT = 'GTaa00000000000000000000000000aa03';
  const RECORDING = 'REaa00000000000000000000000000aa04';
  const webhookBody = (eventType = 'voice_intelligence_transcript_available') =>
    JSON.stringify({ account_sid: creds.accountSid, service_sid: 'GAaa00000000000000000000000000aa05', transcript_sid: TRANSCRIPT, customer_key: null, event_type: eventType });
  const stored = (body: string) => ({ rawBody: body, headers: { 'content-type': 'application/json' }, query: { bodySHA256: 'x' }, receivedAt: new Date() });

  it('reads the transcript webhook as a pointer to its transcript; other event types say nothing', () => {
    expect(connector.parse(stored(webhookBody()))).toEqual({ calls: [], presence: [], pointers: [{ kind: 'twilio-transcript', id: TRANSCRIPT }] });
    expect(connector.parse(stored(webhookBody('something_else')))).toEqual({ calls: [], presence: [] });
    expect(() => connector.parse(stored('{"transcript_sid":"nope","event_type":"x"}'))).toThrow(/transcript_sid/);
    expect(() => connector.parse(stored('not json'))).toThrow(/not JSON/);
  });

  it('verifies a JSON delivery through its bodySHA256 with the SDK, and refuses a changed body', () => {
    const body = webhookBody();
    const url = `https://hub.example/webhooks/twilio/c1?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const req = (raw: string): WebhookRequest => ({
      method: 'POST',
      rawBody: Buffer.from(raw),
      publicUrl: url,
      query: Object.fromEntries(new URL(url).searchParams),
      headers: { 'content-type': 'application/json', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, {}) },
    });
    expect(connector.verify(req(body), creds, ctx)).toEqual({ ok: true });
    expect(connector.verify(req(body.replace('aa03', 'aa13')), creds, ctx).ok).toBe(false);
  });

  const sentimentResult = (label: string, name = 'Sentiment Analysis') => ({
    operator_type: 'conversation-classify',
    name,
    operator_sid: `LY${'0'.repeat(30)}${name.length.toString(16).padStart(2, '0')}`,
    predicted_label: label,
    predicted_probability: 0.93,
    label_probabilities: { positive: 0.02, negative: 0.93, neutral: 0.05 },
    transcript_sid: TRANSCRIPT,
  });
  const transcript = (mediaProperties: Record<string, unknown>, status = 'completed') => ({
    sid: TRANSCRIPT,
    account_sid: creds.accountSid,
    status,
    channel: { media_properties: mediaProperties, participants: [], type: 'voice' },
    date_created: '2025-03-10T14:10:00Z',
    date_updated: '2025-03-10T14:11:00Z',
  });
  const INTEL = 'https://intelligence.twilio.com';
  const API = 'https://api.twilio.com';
  const callPath = (sid: string) => `/2010-04-01/Accounts/${creds.accountSid}/Calls/${sid}.json`;
  const results = (list: unknown[]) => ({ operator_results: list, meta: { page: 0, page_size: 100, first_page_url: '', previous_page_url: null, next_page_url: null, key: 'operator_results', url: '' } });

  it('maps a Sentiment operator label to the customer call (the parent of the recorded leg), without a score', async () => {
    nock.disableNetConnect();
    try {
      nock(INTEL)
        .get(`/v2/Transcripts/${TRANSCRIPT}`)
        .reply(200, transcript({ source_sid: RECORDING, reference_sids: { call_sid: CHILD } }))
        .get(`/v2/Transcripts/${TRANSCRIPT}/OperatorResults`)
        .query(true)
        .reply(200, results([sentimentResult('negative'), { ...sentimentResult('x'), operator_type: 'text-generation', name: 'Summary' }]));
      nock(API).get(callPath(CHILD)).reply(200, { sid: CHILD, parent_call_sid: PARENT, account_sid: creds.accountSid });
      const events = await connector.follow!([{ kind: 'twilio-transcript', id: TRANSCRIPT }], creds, ctx);
      expect(nock.isDone()).toBe(true);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ callKey: PARENT, data: { kind: 'intelligence-sentiment', callSid: CHILD, label: 'negative', at: '2025-03-10T14:11:00.000Z' } });

      // Order-independent: alone it waits for the call; with the call it sets the sentiment.
      expect(connector.merge(events)).toBeNull();
      const call = eventsOf(fixture('inbound_answered')).map((e) => ({ ...e, callKey: PARENT, data: { ...e.data, callSid: e.data.callSid === e.callKey ? PARENT : e.data.callSid, parentCallSid: e.data.parentCallSid ? PARENT : null } }));
      const without = connector.merge(call)!;
      expect(without.sentiment).toBeUndefined();
      const withIt = connector.merge([...events, ...call].reverse())!;
      expect(withIt.sentiment).toEqual({ label: 'negative', score: null, source: 'twilio intelligence operator results' });
      expect({ ...withIt, sentiment: undefined }).toEqual({ ...without, sentiment: undefined });
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });

  it('finds the call through the recording when the transcript names none; mixed, other operators and unfinished transcripts give nothing', async () => {
    nock.disableNetConnect();
    try {
      nock(INTEL)
        .get(`/v2/Transcripts/${TRANSCRIPT}`)
        .reply(200, transcript({ source_sid: RECORDING }))
        .get(`/v2/Transcripts/${TRANSCRIPT}/OperatorResults`)
        .query(true)
        .reply(200, results([sentimentResult('positive')]));
      nock(API)
        .get(`/2010-04-01/Accounts/${creds.accountSid}/Recordings/${RECORDING}.json`)
        .reply(200, { sid: RECORDING, call_sid: PARENT, account_sid: creds.accountSid })
        .get(callPath(PARENT))
        .reply(200, { sid: PARENT, parent_call_sid: null, account_sid: creds.accountSid });
      const events = await connector.follow!([{ kind: 'twilio-transcript', id: TRANSCRIPT }], creds, ctx);
      expect(events.map((e) => [e.callKey, (e.data as { label: string }).label])).toEqual([[PARENT, 'positive']]);

      nock(INTEL)
        .get(`/v2/Transcripts/${TRANSCRIPT}`)
        .reply(200, transcript({ source_sid: RECORDING, reference_sids: { call_sid: PARENT } }))
        .get(`/v2/Transcripts/${TRANSCRIPT}/OperatorResults`)
        .query(true)
        .reply(200, results([sentimentResult('mixed'), sentimentResult('positive', 'Escalation Request')]));
      expect(await connector.follow!([{ kind: 'twilio-transcript', id: TRANSCRIPT }], creds, ctx)).toEqual([]);

      nock(INTEL).get(`/v2/Transcripts/${TRANSCRIPT}`).reply(200, transcript({}, 'in-progress'));
      expect(await connector.follow!([{ kind: 'twilio-transcript', id: TRANSCRIPT }], creds, ctx)).toEqual([]);
      expect(nock.isDone()).toBe(true);
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});
