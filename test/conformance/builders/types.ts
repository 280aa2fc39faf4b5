/** What every provider builder gives the conformance test. */
import { createHash } from 'node:crypto';
import type { AgentRef, ProviderId } from '../../../connectors/contract.js';
import type { AgentName, Scenario } from '../scenarios.js';

/** One HTTP delivery, before it is signed for the hub's URL. */
export interface Delivery {
  /** What it is (for failure messages): "child alice in-progress", "call.hold"… */
  label: string;
  contentType: string;
  /** The exact raw body to send. */
  body: string;
  /** Headers the provider sends besides its signature (idempotency token, verification token). */
  headers: Record<string, string>;
  /** Query string the provider adds to the webhook URL (e.g. Vonage `agent=`). */
  query: Record<string, string>;
}

/**
 * What a provider can express of the neutral scenarios. Each `false` is a row of the exceptions
 * table in test/conformance/README.md.
 */
export interface Capabilities {
  /** Hold is reported (else holdSeconds is null and talk includes the hold). */
  hold: boolean;
  /** Agent display names are reported (else `name` is null). */
  agentNames: boolean;
  /** A voicemail message's recording arrives with the call events. */
  voicemailRecording: boolean;
  /** Per-call price is reported in the webhooks (else telephonyCost is null). */
  price: boolean;
}

export interface BuiltCall {
  providerCallId: string;
  deliveries: Delivery[];
}

export interface ProviderBuilder {
  provider: ProviderId;
  /** Connection credentials (POST /v1/connections). */
  credentials: Record<string, unknown>;
  /** How the provider names alice and bob in the unified call. */
  agents: Record<AgentName, AgentRef>;
  capabilities: Capabilities;
  build(s: Scenario): BuiltCall;
  /** Signature headers for one delivery posted to `url` (the full public URL, query included), made at send time. */
  sign(d: Delivery, url: string, nowMs: number): Record<string, string>;
}

/** Deterministic hex id from a seed (provider ids must not change between runs). */
export function hexId(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** Deterministic UUID-shaped id from a seed. */
export function uuidOf(seed: string): string {
  const h = hexId(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
