/**
 * Issue 3's conformance suite: five logical calls (scenarios.ts), each expressed in the webhook
 * format of the four providers (builders/), pushed through the hub's real HTTP path in a random
 * order with duplicates, on real PostgreSQL + BullMQ workers. The four unified calls of a scenario
 * must agree field by field and equal the scenario's figures, save the exceptions documented in
 * README.md (the only place they are listed; the builders' `capabilities` encode them).
 *
 * The order is drawn from a seed, printed with every failure. Replay one with
 * `CONFORMANCE_SEED=<seed> npx vitest run test/conformance`.
 */
import { mulberry32 } from '../helpers/prng.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRef } from '../../connectors/contract.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { aircallBuilder } from './builders/aircall.js';
import { ringcentralBuilder } from './builders/ringcentral.js';
import type { Delivery, ProviderBuilder } from './builders/types.js';
import { twilioBuilder } from './builders/twilio.js';
import { vonageBuilder } from './builders/vonage.js';
import { isoAt, scenarios, type AgentName, type Scenario } from './scenarios.js';

const builders: ProviderBuilder[] = [twilioBuilder, ringcentralBuilder, vonageBuilder, aircallBuilder];

const prng = mulberry32;
const SEED = Number(process.env.CONFORMANCE_SEED ?? Math.floor(Math.random() * 2 ** 31));


/** Every delivery once, a third of them (at least one) twice, in a random order. */
function arrivalOrder(deliveries: readonly Delivery[], random: () => number): Delivery[] {
  const duplicates = deliveries.filter(() => random() < 1 / 3);
  if (duplicates.length === 0) duplicates.push(deliveries[Math.floor(random() * deliveries.length)]!);
  const all = [...deliveries, ...duplicates];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

type CallJson = Record<string, unknown> & {
  providerCallId: string;
  agent: AgentRef | null;
  agents: AgentRef[];
  offeredAgents: AgentRef[] | null;
};

let hub: TestHub;
let apiKey: string;
/** scenario id → provider → the unified call the hub built. */
const results = new Map<string, Map<string, CallJson | undefined>>();
/** scenario id → provider → labels of the deliveries in the order they were posted. */
const orders = new Map<string, Map<string, string[]>>();

const context = (s: Scenario, provider: string) =>
  `seed=${SEED} scenario=${s.id} provider=${provider} order=[${orders.get(s.id)?.get(provider)?.join(' | ') ?? ''}]`;

beforeAll(async () => {
  hub = await createTestHub();
  const tenant = await hub.tenant({ name: 'Conformance' });
  apiKey = tenant.apiKey;
  const random = prng(SEED);
  const rejected: string[] = [];
  const built = new Map<string, Map<string, string>>();

  for (const b of builders) {
    const res = await hub.api.post('/v1/connections').set(tenant.auth).send({ provider: b.provider, name: b.provider, credentials: b.credentials });
    if (res.status !== 201) throw new Error(`${b.provider} connection: ${res.status} ${JSON.stringify(res.body)}`);
    const webhookUrl = res.body.webhookUrl as string;
    for (const s of scenarios) {
      const call = b.build(s);
      const order = arrivalOrder(call.deliveries, random);
      if (!orders.has(s.id)) orders.set(s.id, new Map());
      orders.get(s.id)!.set(b.provider, order.map((d) => d.label));
      if (!built.has(s.id)) built.set(s.id, new Map());
      built.get(s.id)!.set(b.provider, call.providerCallId);
      for (const d of order) {
        const query = new URLSearchParams(d.query).toString();
        const url = query ? `${webhookUrl}?${query}` : webhookUrl;
        const target = new URL(url);
        const req = hub.api.post(`${target.pathname}${target.search}`).set('Content-Type', d.contentType);
        for (const [k, v] of Object.entries({ ...d.headers, ...b.sign(d, url, Date.now()) })) req.set(k, v);
        const res = await req.send(d.body);
        if (res.status < 200 || res.status >= 300) rejected.push(`${context(s, b.provider)} "${d.label}" → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
  }
  if (rejected.length > 0) throw new Error(`deliveries refused:\n${rejected.join('\n')}`);
  await hub.settle(apiKey, 60_000);

  const calls: CallJson[] = [];
  let cursor: string | null = null;
  do {
    const res = await hub.api.get(`/v1/calls?limit=1000${cursor ? `&cursor=${cursor}` : ''}`).set(tenant.auth);
    if (res.status !== 200) throw new Error(`GET /v1/calls: ${res.status}`);
    calls.push(...(res.body.data as CallJson[]));
    cursor = res.body.nextCursor as string | null;
  } while (cursor);
  for (const [scenarioId, byProvider] of built) {
    const found = new Map<string, CallJson | undefined>();
    for (const [provider, providerCallId] of byProvider) {
      found.set(provider, calls.find((c) => c.provider === provider && c.providerCallId === providerCallId));
    }
    results.set(scenarioId, found);
  }
}, 180_000);

afterAll(async () => hub?.close());

/** The provider's id of a logical agent → the logical agent (so providers can be compared). */
function logicalAgent(b: ProviderBuilder, ref: AgentRef | null): AgentName | string | null {
  if (!ref) return null;
  const name = (Object.keys(b.agents) as AgentName[]).find((a) => b.agents[a].id === ref.id);
  return name ?? `unknown:${ref.id}`;
}

/** What this provider must report for the scenario, the documented exceptions applied. */
function expectedFor(s: Scenario, b: ProviderBuilder) {
  const e = s.expected;
  const hold = b.capabilities.hold ? e.holdSeconds : null;
  const talk = e.connectedSeconds - (hold ?? 0);
  const agentRef = (a: AgentName): AgentRef => ({ id: b.agents[a].id, name: b.capabilities.agentNames ? b.agents[a].name : null });
  return {
    direction: e.direction,
    status: e.status,
    externalNumber: e.externalNumber,
    trackingNumber: e.trackingNumber,
    startedAt: isoAt(s, 0),
    answeredAt: e.answeredAt === null ? null : isoAt(s, e.answeredAt),
    endedAt: isoAt(s, e.endedAt),
    waitSeconds: e.waitSeconds,
    talkSeconds: talk,
    holdSeconds: hold,
    afterCallWorkSeconds: 0, // no provider reports it here: the tenant's default
    handleSeconds: talk + (hold ?? 0),
    agent: e.agent ? agentRef(e.agent) : null,
    agents: e.agents.map(agentRef),
    tags: [],
    campaignId: null,
    attributedRevenue: '0.00',
  };
}

/**
 * The fields every provider must agree on, provider ids mapped to logical agents. A field the
 * provider cannot express (README.md exceptions) is left out, so it is compared only among the
 * providers that express it.
 */
function comparable(call: CallJson, b: ProviderBuilder, s: Scenario): Record<string, unknown> {
  const view: Record<string, unknown> = {
    direction: call.direction,
    status: call.status,
    externalNumber: call.externalNumber,
    trackingNumber: call.trackingNumber,
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    waitSeconds: call.waitSeconds,
    // Without hold data talk includes the hold: answer → end is what every provider knows.
    connectedSeconds: (call.talkSeconds as number) + ((call.holdSeconds as number | null) ?? 0),
    afterCallWorkSeconds: call.afterCallWorkSeconds,
    handleSeconds: call.handleSeconds,
    agent: logicalAgent(b, call.agent),
    agents: call.agents.map((a) => logicalAgent(b, a)),
    // Simultaneous rings have no order: compared as a set.
    offeredAgents: s.direction === 'inbound' ? (call.offeredAgents ?? []).map((a) => logicalAgent(b, a)).sort() : undefined,
    tags: call.tags,
    campaignId: call.campaignId,
    attributedRevenue: call.attributedRevenue,
  };
  if (b.capabilities.hold) {
    view.holdSeconds = call.holdSeconds;
    view.talkSeconds = call.talkSeconds;
  }
  if (s.expected.status !== 'voicemail' || b.capabilities.voicemailRecording) view.recording = call.recordingUrl !== null;
  if (view.offeredAgents === undefined) delete view.offeredAgents;
  return view;
}

describe.each(scenarios)('conformance: $title', (s) => {
  it.each(builders.map((b) => [b.provider, b] as const))('%s: the unified call equals the scenario', (provider, b) => {
    const call = results.get(s.id)?.get(provider);
    expect(call, `${context(s, provider)}: no unified call`).toBeDefined();
    const c = call!;
    const expected = expectedFor(s, b);
    const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, c[k]]));
    expect(actual, context(s, provider)).toEqual(expected);
    // Every agent the call rang, in the provider's own ids.
    if (s.direction === 'inbound') {
      expect((c.offeredAgents ?? []).map((a) => a.id).sort(), context(s, provider)).toEqual(s.expected.offeredAgents.map((a) => b.agents[a].id).sort());
    }
    const recording = s.expected.recording && (s.expected.status !== 'voicemail' || b.capabilities.voicemailRecording);
    if (recording) expect(c.recordingUrl, context(s, provider)).toMatch(/^https:\/\//);
    else expect(c.recordingUrl, context(s, provider)).toBeNull();
    // Vonage is the only one whose webhooks carry a price (in the connection's currency). It bills
    // every leg that was connected, and every scenario has one even when the customer never talks
    // to an agent: the caller's leg from the platform's answer (inbound), the agent's app leg
    // (click-to-call). The other providers report none.
    if (b.capabilities.price) {
      expect(c.telephonyCost, context(s, provider)).toMatchObject({ currency: 'USD', amount: expect.stringMatching(/^\d+\.\d+$/) });
    } else {
      expect(c.telephonyCost, context(s, provider)).toBeNull();
    }
  });

  it('the four providers agree field by field', () => {
    const views = builders.map((b) => {
      const call = results.get(s.id)?.get(b.provider);
      expect(call, `${context(s, b.provider)}: no unified call`).toBeDefined();
      return { provider: b.provider, view: comparable(call!, b, s) };
    });
    const fields = new Set(views.flatMap((v) => Object.keys(v.view)));
    const disagreements: string[] = [];
    for (const field of fields) {
      const values = views.filter((v) => field in v.view).map((v) => ({ provider: v.provider, value: JSON.stringify(v.view[field]) }));
      if (new Set(values.map((v) => v.value)).size > 1) {
        disagreements.push(`${field}: ${values.map((v) => `${v.provider}=${v.value}`).join(', ')}`);
      }
    }
    expect(disagreements, `seed=${SEED} scenario=${s.id}`).toEqual([]);
  });
});
