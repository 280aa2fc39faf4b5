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
      .map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> })
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
});
