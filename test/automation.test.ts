/**
 * Automated handling from signed Aircall webhooks (AI Voice Agent events) and from the tenant's
 * automation endpoints, through to the unified call, the KPI rows and the call's recomputation
 * when an endpoint comes and goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { aircallConnection, postAircall, scenario } from './helpers/aircall.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
}, 60_000);
afterAll(async () => hub?.close());

const T = 1741640400; // 2025-03-10T21:00:00Z, 14:00 in Los Angeles
const ivrLine = { number: { id: 412399, name: 'IVR Line', digits: '+1 650-555-0199' } };

async function callsByProviderId(auth: Record<string, string>) {
  const res = await hub.api.get('/v1/calls').query({ limit: 100 }).set(auth);
  expect(res.status).toBe(200);
  return new Map((res.body.data as { providerCallId: string }[]).map((c) => [c.providerCallId, c as Record<string, unknown>]));
}

async function dayTotal(auth: Record<string, string>) {
  const res = await hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', groupBy: 'day' }).set(auth);
  expect(res.status).toBe(200);
  return res.body.total as Record<string, unknown>;
}

describe('automated handling', () => {
  it('from the provider report and from automation endpoints, to calls and KPIs', async () => {
    const t = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    await postAircall(hub, conn, [
      ...scenario.selfServed(2001, T),
      ...scenario.escalated(2002, T + 300),
      ...scenario.abandoned(2003, T + 600, 30, ivrLine),
      ...scenario.answered(2004, T + 900, 120, ivrLine),
      ...scenario.abandoned(2005, T + 1200, 40),
    ]);
    await hub.settle(t.apiKey);

    let calls = await callsByProviderId(t.auth);
    expect(calls.get('2001')).toMatchObject({ status: 'self_served', handledBy: 'automation', escalatedFromAutomation: false, automation: { source: 'provider', id: 'aiva-42', name: 'Front desk' } });
    expect(calls.get('2002')).toMatchObject({ status: 'answered', handledBy: 'agent', escalatedFromAutomation: true, automation: { source: 'provider' } });
    // No evidence of automation: a caller who hangs up before an agent answers stays abandoned.
    expect(calls.get('2003')).toMatchObject({ status: 'abandoned', handledBy: null, escalatedFromAutomation: false, automation: null });
    expect(calls.get('2004')).toMatchObject({ status: 'answered', handledBy: 'agent', escalatedFromAutomation: false });
    expect(await dayTotal(t.auth)).toMatchObject({ offered: 4, answered: 2, abandoned: 2, automatedRate: 1 / 5, escalatedRate: 1 / 2, csatAutomated: null });

    // The tenant says its IVR line is answered by a bot: the calls on it are recomputed.
    const created = await hub.api.post('/v1/automation-endpoints').set(t.auth).send({ number: '(650) 555-0199' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ number: '+16505550199', queue: null });
    calls = await callsByProviderId(t.auth);
    expect(calls.get('2003')).toMatchObject({ status: 'self_served', handledBy: 'automation', automation: { source: 'endpoint', id: created.body.id } });
    expect(calls.get('2004')).toMatchObject({ status: 'answered', handledBy: 'agent', escalatedFromAutomation: true });
    expect(calls.get('2005')).toMatchObject({ status: 'abandoned', handledBy: null });
    // A call arriving later on the endpoint is self-served from the start.
    await postAircall(hub, conn, scenario.abandoned(2006, T + 1500, 20, ivrLine));
    await hub.settle(t.apiKey);
    expect((await callsByProviderId(t.auth)).get('2006')).toMatchObject({ status: 'self_served', handledBy: 'automation' });

    const ids = await callsByProviderId(t.auth);
    const surveys = await hub.api
      .post('/v1/surveys')
      .set(t.auth)
      .send({
        responses: [
          { callId: ids.get('2001')!.id, csat: 5, respondedAt: '2025-03-10T22:00:00Z' },
          { callId: ids.get('2003')!.id, csat: 2, respondedAt: '2025-03-10T22:00:00Z' },
          { callId: ids.get('2004')!.id, csat: 1, respondedAt: '2025-03-10T22:00:00Z' },
        ],
      });
    expect(surveys.body).toEqual({ upserted: 3, rejected: [] });
    await hub.settle(t.apiKey);
    // self-served: 2001, 2003, 2006; offered: 2002, 2004 (answered), 2005 (abandoned).
    // Met automation: 2001, 2002, 2003, 2004, 2006; escalated: 2002, 2004.
    expect(await dayTotal(t.auth)).toMatchObject({ offered: 3, answered: 2, abandoned: 1, automatedRate: 3 / 6, escalatedRate: 2 / 5, csatAutomated: 1 / 2, csat: 1 / 3 });
    const byProvider = await hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', groupBy: 'queue' }).set(t.auth);
    expect(byProvider.body.rows.find((r: { key: string }) => r.key === 'IVR Line')).toMatchObject({ automatedRate: 2 / 3, escalatedRate: 1 / 3 });

    // Removing the endpoint gives the calls back their provider status.
    const list = await hub.api.get('/v1/automation-endpoints').set(t.auth);
    expect(list.body.data).toEqual([created.body]);
    expect((await hub.api.delete(`/v1/automation-endpoints/${created.body.id}`).set(t.auth)).status).toBe(204);
    await hub.settle(t.apiKey);
    calls = await callsByProviderId(t.auth);
    expect(calls.get('2003')).toMatchObject({ status: 'abandoned', handledBy: null, automation: null });
    expect(calls.get('2004')).toMatchObject({ handledBy: 'agent', escalatedFromAutomation: false });
    expect(await dayTotal(t.auth)).toMatchObject({ offered: 5, automatedRate: 1 / 6, escalatedRate: 1 / 2, csatAutomated: 1 });
  }, 60_000);

  it('a queue endpoint, and bad endpoints answered 400/404', async () => {
    const t = await hub.tenant();
    const other = await hub.tenant();
    const conn = await aircallConnection(hub, t.auth);
    const q = await hub.api.post('/v1/automation-endpoints').set(t.auth).send({ queue: 'IVR Line' });
    expect(q.status).toBe(201);
    await postAircall(hub, conn, [...scenario.abandoned(3001, T, 30, ivrLine), ...scenario.abandoned(3002, T + 100, 30)]);
    await hub.settle(t.apiKey);
    const calls = await callsByProviderId(t.auth);
    expect(calls.get('3001')).toMatchObject({ status: 'self_served', automation: { source: 'endpoint', name: 'IVR Line' } });
    expect(calls.get('3002')).toMatchObject({ status: 'abandoned', handledBy: null });

    for (const body of [{}, { number: 'not a number' }, { queue: '' }, { number: '+16505550199', extra: 1 }]) {
      const res = await hub.api.post('/v1/automation-endpoints').set(t.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBeTypeOf('string');
    }
    expect((await hub.api.delete(`/v1/automation-endpoints/${q.body.id}`).set(other.auth)).status).toBe(404);
    expect((await hub.api.delete('/v1/automation-endpoints/nope').set(t.auth)).status).toBe(404);
    expect((await hub.api.get('/v1/automation-endpoints').set(other.auth)).body).toEqual({ data: [] });
  }, 60_000);
});
