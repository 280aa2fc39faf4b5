/**
 * The one interface every telephony provider implements.
 *
 * Connectors never import from `src/`: whatever they need from the hub (logger, clock, fetch,
 * sleep) comes in through `ConnectorContext`, so each connector is testable alone.
 *
 * Life of a webhook (the hub drives it, top to bottom):
 *   handshake?  → verify → dedupeKey → [hub stores the raw delivery, answers 2xx] →
 *   (in a job) parse → [hub stores the call events] → merge(all events of that call) → unified call
 *
 * Backfill and reconciliation produce the same `CallEvent`s from the provider's REST API, so a call
 * seen by both a webhook and the REST API merges into one.
 */
import { z } from 'zod';

export const providerIds = ['twilio', 'ringcentral', 'vonage', 'aircall'] as const;
export const providerIdSchema = z.enum(providerIds);
export type ProviderId = (typeof providerIds)[number];

export const callStatuses = [
  'answered',
  'abandoned',
  'missed',
  'voicemail',
  'busy',
  'failed',
  'in_progress',
  /** Handled by automation the provider identifies (an AI voice agent, a bot) and ended without
   *  reaching an agent. Never inferred from the mere absence of an agent: a connector sets it only
   *  on the provider's positive report, and fills `automation` with that report. */
  'self_served',
] as const;
export type CallStatus = (typeof callStatuses)[number];
export type Direction = 'inbound' | 'outbound';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ConnectorContext {
  logger: Logger;
  /** Global fetch (nock intercepts it in tests). The hub passes one that refuses private, loopback and
   *  metadata addresses, checks every redirect and times out. */
  fetch: typeof fetch;
  /** Hosts the operator allowed besides each provider's own (`host` or `host:port`); API base URLs
   *  from credentials are refused outside both (shared/hosts.ts). */
  allowedHosts?: readonly string[];
  now: () => Date;
  /** Waits between rate-limited requests; tests pass a fast one. */
  sleep: (ms: number) => Promise<void>;
}

/** One HTTP delivery as the provider sent it. Headers are lower-cased. */
export interface WebhookRequest {
  method: string;
  rawBody: Buffer;
  headers: Record<string, string | undefined>;
  /** The URL the provider requested, as it saw it: PUBLIC_BASE_URL + path + query. */
  publicUrl: string;
  query: Record<string, string>;
}

/** What the hub answers without storing anything (subscription handshakes). */
export interface HandshakeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** The delivery as stored in the inbox, handed back to `parse` inside a job. */
export interface StoredDelivery {
  rawBody: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  receivedAt: Date;
}

/**
 * A normalised fact about one call, as the connector wants to see it again in `merge`.
 * `callKey` groups every event of one customer call (Twilio: parent CallSid; Vonage:
 * conversation_uuid; RingCentral: telephonySessionId; Aircall: call id).
 * `key` identifies the event within its call: the same logical event delivered twice (or seen by
 * a webhook and again by a re-delivery) must get the same key. `data` is JSON only.
 */
export interface CallEvent {
  callKey: string;
  key: string;
  source: 'webhook' | 'rest';
  data: Record<string, unknown>;
}

/** Agent availability (for occupancy): a provider that reports it emits these. */
export interface PresenceEvent {
  agentId: string;
  agentName?: string | null;
  state: 'available' | 'unavailable';
  at: string; // ISO 8601 UTC
}

export interface ParsedDelivery {
  calls: CallEvent[];
  presence: PresenceEvent[];
  /** Facts about the connection learned from a delivery, kept by the hub and handed to `maintain`
   *  (e.g. the RingCentral subscription id every notification carries). */
  connectionState?: Record<string, string>;
  /**
   * One customer call that the provider spread over two callKeys (Vonage: a `transfer` moves a leg
   * into another conversation). The hub files the events of `alias` — those already stored and
   * those still to come — under `callKey` (following chains: an alias of an alias), and merges
   * them as one call; `merge` reads the result from the events, whatever key the hub hands in.
   */
  callLinks?: { callKey: string; alias: string }[];
  /**
   * What the delivery only points at: facts the provider keeps behind its REST API (Twilio's
   * transcript webhook names a transcript; the sentiment is in its operator results). The worker
   * hands them to the connector's `follow` with the connection's credentials, outside any
   * transaction, and stores what comes back with the delivery's own events.
   */
  pointers?: DeliveryPointer[];
}

/** A provider resource a delivery names (see `ParsedDelivery.pointers`). */
export interface DeliveryPointer {
  /** The connector's own word for the resource, e.g. "twilio-transcript". */
  kind: string;
  id: string;
}

export const connectionHealths = ['healthy', 'expiring', 'blacklisted', 'disabled'] as const;
export type ConnectionHealth = (typeof connectionHealths)[number];

export interface MaintenanceResult {
  health: ConnectionHealth;
  detail?: Record<string, unknown>;
}

/** Thrown by `parse` when the body is valid but not this provider's shape. The hub keeps the
 *  delivery with status `failed` so it can be reprocessed after a fix. */
export class DeliveryShapeError extends Error {
  override name = 'DeliveryShapeError';
}

export interface AgentRef {
  id: string;
  name: string | null;
}

export interface Money {
  /** Decimal string, never a float: "0.0280". */
  amount: string;
  currency: string;
}

/**
 * A unified call as far as a connector can tell. The hub adds its id, handleSeconds
 * (talk + hold + after-call work), campaign, attributed revenue and timestamps.
 * All times are ISO 8601 UTC strings with milliseconds ("2025-03-10T14:00:00.000Z").
 */
export interface UnifiedCallDraft {
  providerCallId: string;
  direction: Direction;
  status: CallStatus;
  /** Customer's number, E.164 (null when withheld). */
  externalNumber: string | null;
  /** Company's number, E.164. */
  trackingNumber: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  waitSeconds: number;
  talkSeconds: number;
  /** null when the provider does not report hold. */
  holdSeconds: number | null;
  /** null → the tenant's default after-call work. */
  afterCallWorkSeconds: number | null;
  /** inbound: first agent who answered; outbound: agent who placed the call. */
  agent: AgentRef | null;
  /** Every agent who handled the call, in order. */
  agents: AgentRef[];
  /** Agents the call was offered to (rang), in order; informative. */
  offeredAgents?: AgentRef[];
  queue: { id: string; name: string | null } | null;
  tags: string[];
  recordingUrl: string | null;
  telephonyCost: Money | null;
  /** The automation the provider reports took the call (inbound), present only on such a report:
   *  the evidence behind `self_served`, and kept when the bot escalated to an agent too. */
  automation?: AutomationRef;
  /** The customer's sentiment as the provider's speech analytics report it, present only on such a report. */
  sentiment?: SentimentRef;
}

export interface SentimentRef {
  label: 'positive' | 'neutral' | 'negative';
  /** -1..1, null when the provider gives a label only. */
  score: number | null;
  /** Who said so, e.g. "aircall sentiment.created". */
  source: string;
}

export interface AutomationRef {
  /** The provider's id of the bot or of its session, when it gives one. */
  id: string | null;
  name: string | null;
  /** The bot handed the caller to a human (escalation, handoff). */
  escalated: boolean;
  /** What the provider said, in its own words (event and reason). */
  evidence: string;
}

export interface BackfillWindow {
  from: Date;
  to: Date;
}

export interface BackfillPage {
  events: CallEvent[];
  /** Where to resume after this page has been stored; null when the window is done. */
  cursor: string | null;
  /** Optional progress hint (0..1) for the job's progress. */
  progress?: number;
}

export interface Connector<Creds = unknown> {
  id: ProviderId;
  /** zod schema of the credentials a connection of this provider holds (validated on create). */
  credentials: z.ZodType<Creds>;
  /** Names of credential fields that are secrets (encrypted at rest, never returned). Informative:
   *  the hub encrypts the whole credentials object. */
  /** How the provider encodes webhook bodies: a JSON body that does not parse is answered 400
   *  before anything else (contract section 3), a form body is read by the connector. */
  bodyFormat: 'json' | 'form';
  /** A handshake to answer before any verification (RingCentral `Validation-Token`). */
  handshake?(req: WebhookRequest, creds: Creds): HandshakeResponse | null;
  /** Authenticity check with the provider's own scheme. Pure: no I/O. */
  verify(req: WebhookRequest, creds: Creds, ctx: ConnectorContext): VerifyResult;
  /** Identity of the delivery: the same provider event delivered twice → same key. */
  dedupeKey(req: WebhookRequest): string;
  /** The verified delivery's body as it is to be stored, without the secrets a provider puts in the
   *  body itself (Aircall's webhook `token`): secrets are never kept in clear text nor returned by
   *  the events API. */
  redact?(req: WebhookRequest): string;
  /** What to answer once the delivery is stored (Twilio action callbacks want TwiML). */
  acknowledge?(req: WebhookRequest): HandshakeResponse;
  /** The provider can join two of its call keys into one call after the fact (`callLinks`): the hub
   *  then resolves every call key of this provider's connections through the stored links. */
  joinsCalls?: true;
  /** Raw delivery → call events. Throws DeliveryShapeError when the body is not this provider's.
   *  The connection's credentials come along for what they configure (e.g. Vonage's price currency). */
  parse(delivery: StoredDelivery, creds?: Creds): ParsedDelivery;
  /** Fetches what a delivery points at (`ParsedDelivery.pointers`) through the provider's REST API
   *  → call events. Runs in the worker; a provider failure is thrown (a refusal fails the delivery,
   *  an outage is retried). */
  follow?(pointers: DeliveryPointer[], creds: Creds, ctx: ConnectorContext): Promise<CallEvent[]>;
  /** Every event of one call, in any order and with duplicates → the same unified call, or null
   *  while too little is known (e.g. only a leg we cannot place yet). */
  merge(events: CallEvent[]): UnifiedCallDraft | null;
  /** Periodic upkeep through the provider's API (renew an expiring subscription, see whether the
   *  provider disabled the webhook) → the connection's health. `state` holds what deliveries taught
   *  the hub (`connectionState`) plus `webhookUrl`. */
  maintain?(creds: Creds, state: Record<string, string>, ctx: ConnectorContext): Promise<MaintenanceResult>;
  /** Historical calls through the provider's REST API, resumable from `cursor`. */
  backfill?(
    creds: Creds,
    window: BackfillWindow,
    cursor: string | null,
    ctx: ConnectorContext,
  ): AsyncGenerator<BackfillPage, void, void>;
}
