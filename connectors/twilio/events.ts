/**
 * The normalised shape of one Twilio leg observation, stored as `CallEvent.data`. Webhooks (status
 * callbacks, Voice URL, <Dial>/<Enqueue> action callbacks) and REST call records both map to it.
 */
import { z } from 'zod';

export const legObservation = z.object({
  kind: z.enum(['status-callback', 'voice-url', 'wait-url', 'enqueue-action', 'dial-action', 'relay-action', 'rest']),
  callSid: z.string(),
  parentCallSid: z.string().nullable(),
  status: z.string().nullable(),
  direction: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  /** SequenceNumber of a status callback (orders the callbacks of one leg). */
  seq: z.number().nullable(),
  /** When the observation was made (callback Timestamp), ISO; null when Twilio did not say. */
  at: z.string().nullable(),
  /** When the hub received it: a last resort for the start of a call that reported no time. */
  receivedAt: z.string().nullable(),
  /** CallDuration of a status callback / duration of a REST record: seconds since the leg answered. */
  duration: z.number().nullable(),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  recordingUrl: z.string().nullable(),
  queueSid: z.string().nullable(),
  queueName: z.string().nullable(),
  queueResult: z.string().nullable(),
  queueTime: z.number().nullable(),
  dialCallSid: z.string().nullable(),
  dialCallStatus: z.string().nullable(),
  dialBridged: z.boolean().nullable(),
  dialCallDuration: z.number().nullable(),
  price: z.string().nullable(),
  priceUnit: z.string().nullable(),
  /**
   * The <Connect> action callback of a ConversationRelay session (Twilio's AI voice agent relay):
   * `SessionId`, `SessionStatus`, and whether the app ended it with `HandoffData` (to a human).
   * Optional: observations stored before these were read lack them.
   */
  relaySessionId: z.string().nullish(),
  relaySessionStatus: z.string().nullish(),
  relayHandoff: z.boolean().nullish(),
});

export type LegObservation = z.infer<typeof legObservation>;

export const emptyObservation: Omit<LegObservation, 'kind' | 'callSid'> = {
  parentCallSid: null,
  status: null,
  direction: null,
  from: null,
  to: null,
  seq: null,
  at: null,
  receivedAt: null,
  duration: null,
  startTime: null,
  endTime: null,
  recordingUrl: null,
  queueSid: null,
  queueName: null,
  queueResult: null,
  queueTime: null,
  dialCallSid: null,
  dialCallStatus: null,
  dialBridged: null,
  dialCallDuration: null,
  price: null,
  priceUnit: null,
  relaySessionId: null,
  relaySessionStatus: null,
  relayHandoff: null,
};

/**
 * The sentiment Conversational Intelligence (formerly Voice Intelligence) found in a transcript of
 * the call: the label of a Sentiment operator's result (`predicted_label`), stored as a CallEvent of
 * its own under the call's key. Twilio gives a label with a confidence (`predicted_probability`),
 * never a -1..1 score, so no score is kept. See README.md, "Sentiment".
 */
export const intelligenceSentiment = z.object({
  kind: z.literal('intelligence-sentiment'),
  transcriptSid: z.string(),
  /** The call the transcript's recording belongs to (a leg: the parent or a child). */
  callSid: z.string(),
  operatorSid: z.string(),
  label: z.enum(['positive', 'neutral', 'negative']),
  /** The transcript's `date_updated` (ISO): the latest analysis of a call wins. */
  at: z.string(),
});

export type IntelligenceSentiment = z.infer<typeof intelligenceSentiment>;
