/**
 * Outcomes out to CRMs: a call's sentiment (annotation) and lead status changes go out again as a
 * signed call.enriched carrying the call's latest state, with its updatedAt moved.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { aircallConnection, postAircall, scenario } from './helpers/aircall.js';

let hub: TestHub;
let receiver: http.Server;
let receiverUrl: string;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];

/** The signed deliveries received for a subscription's secret (the signature is checked), in order. */
function verified(secret: string): { type: string; data: Record<string, unknown>; at: number }[] {
  const out: { type: string; data: Record<string, unknown>; at: number }[] = [];
  for (const r of received) {
    try {
      const p = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
      out.push({ ...p, at: Number(r.headers['webhook-timestamp']) });
    } catch {
      // another subscription's delivery
    }
  }
  return out;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const hit = await probe();
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  hub = await createTestHub({ env: { ALLOW_HTTP_TARGETS: 'true', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' }, deps: { deliveryRetryScale: 0.001 } });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/crm/hook`;
}, 60_000);
afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await hub?.close();
});

const T = 1741640400;

async function deliveredFor(secret: string, providerCallId: string, until: (data: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 200; i++) {
    const found = received
      .flatMap((r) => {
        try {
          return [new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> }];
        } catch {
          return [];
        }
      })
      .filter((p) => p.type === 'call.enriched' && p.data.providerCallId === providerCallId);
    const hit = found.find((p) => until(p.data));
    if (hit) return hit.data;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no call.enriched for ${providerCallId} matching`);
}

describe('outcomes out to CRMs', () => {
  it('a sentiment annotation and a lead status change are delivered again as call.enriched', async () => {
    const t = await hub.tenant();
    const sub = await hub.api.post('/v1/subscriptions').set(t.auth).send({ url: receiverUrl, events: ['call.enriched'] });
    const secret = sub.body.secret as string;
    const conn = await aircallConnection(hub, t.auth);
    await postAircall(hub, conn, scenario.answered(7002, T));
    await hub.settle(t.apiKey);
    const first = await deliveredFor(secret, '7002', (d) => d.status === 'answered' && d.firstTimeCaller === true);

    const res = await hub.api.post('/v1/calls/annotations').set(t.auth).send({ annotations: [{ callId: first.id, sentiment: { label: 'positive', score: 0.9 } }] });
    expect(res.body).toEqual({ upserted: 1, rejected: [] });
    const annotated = await deliveredFor(secret, '7002', (d) => d.sentiment !== null);
    expect(annotated.sentiment).toEqual({ label: 'positive', score: 0.9, source: 'annotation' });
    expect(Date.parse(annotated.updatedAt as string)).toBeGreaterThan(Date.parse(first.updatedAt as string));

    // An earlier call of the number arrives late: 7002 is no longer a lead, and the CRM hears it.
    await postAircall(hub, conn, scenario.abandoned(7001, T - 86_400, 30));
    await hub.settle(t.apiKey);
    const demoted = await deliveredFor(secret, '7002', (d) => d.firstTimeCaller === false);
    expect(demoted.sentiment).toEqual(annotated.sentiment);
    expect(Date.parse(demoted.updatedAt as string)).toBeGreaterThan(Date.parse(annotated.updatedAt as string));
  }, 60_000);

  it('revenue credited by a CRM deal goes out as call.enriched and deal.attributed; bursts are coalesced per call', async () => {
    const t = await hub.tenant();
    const sub = await hub.api.post('/v1/subscriptions').set(t.auth).send({ url: receiverUrl, events: ['call.enriched', 'deal.attributed'] });
    expect(sub.status).toBe(201);
    const secret = sub.body.secret as string;
    const conn = await aircallConnection(hub, t.auth);
    await postAircall(hub, conn, [...scenario.answered(7101, T), ...scenario.answered(7102, T + 2 * 86_400)]);
    await hub.settle(t.apiKey);
    const first = await deliveredFor(secret, '7101', (d) => d.status === 'answered');
    const second = await deliveredFor(secret, '7102', (d) => d.status === 'answered');
    expect(second.attributedRevenue).toBe('0.00');

    // A won deal on the fixture's number: last touch 7102 earns 300.00.
    const deal = { externalId: 'D-1', phones: ['+14155550123'], amount: '300.00', currency: 'USD', stage: 'won', closedAt: new Date((T + 5 * 86_400) * 1000).toISOString() };
    expect((await hub.api.post('/v1/crm/deals').set(t.auth).send({ deals: [deal] })).body.rejected).toEqual([]);
    const credited = await deliveredFor(secret, '7102', (d) => d.attributedRevenue === '300.00');
    expect(Date.parse(credited.updatedAt as string)).toBeGreaterThan(Date.parse(second.updatedAt as string));
    const pulled = await hub.api.get('/v1/calls').query({ updatedSince: second.updatedAt }).set(t.auth);
    expect(pulled.body.data.map((c: { providerCallId: string }) => c.providerCallId)).toContain('7102');

    type Attributed = { deal: { externalId: string; amount: string }; attributed: boolean; credits: Record<string, { callId: string; amount: string }[]> };
    const attributedFor = (amount: string) =>
      waitFor(`deal.attributed ${amount}`, () => verified(secret).map((p) => p).find((p) => p.type === 'deal.attributed' && (p.data as unknown as Attributed).deal.amount === amount)?.data as Attributed | undefined);
    const a300 = await attributedFor('300.00');
    expect(a300.attributed).toBe(true);
    expect(a300.deal.externalId).toBe('D-1');
    expect(a300.credits.last_touch).toEqual([{ callId: second.id, amount: '300.00' }]);
    expect(a300.credits.first_touch).toEqual([{ callId: first.id, amount: '300.00' }]);
    expect(a300.credits.linear).toEqual(expect.arrayContaining([{ callId: first.id, amount: '150.00' }, { callId: second.id, amount: '150.00' }]));
    expect(a300.credits.position_based).toEqual(expect.arrayContaining([{ callId: first.id, amount: '150.00' }, { callId: second.id, amount: '150.00' }]));
    // Every model's credits sum to the amount, in cents.
    for (const list of Object.values(a300.credits)) expect(list.reduce((s, c) => s + Math.round(Number(c.amount) * 100), 0)).toBe(30_000);

    // The deal changes: the call's revenue and the deal's credits go out again.
    await hub.api.post('/v1/crm/deals').set(t.auth).send({ deals: [{ ...deal, amount: '500.00' }] });
    await deliveredFor(secret, '7102', (d) => d.attributedRevenue === '500.00');
    expect((await attributedFor('500.00')).credits.last_touch).toEqual([{ callId: second.id, amount: '500.00' }]);
    // Deleted: the revenue goes back to 0.00, and deal.attributed says it no longer credits anything.
    expect((await hub.api.delete('/v1/crm/deals/D-1').set(t.auth)).status).toBe(204);
    await deliveredFor(secret, '7102', (d) => d.attributedRevenue === '0.00' && Date.parse(d.updatedAt as string) > Date.parse(credited.updatedAt as string));
    await waitFor('deal.attributed removal', () => verified(secret).find((p) => p.type === 'deal.attributed' && (p.data as unknown as Attributed).attributed === false));

    // A burst of changes to one call right after a delivery of it: they wait out the 5 seconds, and
    // only the newest goes out (the one in between is superseded, never sent).
    const annotate = async (label: string) => {
      const res = await hub.api.post('/v1/calls/annotations').set(t.auth).send({ annotations: [{ callId: first.id, sentiment: { label, score: null } }] });
      expect(res.body.rejected).toEqual([]);
    };
    const labelOf = (d: Record<string, unknown>) => (d.sentiment as { label?: string } | null)?.label;
    await annotate('positive');
    await deliveredFor(secret, '7101', (d) => labelOf(d) === 'positive');
    await annotate('neutral');
    await annotate('negative');
    await deliveredFor(secret, '7101', (d) => labelOf(d) === 'negative');
    await hub.settle(t.apiKey);
    const sent = verified(secret).filter((p) => p.type === 'call.enriched' && p.data.id === first.id);
    expect(sent.map((p) => labelOf(p.data)).filter((l) => l !== undefined)).toEqual(['positive', 'negative']);
    // Consecutive deliveries of the call are at least 5 s apart (webhook-timestamp, whole seconds).
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(4);
    const log = (await hub.api.get(`/v1/subscriptions/${sub.body.id}/deliveries`).set(t.auth)).body.data as { eventType: string; status: string; payload: { data: { id?: string } } }[];
    const ofCall = log.filter((d) => d.eventType === 'call.enriched' && d.payload.data.id === first.id);
    expect(ofCall.filter((d) => d.status === 'superseded').length).toBeGreaterThan(0);
    expect(ofCall.every((d) => d.status === 'delivered' || d.status === 'superseded')).toBe(true);
  }, 120_000);

  it('a CRM lead posted after the calls marks the first one, and the CRM hears it', async () => {
    const t = await hub.tenant();
    const sub = await hub.api.post('/v1/subscriptions').set(t.auth).send({ url: receiverUrl, events: ['call.enriched'] });
    const secret = sub.body.secret as string;
    const conn = await aircallConnection(hub, t.auth);
    // The fixture's number called 100 days before T: 7202 (at T) is its first call in the lead's window.
    await postAircall(hub, conn, [...scenario.answered(7201, T - 100 * 86_400), ...scenario.answered(7202, T), ...scenario.answered(7203, T + 86_400)]);
    await hub.settle(t.apiKey);
    const before = await deliveredFor(secret, '7202', (d) => d.status === 'answered');
    expect(before).toMatchObject({ firstTimeCaller: true, crmLead: false });
    const all = (await hub.api.get('/v1/calls').set(t.auth)).body.data as { updatedAt: string }[];
    const since = all.map((c) => c.updatedAt).sort().at(-1)!;
    const res = await hub.api
      .post('/v1/crm/leads')
      .set(t.auth)
      .send({ leads: [{ externalId: 'L-7', phones: ['+1 415-555-0123'], source: 'web form', createdAt: new Date((T + 3600) * 1000).toISOString() }] });
    expect(res.body).toEqual({ upserted: 1, rejected: [] });
    const marked = await deliveredFor(secret, '7202', (d) => d.crmLead === true);
    expect(marked.lead).toBe(true);
    expect(Date.parse(marked.updatedAt as string)).toBeGreaterThan(Date.parse(before.updatedAt as string));
    const calls = (await hub.api.get('/v1/calls').query({ updatedSince: since }).set(t.auth)).body.data as { providerCallId: string; crmLead: boolean; updatedAt: string }[];
    // Timestamps are served to the millisecond and stored to the microsecond, so the call written
    // last before the lead can come back too (at least once at the boundary), unchanged since.
    const changed = calls.filter((c) => c.updatedAt !== since);
    expect(changed.map((c) => [c.providerCallId, c.crmLead])).toEqual([['7202', true]]);
  }, 60_000);
});
