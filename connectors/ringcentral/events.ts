/**
 * What a RingCentral call event holds (`CallEvent.data`): one `party` event per party per
 * telephony-session notification (webhook.ts), one `log` event per call-log record (client.ts).
 * Stored as is and read back by merge.ts.
 */
import { z } from 'zod';

/** An id RingCentral writes as a string or a number, kept as a string. */
export const numberish = z.union([z.string(), z.number()]).transform(String);
/** An instant as RingCentral writes it (ISO 8601, `Z` or an offset such as `+0000`). */
export const instant = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'not a date-time' });

export const endpointSchema = z.object({
  phoneNumber: z.string().nullable(),
  name: z.string().nullable(),
  extensionId: z.string().nullable(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const partyEventDataSchema = z.object({
  kind: z.literal('party'),
  telephonySessionId: z.string(),
  sequence: z.number(),
  eventTime: z.string(),
  partyId: z.string(),
  accountId: z.string().nullable(),
  /** Set on parties that belong to an extension of the account (agents, queues, IVRs). */
  extensionId: z.string().nullable(),
  direction: z.enum(['Inbound', 'Outbound']).nullable(),
  status: z.string(),
  reason: z.string().nullable(),
  queueCall: z.boolean(),
  missedCall: z.boolean(),
  from: endpointSchema,
  to: endpointSchema,
  recordingIds: z.array(z.string()),
});
export type PartyEventData = z.infer<typeof partyEventDataSchema>;

export const logLegSchema = z.object({
  startTime: z.string(),
  durationMs: z.number(),
  direction: z.enum(['Inbound', 'Outbound']),
  result: z.string(),
  reason: z.string().nullable(),
  legType: z.string().nullable(),
  master: z.boolean(),
  delegationType: z.string().nullable(),
  extensionId: z.string().nullable(),
  from: endpointSchema,
  to: endpointSchema,
  recordingUrl: z.string().nullable(),
});
export type LogLeg = z.infer<typeof logLegSchema>;

export const logEventDataSchema = z.object({
  kind: z.literal('log'),
  id: z.string(),
  telephonySessionId: z.string().nullable(),
  lastModifiedTime: z.string().nullable(),
  direction: z.enum(['Inbound', 'Outbound']),
  result: z.string(),
  reason: z.string().nullable(),
  startTime: z.string(),
  durationMs: z.number(),
  extensionId: z.string().nullable(),
  from: endpointSchema,
  to: endpointSchema,
  recordingUrl: z.string().nullable(),
  legs: z.array(logLegSchema),
});
export type LogEventData = z.infer<typeof logEventDataSchema>;

export const eventDataSchema = z.discriminatedUnion('kind', [partyEventDataSchema, logEventDataSchema]);
