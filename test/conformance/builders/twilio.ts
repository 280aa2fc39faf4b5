/**
 * The scenarios as Twilio Programmable Voice webhooks (form-encoded, signed with the SDK's own
 * `getExpectedTwilioSignature` for the hub's URL). Shapes follow test/fixtures/twilio/.
 *
 * How each scenario is wired on Twilio:
 * - inbound: the number's Voice URL returns `<Dial action=…><Client statusCallbackEvent="initiated
 *   ringing answered completed">agent_…</Client></Dial>` (several `<Client>` nouns ring at once);
 *   the number's StatusCallback reports the parent's `completed`.
 * - the transfer: the parent's TwiML is redirected to a second `<Dial><Client>agent_bob</Client>`;
 *   Alice's child leg ends when Bob's answers. Twilio reports no hold anywhere (the hold happens
 *   inside Alice's leg), so holdSeconds is null and talk includes the hold.
 * - voicemail: the `<Dial>` times out (`DialCallStatus=no-answer`), then `<Record action=…>` takes
 *   the message. Twilio has no voicemail marker: the recording posted to the Record action on the
 *   parent leg of an unanswered call is what tells it.
 * - outbound: a Voice SDK call: the parent is `Direction=inbound From=client:agent_bob`, its
 *   TwiML App returns `<Dial callerId="+16505550100"><Number …>customer</Number></Dial>`.
 */
import twilio from 'twilio';
import type { AgentName, Scenario } from '../scenarios.js';
import { at } from '../scenarios.js';
import { hexId, uuidOf, type BuiltCall, type Delivery, type ProviderBuilder } from './types.js';

export const TWILIO_AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const ACCOUNT_SID = 'ACebbef090ddae5eb33c8a5f771f74d14c';

const clientOf = (agent: AgentName) => `client:agent_${agent}`;
const callSid = (seed: string) => `CA${hexId(`twilio:${seed}`, 32)}`;

/** Twilio's callback `Timestamp` is RFC 2822 ("Mon, 10 Mar 2025 14:00:14 +0000"). */
function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

function delivery(label: string, params: Record<string, string>): Delivery {
  return {
    label,
    contentType: 'application/x-www-form-urlencoded',
    body: new URLSearchParams(params).toString(),
    // Twilio keeps the token on a re-delivery: derive it from the content so a duplicate has the same one.
    headers: { 'I-Twilio-Idempotency-Token': uuidOf(new URLSearchParams(params).toString()) },
    query: {},
  };
}

function build(s: Scenario): BuiltCall {
  const parentSid = callSid(`${s.id}:parent`);
  const out: Delivery[] = [];
  const outbound = s.direction === 'outbound';
  const parentFrom = outbound ? clientOf(s.placedBy!) : s.customer;
  const parentTo = outbound ? s.customer : s.companyLine;
  const parent: Record<string, string> = {
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: parentSid,
    Direction: 'inbound',
    From: parentFrom,
    To: parentTo,
    Caller: parentFrom,
    Called: outbound ? '' : parentTo,
  };
  out.push(delivery('parent voice-url', { ...parent, CallStatus: 'ringing' }));

  // Child legs: the agents (inbound) or the customer (outbound), each with its status callbacks.
  interface Child {
    name: string;
    sid: string;
    from: string;
    to: string;
    ringAt: number;
    answerAt: number | null;
    endAt: number;
    finalStatus: string;
  }
  const children: Child[] = outbound
    ? [
        {
          name: 'customer',
          sid: callSid(`${s.id}:customer`),
          from: s.companyLine,
          to: s.customer,
          ringAt: s.customerLeg!.ringAt,
          answerAt: s.customerLeg!.answerAt,
          endAt: s.customerLeg!.endAt,
          finalStatus: s.customerLeg!.busy ? 'busy' : s.customerLeg!.answerAt !== null ? 'completed' : 'no-answer',
        },
      ]
    : s.agentLegs.map((leg) => ({
        name: leg.agent,
        sid: callSid(`${s.id}:${leg.agent}`),
        from: s.customer,
        to: clientOf(leg.agent),
        ringAt: leg.ringAt,
        answerAt: leg.answerAt,
        endAt: leg.endAt,
        // The caller hung up while it rang → canceled; the <Dial> timed out → no-answer.
        finalStatus: leg.answerAt !== null ? 'completed' : s.voicemailAt !== null ? 'no-answer' : 'canceled',
      }));

  for (const c of children) {
    const base = { ...parent, CallSid: c.sid, ParentCallSid: parentSid, Direction: 'outbound-dial', From: c.from, To: c.to, Caller: c.from, Called: c.to, CallbackSource: 'call-progress-events' };
    const callbacks: Array<[string, number, Record<string, string>]> = [['initiated', c.ringAt, {}]];
    if (c.finalStatus !== 'busy') callbacks.push(['ringing', c.ringAt, {}]);
    if (c.answerAt !== null) callbacks.push(['in-progress', c.answerAt, {}]);
    const talked = c.answerAt !== null ? c.endAt - c.answerAt : 0;
    callbacks.push([c.finalStatus, c.endAt, { CallDuration: String(talked), Duration: String(Math.ceil(talked / 60)) }]);
    callbacks.forEach(([status, t, extra], seq) => {
      out.push(
        delivery(`child ${c.name} ${status}`, {
          ...base,
          CallStatus: status,
          Timestamp: rfc2822(at(s, t)),
          SequenceNumber: String(seq),
          ...extra,
        }),
      );
    });
  }

  // The <Dial action> of the last <Dial> (a redirect, as in the transfer, skips the first one's action).
  const lastDial = children.at(-1);
  const callerHungUpWhileRinging = !outbound && s.voicemailAt === null && children.every((c) => c.answerAt === null);
  if (lastDial && !callerHungUpWhileRinging) {
    const bridged = lastDial.answerAt !== null;
    out.push(
      delivery('parent dial-action', {
        ...parent,
        CallStatus: 'in-progress',
        DialCallSid: lastDial.sid,
        DialCallStatus: lastDial.finalStatus,
        DialCallDuration: String(bridged ? lastDial.endAt - lastDial.answerAt! : 0),
        DialBridged: String(bridged),
      }),
    );
  }

  if (s.voicemailAt !== null) {
    const recordingSid = `RE${hexId(`twilio:${s.id}:voicemail`, 32)}`;
    out.push(
      delivery('parent record-action (voicemail)', {
        ...parent,
        CallStatus: 'completed',
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`,
        RecordingSid: recordingSid,
        RecordingDuration: String(s.endAt - s.voicemailAt - 2),
        Digits: 'hangup',
      }),
    );
  }

  // The parent's StatusCallback (completed only). A client-originated or inbound parent is answered
  // by Twilio at once, so its CallDuration runs from the start.
  out.push(
    delivery('parent completed', {
      ...parent,
      CallStatus: 'completed',
      Timestamp: rfc2822(at(s, s.endAt)),
      CallbackSource: 'call-progress-events',
      SequenceNumber: '0',
      CallDuration: String(s.endAt),
      Duration: String(Math.ceil(s.endAt / 60)),
    }),
  );
  return { providerCallId: parentSid, deliveries: out };
}

export const twilioBuilder: ProviderBuilder = {
  provider: 'twilio',
  credentials: { accountSid: ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN },
  agents: { alice: { id: 'agent_alice', name: null }, bob: { id: 'agent_bob', name: null } },
  capabilities: { hold: false, agentNames: false, voicemailRecording: true, price: false },
  build,
  sign(d, url) {
    const params = Object.fromEntries(new URLSearchParams(d.body));
    return { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, url, params) };
  },
};
