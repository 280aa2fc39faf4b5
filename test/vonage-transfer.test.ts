/**
 * A Vonage transfer that moves the caller's leg into another conversation, through the real hub:
 * signed deliveries in many orders, with duplicates, each order on its own connection. Whatever
 * the order — the second conversation's events before the `transfer` event included, when they
 * first build a call of their own — the hub ends with ONE call, and its KPIs count one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vonageBuilder } from './conformance/builders/vonage.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => hub?.close());

const T0 = Date.parse('2025-04-02T09:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const CUSTOMER = '447700900123';
const COMPANY = '442079460000';
const FIRST = 'CON-aaaaaaaa-transfer-1';
const SECOND = 'CON-bbbbbbbb-transfer-2';

function leg(conversation: string, uuid: string, status: string, second: number, inbound: boolean, extra: Record<string, unknown> = {}) {
  const ends = inbound ? { from: CUSTOMER, to: COMPANY, direction: 'inbound' } : { from: COMPANY, to: uuid === 'C' ? 'agent_bob' : 'agent_alice', direction: 'outbound' };
  return { ...ends, uuid, conversation_uuid: conversation, status, timestamp: at(second), ...extra };
}
function completed(start: number, end: number, price: string, by: 'user' | 'platform') {
  return { start_time: at(start), end_time: at(end), duration: String(end - start), rate: '0.00400000', price, disconnected_by: by };
}

/** Alice answers in the first conversation; her app transfers the caller to Bob in a second one. */
const bodies: Record<string, unknown>[] = [
  leg(FIRST, 'A', 'started', 0, true),
  leg(FIRST, 'A', 'ringing', 0, true),
  leg(FIRST, 'A', 'answered', 1, true),
  leg(FIRST, 'B1', 'started', 3, false),
  leg(FIRST, 'B1', 'ringing', 3, false),
  leg(FIRST, 'B1', 'answered', 10, false),
  { uuid: 'A', conversation_uuid_from: FIRST, conversation_uuid_to: SECOND, type: 'transfer', timestamp: at(100) },
  leg(FIRST, 'B1', 'completed', 100, false, completed(10, 100, '0.00600000', 'platform')),
  leg(SECOND, 'C', 'started', 101, false),
  leg(SECOND, 'C', 'ringing', 101, false),
  leg(SECOND, 'C', 'answered', 108, false),
  leg(SECOND, 'C', 'completed', 300, false, completed(108, 300, '0.01280000', 'user')),
  leg(SECOND, 'A', 'completed', 300, true, completed(1, 300, '0.02000000', 'user')),
];

/** Deterministic shuffle (mulberry32) with some deliveries twice. */
function order(seed: number): Record<string, unknown>[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const list = [...bodies, ...bodies.filter(() => rand() < 0.3)];
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

async function post(webhookUrl: string, body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  const url = new URL(webhookUrl);
  const headers = vonageBuilder.sign({ label: '', contentType: 'application/json', body: raw, headers: {}, query: {} }, webhookUrl, Date.now());
  const res = await hub.api.post(url.pathname).set('Content-Type', 'application/json').set(headers).send(raw);
  expect(res.status).toBe(200);
}

describe('vonage transfer into another conversation, through the hub', () => {
  it("folds away the call the second conversation made of its own before the transfer was known", async () => {
    const tenant = await hub.tenant({ timezone: 'UTC' });
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'vonage', credentials: vonageBuilder.credentials });
    for (const b of bodies.slice(8)) await post(conn.body.webhookUrl as string, b);
    for (const b of bodies.slice(0, 6)) await post(conn.body.webhookUrl as string, b);
    await hub.settle(tenant.apiKey);
    // Two conversations, two calls so far: nothing says yet that they are one.
    expect((await hub.api.get('/v1/calls').set(tenant.auth)).body.data).toHaveLength(2);
    const before = await hub.api.get('/v1/kpis?from=2025-04-02&to=2025-04-03&groupBy=day').set(tenant.auth);
    expect(before.body.total.answered + before.body.total.abandoned + before.body.total.missed).toBeGreaterThan(0);

    await post(conn.body.webhookUrl as string, bodies[6]!);
    await post(conn.body.webhookUrl as string, bodies[7]!);
    await hub.settle(tenant.apiKey);
    const after = (await hub.api.get('/v1/calls').set(tenant.auth)).body.data;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ providerCallId: FIRST, status: 'answered', talkSeconds: 290 });
    const kpis = await hub.api.get('/v1/kpis?from=2025-04-02&to=2025-04-03&groupBy=day').set(tenant.auth);
    expect(kpis.body.total).toMatchObject({ offered: 1, answered: 1 });
  });

  const orders: [string, Record<string, unknown>[]][] = [
    ['in order', bodies],
    // The second conversation first, the transfer last: a call of its own exists, then folds away.
    ['second conversation, then the first, transfer last', [...bodies.slice(8), ...bodies.slice(0, 6), bodies[7]!, bodies[6]!]],
    ...[1, 2, 3, 4].map((seed): [string, Record<string, unknown>[]] => [`shuffled, seed ${seed}`, order(seed)]),
  ];

  it.each(orders)('%s: one call with both agents, talking to the caller\'s end, counted once', async (_name, deliveries) => {
    const tenant = await hub.tenant({ timezone: 'UTC' });
    const conn = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: 'vonage', credentials: vonageBuilder.credentials });
    expect(conn.status).toBe(201);
    for (const b of deliveries) await post(conn.body.webhookUrl as string, b);
    await hub.settle(tenant.apiKey);

    const list = await hub.api.get(`/v1/calls?limit=50`).set(tenant.auth);
    const mine = list.body.data;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      providerCallId: FIRST,
      direction: 'inbound',
      status: 'answered',
      externalNumber: `+${CUSTOMER}`,
      answeredAt: at(10),
      endedAt: at(300),
      waitSeconds: 10,
      talkSeconds: 290,
      agent: { id: 'agent_alice' },
      telephonyCost: { amount: '0.0388', currency: 'USD' },
    });
    expect(mine[0].agents.map((a: { id: string }) => a.id)).toEqual(['agent_alice', 'agent_bob']);

    const kpis = await hub.api.get('/v1/kpis?from=2025-04-02&to=2025-04-03&groupBy=day').set(tenant.auth);
    expect(kpis.status).toBe(200);
    expect(kpis.body.total).toMatchObject({ offered: 1, answered: 1, abandoned: 0, missed: 0 });
  });
});
