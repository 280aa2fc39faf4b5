/**
 * The scenarios as RingCentral account-level telephony session notifications (one party per
 * notification, as in RingCentral's published traces; shapes follow test/fixtures/ringcentral/).
 * Authenticity: the subscription's verification token in the `Verification-Token` header.
 *
 * How each scenario is wired on RingCentral:
 * - inbound through a queue: caller party (no extensionId, `Outbound`), the call queue's party,
 *   and one party per member rung (`queueCall: true`); the caller party turns `Answered` when the
 *   queue greeting plays (platform answer, not an agent's).
 * - inbound direct: the company number rings Alice's extension; the transfer adds Bob's party
 *   (rung while Alice holds the caller). Hold is a party status (`Hold` → `Answered`).
 * - voicemail: Alice's party goes to `VoiceMail` when her ring times out. The message itself is a
 *   message-store item, not part of the telephony notifications: no recording URL here.
 * - outbound: Bob's party (`Outbound`, extensionId) and the callee party (`Inbound`, no
 *   extensionId); busy is the callee's `Disconnected` with reason `TargetBusy`.
 */
import type { AgentName, Scenario } from '../scenarios.js';
import { at } from '../scenarios.js';
import { hexId, type BuiltCall, type Delivery, type ProviderBuilder } from './types.js';

export const RC_VERIFICATION_TOKEN = 'rc-test-verification-token-0001';
const ACCOUNT_ID = '400131508008';
const EXTENSIONS: Record<AgentName, { id: string; name: string }> = {
  alice: { id: '400131512008', name: 'Alice Agent' },
  bob: { id: '400131514008', name: 'Bob Agent' },
};
const QUEUE = { id: '400131510008', name: 'Support Queue' };

interface PartyEndpoint {
  phoneNumber: string;
  name?: string;
  extensionId?: string;
}
interface Party {
  id: string;
  extensionId?: string;
  direction: 'Inbound' | 'Outbound';
  from: PartyEndpoint;
  to: PartyEndpoint;
  queueCall?: boolean;
}
interface Step {
  t: number;
  party: Party;
  code: string;
  reason?: string;
  missedCall?: boolean;
}

function build(s: Scenario): BuiltCall {
  const session = `s-${hexId(`rc:${s.id}`, 32)}`;
  const partyId = (n: number) => `p-${session.slice(2)}-${n}`;
  const steps: Step[] = [];

  if (s.direction === 'inbound') {
    const caller: Party = { id: partyId(1), direction: 'Outbound', from: { phoneNumber: s.customer }, to: { phoneNumber: s.companyLine } };
    const queue: Party | null = s.viaQueue
      ? { id: partyId(2), extensionId: QUEUE.id, direction: 'Inbound', from: { phoneNumber: s.customer }, to: { phoneNumber: s.companyLine, name: QUEUE.name, extensionId: QUEUE.id } }
      : null;
    steps.push({ t: 0, party: caller, code: 'Setup' });
    if (queue) steps.push({ t: 0, party: queue, code: 'Setup' });
    const firstAnswer = s.agentLegs.find((l) => l.answerAt !== null)?.answerAt ?? null;
    // The caller party turns Answered when anything picks up: the queue greeting, the voicemail, an agent.
    const callerAnsweredAt = queue ? 1 : (firstAnswer ?? s.voicemailAt);
    if (callerAnsweredAt !== null) steps.push({ t: callerAnsweredAt, party: caller, code: 'Answered' });

    s.agentLegs.forEach((leg, i) => {
      const ext = EXTENSIONS[leg.agent];
      const party: Party = {
        id: partyId(3 + i),
        extensionId: ext.id,
        direction: 'Inbound',
        from: { phoneNumber: s.customer },
        to: { phoneNumber: s.companyLine, name: ext.name, extensionId: ext.id },
        ...(queue ? { queueCall: true } : {}),
      };
      steps.push({ t: leg.ringAt, party, code: 'Proceeding' });
      if (leg.answerAt !== null) steps.push({ t: leg.answerAt, party, code: 'Answered' });
      for (const h of s.holds.filter((x) => x.agent === leg.agent)) {
        steps.push({ t: h.from, party, code: 'Hold' });
        if (h.to < leg.endAt) steps.push({ t: h.to, party, code: 'Answered' });
      }
      const toVoicemail = s.voicemailAt !== null && leg.endAt === s.voicemailAt;
      if (toVoicemail) steps.push({ t: s.voicemailAt!, party, code: 'VoiceMail' });
      const endAt = toVoicemail ? s.endAt : leg.endAt;
      const reason = leg.answerAt !== null && leg.endAt < s.endAt ? 'BlindTransfer' : undefined;
      steps.push({ t: endAt, party, code: 'Disconnected', missedCall: leg.answerAt === null, ...(reason ? { reason } : {}) });
    });
    // The caller hangs up (or is released after the agent): then the queue drops.
    steps.push({ t: s.endAt, party: caller, code: 'Disconnected' });
    if (queue) steps.push({ t: firstAnswer ?? s.endAt, party: queue, code: 'Disconnected', missedCall: firstAnswer === null });
  } else {
    const ext = EXTENSIONS[s.placedBy!];
    const leg = s.customerLeg!;
    const agent: Party = {
      id: partyId(1),
      extensionId: ext.id,
      direction: 'Outbound',
      from: { phoneNumber: s.companyLine, extensionId: ext.id },
      to: { phoneNumber: s.customer },
    };
    const callee: Party = {
      id: partyId(2),
      direction: 'Inbound',
      from: { phoneNumber: s.companyLine, name: ext.name, extensionId: ext.id },
      to: { phoneNumber: s.customer },
    };
    steps.push({ t: 0, party: agent, code: 'Setup' });
    steps.push({ t: leg.ringAt, party: callee, code: 'Proceeding' });
    steps.push({ t: leg.ringAt, party: agent, code: 'Proceeding' });
    if (leg.answerAt !== null) {
      steps.push({ t: leg.answerAt, party: callee, code: 'Answered' });
      steps.push({ t: leg.answerAt, party: agent, code: 'Answered' });
    }
    steps.push({ t: leg.endAt, party: callee, code: 'Disconnected', ...(leg.busy ? { reason: 'TargetBusy' } : {}) });
    steps.push({ t: s.endAt, party: agent, code: 'Disconnected' });
  }

  // Sequence numbers follow emission order (stable sort by time keeps same-second steps in order).
  const ordered = steps.map((step, i) => ({ step, i })).sort((a, b) => a.step.t - b.step.t || a.i - b.i);
  const deliveries: Delivery[] = ordered.map(({ step }, index) => {
    const sequence = index + 1;
    const eventTime = new Date(at(s, step.t)).toISOString();
    const body = {
      uuid: String(BigInt(`0x${hexId(`rc:${session}:${sequence}`, 15)}`)),
      event: step.party.extensionId
        ? `/restapi/v1.0/account/${ACCOUNT_ID}/extension/${step.party.extensionId}/telephony/sessions`
        : `/restapi/v1.0/account/${ACCOUNT_ID}/telephony/sessions`,
      timestamp: new Date(at(s, step.t) + 60).toISOString(),
      subscriptionId: '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44',
      ownerId: '400131500008',
      body: {
        sequence,
        sessionId: String(BigInt(`0x${hexId(`rc:session:${session}`, 10)}`)),
        telephonySessionId: session,
        serverId: '10.13.22.27.TAM',
        eventTime,
        parties: [
          {
            accountId: ACCOUNT_ID,
            ...(step.party.extensionId ? { extensionId: step.party.extensionId } : {}),
            id: step.party.id,
            direction: step.party.direction,
            to: step.party.to,
            from: step.party.from,
            status: { code: step.code, ...(step.reason ? { reason: step.reason } : {}), rcc: false },
            park: {},
            ...(step.party.queueCall ? { queueCall: true } : {}),
            missedCall: step.missedCall ?? false,
            standAlone: false,
            muted: false,
          },
        ],
        origin: { type: 'Call' },
      },
    };
    return {
      label: `seq ${sequence} ${step.party.id.slice(-1)} ${step.code}`,
      contentType: 'application/json; charset=UTF-8',
      body: JSON.stringify(body),
      headers: { 'Verification-Token': RC_VERIFICATION_TOKEN },
      query: {},
    };
  });
  return { providerCallId: session, deliveries };
}

export const ringcentralBuilder: ProviderBuilder = {
  provider: 'ringcentral',
  credentials: {
    clientId: 'rc-client-id',
    clientSecret: 'rc-client-secret',
    jwt: 'rc-jwt-credential',
    verificationToken: RC_VERIFICATION_TOKEN,
  },
  agents: {
    alice: { id: EXTENSIONS.alice.id, name: EXTENSIONS.alice.name },
    bob: { id: EXTENSIONS.bob.id, name: EXTENSIONS.bob.name },
  },
  capabilities: { hold: true, agentNames: true, voicemailRecording: false, price: false },
  build,
  // The token travels as a plain header on every notification; nothing is computed per delivery.
  sign: () => ({}),
};
