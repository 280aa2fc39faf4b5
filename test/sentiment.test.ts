/**
 * Sentiment and annotations: Aircall's signed `sentiment.created` webhooks and the tenant's
 * annotations, through to the unified call, the KPI rows (with compare=previous_year), and their
 * survival when the call is recomputed from its events; bad annotation rows rejected one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { aircallConnection, callEvent, postAircall, scenario, sentimentCreated } from './helpers/aircall.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
}, 60_000);
afterAll(async () => hub?.close());

const T = 1741640400; // 2025-03-10T21:00:00Z
const YEAR_BEFORE = T - 365 * 86_400; // 2024-03-10T21:00:00Z

type Call = Record<string, unknown> & { id: string };
async function calls(auth: Record<string, string>): Promise<Map<string, Call>> {
  const res = await hub.api.get('/v1/calls').query({ limit: 100 }).set(auth);
  return new Map((res.body.data as Call[]).map((c) => [c.providerCallId as string, c]));
}

describe('sentiment and annotations', () => {
  it('from Aircall AI and annotations to calls and KPIs, surviving recomputes', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    await postAircall(hub, conn, [
      ...scenario.answered(4001, T),
      sentimentCreated(4001, T + 400, 'POSITIVE'),
      ...scenario.answered(4002, T + 600),
      ...scenario.abandoned(4003, T + 1200, 30),
      // The sentiment arrives before the call's own events: it waits for them.
      sentimentCreated(4004, T + 2000, 'NEGATIVE'),
      ...scenario.answered(4004, T + 1500),
      // A year earlier, for compare=previous_year.
      ...scenario.answered(4100, YEAR_BEFORE),
    ]);
    await hub.settle(t.apiKey);
    let byId = await calls(t.auth);
    expect(byId.get('4001')!.sentiment).toEqual({ label: 'positive', score: null, source: 'aircall sentiment.created' });
    expect(byId.get('4004')!.sentiment).toEqual({ label: 'negative', score: null, source: 'aircall sentiment.created' });
    expect(byId.get('4002')!.sentiment).toBeNull();

    const res = await hub.api
      .post('/v1/calls/annotations')
      .set(t.auth)
      .send({
        annotations: [
          { provider: 'aircall', providerCallId: '4002', sentiment: { label: 'negative', score: -0.6 }, summary: 'Billing complaint', topics: ['billing', 'refund'], outcome: 'refund promised' },
          { callId: '00000000-0000-4000-8000-000000000000', sentiment: { label: 'positive', score: 0.5 } }, // unknown call
          { callId: byId.get('4003')!.id, sentiment: { label: 'positive', score: 0.8 }, handledBy: 'automation' },
          { callId: byId.get('4001')!.id, sentiment: { label: 'neutral', score: 1.5 } }, // score out of range
          { provider: 'aircall', providerCallId: '9999', outcome: 'sale' }, // unknown provider call
          { callId: byId.get('4001')!.id }, // says nothing
          'not an object',
          { callId: byId.get('4001')!.id, sentiment: { label: 'neutral', score: 0.5 } },
          { provider: 'aircall', providerCallId: '4100', sentiment: { label: 'positive', score: 1 } },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.upserted).toBe(4);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 3, 4, 5, 6]);
    expect(res.body.rejected[0].error).toMatch(/call not found/);
    expect(res.body.rejected[1].error).toMatch(/sentiment\.score/);
    await hub.settle(t.apiKey);

    byId = await calls(t.auth);
    expect(byId.get('4002')).toMatchObject({
      sentiment: { label: 'negative', score: -0.6, source: 'annotation' },
      summary: 'Billing complaint',
      topics: ['billing', 'refund'],
      outcome: 'refund promised',
    });
    // The annotation's sentiment wins over Aircall's; an annotation naming automation is its evidence.
    expect(byId.get('4001')!.sentiment).toEqual({ label: 'neutral', score: 0.5, source: 'annotation' });
    expect(byId.get('4003')).toMatchObject({ status: 'self_served', handledBy: 'automation', automation: { source: 'annotation' } });

    // More events of the call: it is recomputed from them, and keeps what the annotation said.
    const before = byId.get('4002')!;
    await postAircall(hub, conn, [callEvent(4002, T + 600, 'call.tagged', T + 900, { status: 'done', answered_at: T + 610, ended_at: T + 730, user: { id: 987001, name: 'Alice Agent' }, tags: [{ id: 1, name: 'VIP' }] })]);
    await hub.settle(t.apiKey);
    const after = (await calls(t.auth)).get('4002')!;
    expect(after.tags).toEqual(['VIP']);
    expect(after.updatedAt).not.toBe(before.updatedAt);
    expect(after).toMatchObject({ sentiment: before.sentiment, summary: 'Billing complaint', outcome: 'refund promised' });

    // A later annotation of one field keeps the others; null clears.
    await hub.api.post('/v1/calls/annotations').set(t.auth).send({ annotations: [{ callId: after.id, outcome: null }] });
    await hub.settle(t.apiKey);
    expect((await calls(t.auth)).get('4002')).toMatchObject({ outcome: null, summary: 'Billing complaint', sentiment: { label: 'negative' } });

    // With sentiment: 4001 neutral 0.5, 4002 negative -0.6, 4003 positive 0.8, 4004 negative (no score).
    const kpis = await hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', groupBy: 'day', compare: 'previous_year' }).set(t.auth);
    expect(kpis.status).toBe(200);
    expect(kpis.body.total).toMatchObject({ positiveSentimentRate: 1 / 4, sentimentScore: 0.233 });
    expect(kpis.body.total.compare.values).toMatchObject({ positiveSentimentRate: 1, sentimentScore: 1 });
    expect(kpis.body.total.compare.delta).toMatchObject({ positiveSentimentRate: 1 / 4 - 1, sentimentScore: 0.233 - 1 });
    const byDirection = await hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', groupBy: 'queue' }).set(t.auth);
    expect(byDirection.body.rows[0]).toMatchObject({ key: 'Support Line', positiveSentimentRate: 1 / 4 });
  }, 90_000);

  it('compare=previous_year per day and in total, from annotations on calls of two years', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    const DAY = 86_400;
    await postAircall(hub, conn, [
      ...scenario.answered(5001, T),
      ...scenario.answered(5002, T + 600),
      ...scenario.answered(5003, T + DAY),
      ...scenario.answered(5004, T + DAY + 600),
      ...scenario.answered(5101, YEAR_BEFORE),
      ...scenario.answered(5104, YEAR_BEFORE + 600),
      ...scenario.answered(5102, YEAR_BEFORE + DAY),
      ...scenario.answered(5103, YEAR_BEFORE + DAY + 600),
    ]);
    await hub.settle(t.apiKey);
    const row = (id: number, sentiment: unknown) => ({ provider: 'aircall', providerCallId: String(id), sentiment });
    const res = await hub.api
      .post('/v1/calls/annotations')
      .set(t.auth)
      .send({
        annotations: [
          row(5001, { label: 'positive', score: 0.9 }),
          row(5002, { label: 'negative', score: -0.5 }),
          row(5003, { label: 'neutral' }),
          row(5003, { label: 'positive', score: 1.2 }), // out of range: rejected, 5003 stays neutral
          row(5004, { label: 'positive', score: 0.2 }),
          row(5999, { label: 'positive', score: 1 }), // unknown call: rejected
          row(5101, { label: 'negative', score: -0.2 }),
          row(5104, { label: 'neutral', score: 0 }),
          row(5102, { label: 'positive', score: 0.6 }),
          row(5103, { label: 'negative', score: -0.6 }),
        ],
      });
    expect(res.body).toMatchObject({ upserted: 8, rejected: [{ index: 3 }, { index: 5 }] });
    await hub.settle(t.apiKey);

    const kpis = await hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-12', groupBy: 'day', compare: 'previous_year' }).set(t.auth);
    expect(kpis.status).toBe(200);
    // 2025: 2 positive of 4 with a sentiment; scores 0.9, -0.5, 0.2 → 0.2. 2024: 1 of 4; -0.2, 0, 0.6, -0.6 → -0.05.
    expect(kpis.body.total).toMatchObject({ positiveSentimentRate: 0.5, sentimentScore: 0.2 });
    expect(kpis.body.total.compare.values).toMatchObject({ positiveSentimentRate: 0.25, sentimentScore: -0.05 });
    expect(kpis.body.total.compare.delta).toMatchObject({ positiveSentimentRate: 0.25, sentimentScore: 0.25 });
    const byDay = new Map((kpis.body.rows as { key: string }[]).map((r) => [r.key, r as Record<string, unknown>]));
    // 10 March: 0.9, -0.5 against 10 March 2024: -0.2, 0 (neutral).
    expect(byDay.get('2025-03-10')).toMatchObject({ positiveSentimentRate: 0.5, sentimentScore: 0.2 });
    expect(byDay.get('2025-03-10')!.compare).toMatchObject({ values: { positiveSentimentRate: 0, sentimentScore: -0.1 }, delta: { positiveSentimentRate: 0.5, sentimentScore: 0.3 } });
    // 11 March: neutral without a score and 0.2, against 0.6 and -0.6.
    expect(byDay.get('2025-03-11')).toMatchObject({ positiveSentimentRate: 0.5, sentimentScore: 0.2 });
    expect(byDay.get('2025-03-11')!.compare).toMatchObject({ values: { positiveSentimentRate: 0.5, sentimentScore: 0 }, delta: { positiveSentimentRate: 0, sentimentScore: 0.2 } });
  }, 90_000);

  it('a malformed annotations body answers 400 and stores nothing', async () => {
    const t = await hub.tenant();
    for (const body of [{}, { annotations: [] }, { annotations: 'x' }, { annotations: [{}], extra: 1 }]) {
      const res = await hub.api.post('/v1/calls/annotations').set(t.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBeTypeOf('string');
    }
  });
});
