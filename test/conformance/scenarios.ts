/**
 * Five logical calls, provider-neutral. Every time is in whole seconds after the call's `start`
 * (the first ring on the company line; dialling on outbound). Each provider builder
 * (builders/<provider>.ts) expresses the same timeline in its own webhook format, and the
 * conformance test checks that the four unified calls agree with each other and with `expected`.
 *
 * Whole seconds everywhere: Aircall and Twilio report whole seconds only, so sub-second offsets
 * would make the providers disagree on `startedAt`/`endedAt` for reasons unrelated to normalising.
 */
import type { CallStatus, Direction } from '../../connectors/contract.js';

export type AgentName = 'alice' | 'bob';

export const CUSTOMER_INBOUND = '+14155550123';
export const CUSTOMER_OUTBOUND = '+14155550188';
export const COMPANY_LINE = '+16505550100';

/** One agent leg of an inbound call: it rang at `ringAt`, was answered at `answerAt` (or not), ended at `endAt`. */
export interface AgentLeg {
  agent: AgentName;
  ringAt: number;
  answerAt: number | null;
  endAt: number;
}

/** The customer's leg of an outbound call. */
export interface CustomerLeg {
  ringAt: number;
  answerAt: number | null;
  endAt: number;
  /** The customer's line was busy. */
  busy: boolean;
}

export interface Hold {
  agent: AgentName;
  from: number;
  to: number;
}

/** What every provider must agree on (before the documented exceptions, see README.md). */
export interface ExpectedCall {
  direction: Direction;
  status: CallStatus;
  externalNumber: string;
  trackingNumber: string;
  /** Seconds after start; null when never answered. */
  answeredAt: number | null;
  endedAt: number;
  waitSeconds: number;
  /** Answer → end of the last agent/customer leg, hold included. */
  connectedSeconds: number;
  /** Time on hold, where the provider reports hold. */
  holdSeconds: number;
  /** The first agent who answered (inbound) / who placed the call (outbound). */
  agent: AgentName | null;
  agents: AgentName[];
  /** Inbound: every agent the call rang, in ring order. */
  offeredAgents: AgentName[];
  /** A recording (here: the voicemail message) exists. */
  recording: boolean;
}

export interface Scenario {
  id: 'answered_hold_transfer' | 'abandoned_in_queue' | 'missed_to_voicemail' | 'outbound_answered' | 'outbound_busy';
  title: string;
  /** ISO instant of second 0. */
  start: string;
  direction: Direction;
  /** The customer's number (caller on inbound, callee on outbound). */
  customer: string;
  companyLine: string;
  /** Inbound: every agent leg, in ring order. */
  agentLegs: AgentLeg[];
  /** Inbound: the call waits in a queue (ACD) rather than ringing one agent directly. */
  viaQueue: boolean;
  holds: Hold[];
  /** Inbound: when the voicemail greeting picked up (nobody answered). */
  voicemailAt: number | null;
  /** Outbound: the agent who dials, and the customer's leg. */
  placedBy: AgentName | null;
  customerLeg: CustomerLeg | null;
  /** When the customer's side of the call ended (the call's end). */
  endAt: number;
  expected: ExpectedCall;
}

export const scenarios: Scenario[] = [
  {
    id: 'answered_hold_transfer',
    title: 'answered inbound with hold and a transfer',
    // Alice answers after 14 s, puts the caller on hold at +100 while she rings Bob (+122), and
    // hands over when Bob answers at +130 (the hold ends then). Bob talks until +300.
    start: '2025-03-10T14:00:00.000Z',
    direction: 'inbound',
    customer: CUSTOMER_INBOUND,
    companyLine: COMPANY_LINE,
    agentLegs: [
      { agent: 'alice', ringAt: 4, answerAt: 14, endAt: 130 },
      { agent: 'bob', ringAt: 122, answerAt: 130, endAt: 300 },
    ],
    viaQueue: false,
    holds: [{ agent: 'alice', from: 100, to: 130 }],
    voicemailAt: null,
    placedBy: null,
    customerLeg: null,
    endAt: 300,
    expected: {
      direction: 'inbound',
      status: 'answered',
      externalNumber: CUSTOMER_INBOUND,
      trackingNumber: COMPANY_LINE,
      answeredAt: 14,
      endedAt: 300,
      waitSeconds: 14,
      connectedSeconds: 286,
      holdSeconds: 30,
      agent: 'alice',
      agents: ['alice', 'bob'],
      offeredAgents: ['alice', 'bob'],
      recording: false,
    },
  },
  {
    id: 'abandoned_in_queue',
    title: 'abandoned in queue',
    // Alice and Bob ring from +5; the caller hangs up at +47 while they still ring.
    start: '2025-03-10T15:10:00.000Z',
    direction: 'inbound',
    customer: CUSTOMER_INBOUND,
    companyLine: COMPANY_LINE,
    agentLegs: [
      { agent: 'alice', ringAt: 5, answerAt: null, endAt: 47 },
      { agent: 'bob', ringAt: 5, answerAt: null, endAt: 47 },
    ],
    viaQueue: true,
    holds: [],
    voicemailAt: null,
    placedBy: null,
    customerLeg: null,
    endAt: 47,
    expected: {
      direction: 'inbound',
      status: 'abandoned',
      externalNumber: CUSTOMER_INBOUND,
      trackingNumber: COMPANY_LINE,
      answeredAt: null,
      endedAt: 47,
      waitSeconds: 47,
      connectedSeconds: 0,
      holdSeconds: 0,
      agent: null,
      agents: [],
      offeredAgents: ['alice', 'bob'],
      recording: false,
    },
  },
  {
    id: 'missed_to_voicemail',
    title: 'missed to voicemail',
    // Alice rings from +3 to +25 without answering; the voicemail greeting picks up at +25 and
    // the caller leaves a message until +60.
    start: '2025-03-10T15:40:00.000Z',
    direction: 'inbound',
    customer: CUSTOMER_INBOUND,
    companyLine: COMPANY_LINE,
    agentLegs: [{ agent: 'alice', ringAt: 3, answerAt: null, endAt: 25 }],
    viaQueue: false,
    holds: [],
    voicemailAt: 25,
    placedBy: null,
    customerLeg: null,
    endAt: 60,
    expected: {
      direction: 'inbound',
      status: 'voicemail',
      externalNumber: CUSTOMER_INBOUND,
      trackingNumber: COMPANY_LINE,
      answeredAt: null,
      endedAt: 60,
      waitSeconds: 60, // never answered: to the end, voicemail time included (contract section 4)
      connectedSeconds: 0,
      holdSeconds: 0,
      agent: null,
      agents: [],
      offeredAgents: ['alice'],
      recording: true,
    },
  },
  {
    id: 'outbound_answered',
    title: 'outbound answered',
    // Bob dials the customer; it rings from +1, the customer answers at +9 and hangs up at +379.
    start: '2025-03-10T16:20:00.000Z',
    direction: 'outbound',
    customer: CUSTOMER_OUTBOUND,
    companyLine: COMPANY_LINE,
    agentLegs: [],
    viaQueue: false,
    holds: [],
    voicemailAt: null,
    placedBy: 'bob',
    customerLeg: { ringAt: 1, answerAt: 9, endAt: 379, busy: false },
    endAt: 379,
    expected: {
      direction: 'outbound',
      status: 'answered',
      externalNumber: CUSTOMER_OUTBOUND,
      trackingNumber: COMPANY_LINE,
      answeredAt: 9,
      endedAt: 379,
      waitSeconds: 9,
      connectedSeconds: 370,
      holdSeconds: 0,
      agent: 'bob',
      agents: ['bob'],
      offeredAgents: [],
      recording: false,
    },
  },
  {
    id: 'outbound_busy',
    title: 'outbound busy',
    // Bob dials the customer; the line is busy at +3.
    start: '2025-03-10T16:50:00.000Z',
    direction: 'outbound',
    customer: CUSTOMER_OUTBOUND,
    companyLine: COMPANY_LINE,
    agentLegs: [],
    viaQueue: false,
    holds: [],
    voicemailAt: null,
    placedBy: 'bob',
    customerLeg: { ringAt: 1, answerAt: null, endAt: 3, busy: true },
    endAt: 3,
    expected: {
      direction: 'outbound',
      status: 'busy',
      externalNumber: CUSTOMER_OUTBOUND,
      trackingNumber: COMPANY_LINE,
      answeredAt: null,
      endedAt: 3,
      waitSeconds: 3,
      connectedSeconds: 0,
      holdSeconds: 0,
      agent: 'bob',
      agents: ['bob'],
      offeredAgents: [],
      recording: false,
    },
  },
];

/** The instant `seconds` after the scenario's start, as epoch milliseconds. */
export function at(s: Scenario, seconds: number): number {
  return Date.parse(s.start) + seconds * 1000;
}

/** The same instant as the unified call writes it (ISO 8601 UTC with milliseconds). */
export function isoAt(s: Scenario, seconds: number): string {
  return new Date(at(s, seconds)).toISOString();
}
