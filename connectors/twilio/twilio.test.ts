import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
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
