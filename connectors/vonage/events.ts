/**
 * What a Vonage call event holds (`CallEvent.data`): one `leg` fact per status of one leg (webhook
 * status events in webhook.ts, REST call records in client.ts) and one `recording` fact per
 * `record` event, one `transfer` fact per `transfer` event. Stored as is and read back by merge.ts.
 */
import { z } from 'zod';

export const endpointTypes = ['phone', 'app', 'sip', 'vbc', 'websocket', 'withheld'] as const;
/** One end of a leg. `id`: E.164 for a phone, the user name for an app user, the URI for SIP. */
export const endpointSchema = z.object({
  type: z.enum(endpointTypes),
  id: z.string().nullable(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

const isoInstant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 instant');

export const legFactSchema = z.object({
  kind: z.literal('leg'),
  legId: z.string().min(1),
  /** Vonage status, lower case: started, ringing, answered, completed, busy, machine… */
  status: z.string().min(1),
  /** Event timestamp (webhooks); null for a REST record, which has no event time. */
  at: isoInstant.nullable(),
  direction: z.enum(['inbound', 'outbound']).nullable(),
  from: endpointSchema.nullable(),
  to: endpointSchema.nullable(),
  /** Leg's billing start (= when it was answered) and end, on completed events and REST records. */
  startTime: isoInstant.nullable(),
  endTime: isoInstant.nullable(),
  /** Cost of this leg as Vonage's decimal string ("0.01700000"), never a float. */
  price: z.string().nullable(),
  /** `disconnected_by` of a completed leg: `user` (the party hung up) or `platform`. */
  disconnectedBy: z.string().nullable(),
  /** The agent the hub put in the event_url query (`&agent=`) when it created the call. */
  agentHint: z.string().nullable(),
  /** Billing currency of the account (from the credentials), null when unknown. */
  currency: z.string().nullable(),
  /**
   * The `conversation_uuid` the leg was in when this was observed: a transfer moves a leg into
   * another conversation, and the call is named after the one its customer leg began in. Absent
   * on facts stored before transfers were read (their event's callKey says the same).
   */
  conversationId: z.string().nullish(),
});
export type LegFact = z.infer<typeof legFactSchema>;

export const recordingFactSchema = z.object({
  kind: z.literal('recording'),
  recordingId: z.string().min(1),
  url: z.string().min(1),
  at: isoInstant.nullable(),
});
export type RecordingFact = z.infer<typeof recordingFactSchema>;

/** A `transfer` event: leg `legId` moved from conversation `from` into conversation `to`. */
export const transferFactSchema = z.object({
  kind: z.literal('transfer'),
  legId: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  at: isoInstant,
});
export type TransferFact = z.infer<typeof transferFactSchema>;

export const factSchema = z.discriminatedUnion('kind', [legFactSchema, recordingFactSchema, transferFactSchema]);
export type Fact = z.infer<typeof factSchema>;
