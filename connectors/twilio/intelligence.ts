/**
 * Conversational Intelligence (formerly Voice Intelligence) → the call's sentiment. The Service's
 * webhook only names a transcript (`transcript_sid`, ./webhook.ts); here, in the worker, the SDK
 * fetches what it points at, with the connection's credentials:
 *
 * 1. the Transcript (`GET intelligence.twilio.com/v2/Transcripts/{sid}`): its
 *    `channel.media_properties.reference_sids.call_sid` is the call the recording was made on; a
 *    transcript without it names the recording only (`channel.media_properties.source_sid`, RE…),
 *    whose own `call_sid` is then read (`GET /2010-04-01/Accounts/{sid}/Recordings/{RE}.json`);
 * 2. that call (`GET …/Calls/{CA}.json`): a recording of a <Dial> child leg belongs to the
 *    customer's call, its `parent_call_sid`, which is the key every event of the call is filed under;
 * 3. the transcript's OperatorResults (`GET …/v2/Transcripts/{sid}/OperatorResults`): the result of
 *    a Sentiment operator (`conversation-classify`, e.g. the pre-built "Sentiment Analysis") gives
 *    the label in `predicted_label`. `predicted_probability` is the model's confidence in that
 *    label, not a sentiment score: the score stays null. `mixed` (the pre-built operator's fourth
 *    label) has no equivalent in the unified labels and is not kept.
 *
 * The result is a CallEvent filed under the call, so a transcript that arrives before the call's
 * own callbacks waits for them like any early event (merge needs the parent leg).
 */
import { contentKey } from '../shared/events.js';
import { withRateLimit } from '../shared/http.js';
import type { CallEvent, ConnectorContext, DeliveryPointer } from '../contract.js';
import { rateLimit, restClient } from './client.js';
import type { TwilioCredentials } from './credentials.js';
import type { IntelligenceSentiment } from './events.js';

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const RECORDING_SID = /^RE[0-9a-fA-F]{32}$/;
const LABELS = new Set<IntelligenceSentiment['label']>(['positive', 'neutral', 'negative']);

/** The operator result fields read here (the SDK's OperatorResultInstance, camel-cased). */
interface OperatorResult {
  operatorType: string;
  name: string;
  operatorSid: string;
  predictedLabel: string | null;
}

/** A Sentiment operator's label, or null when this result is not one or its label is not ours. */
export function sentimentLabelOf(r: OperatorResult): IntelligenceSentiment['label'] | null {
  // The API documents the type as `conversation-classify`; some pages spell it `conversation_classify`.
  if (r.operatorType.replace(/_/g, '-') !== 'conversation-classify') return null;
  if (!/sentiment/i.test(r.name)) return null;
  const label = (r.predictedLabel ?? '').trim().toLowerCase() as IntelligenceSentiment['label'];
  return LABELS.has(label) ? label : null;
}

/** The call SID a transcript names, read from its `channel` (documented as a JSON object). */
function channelSids(channel: unknown): { callSid: string | null; recordingSid: string | null } {
  const media = (channel as { media_properties?: Record<string, unknown> } | null)?.media_properties;
  const referenced = (media?.reference_sids as Record<string, unknown> | undefined)?.call_sid;
  const source = media?.source_sid;
  return {
    callSid: typeof referenced === 'string' && CALL_SID.test(referenced) ? referenced : null,
    recordingSid: typeof source === 'string' && RECORDING_SID.test(source) ? source : null,
  };
}

const isNotFound = (err: unknown) => (err as { status?: unknown }).status === 404;

async function transcriptEvents(creds: TwilioCredentials, transcriptSid: string, ctx: ConnectorContext): Promise<CallEvent[]> {
  const client = restClient(creds);
  const account = client.api.v2010.accounts(creds.accountSid);
  const transcripts = client.intelligence.v2.transcripts(transcriptSid);
  const transcript = await withRateLimit(ctx, rateLimit('GET Transcript'), () => transcripts.fetch());
  if (transcript.status !== 'completed') {
    ctx.logger.info({ transcriptSid, status: transcript.status }, 'twilio transcript not completed: no operator results to read');
    return [];
  }
  let { callSid, recordingSid } = channelSids(transcript.channel);
  if (!callSid && recordingSid) {
    const recording = await withRateLimit(ctx, rateLimit('GET Recording'), () => account.recordings(recordingSid!).fetch());
    callSid = CALL_SID.test(recording.callSid ?? '') ? recording.callSid : null;
  }
  if (!callSid) {
    // An external recording: nothing ties it to a call callroi knows.
    ctx.logger.info({ transcriptSid }, 'twilio transcript names no call: its results are not applied');
    return [];
  }
  const results = (await withRateLimit(ctx, rateLimit('GET OperatorResults'), () => transcripts.operatorResults.list({ pageSize: 100 }))) as OperatorResult[];
  const sentiments = results
    .map((r) => ({ r, label: sentimentLabelOf(r) }))
    .filter((x): x is { r: OperatorResult; label: IntelligenceSentiment['label'] } => x.label !== null);
  if (sentiments.length === 0) return [];

  // The customer's call: the parent of the leg the recording was made on.
  let callKey = callSid;
  try {
    const call = await withRateLimit(ctx, rateLimit('GET Call'), () => account.calls(callSid!).fetch());
    callKey = call.parentCallSid && CALL_SID.test(call.parentCallSid) ? call.parentCallSid : callSid;
  } catch (err) {
    // A call Twilio no longer lists (deleted): the leg itself is the best key there is.
    if (!isNotFound(err)) throw err;
  }
  const valid = (d: unknown): d is Date => d instanceof Date && Number.isFinite(d.getTime());
  const at = [transcript.dateUpdated, transcript.dateCreated].find(valid) ?? ctx.now();
  return sentiments.map(({ r, label }) => {
    const facts: IntelligenceSentiment = { kind: 'intelligence-sentiment', transcriptSid, callSid: callSid!, operatorSid: r.operatorSid, label, at: at.toISOString() };
    return { callKey, key: contentKey(`intelligence:${transcriptSid}:${r.operatorSid}`, facts), source: 'rest', data: facts } satisfies CallEvent;
  });
}

export async function follow(pointers: DeliveryPointer[], creds: TwilioCredentials, ctx: ConnectorContext): Promise<CallEvent[]> {
  const events: CallEvent[] = [];
  for (const p of pointers) {
    if (p.kind === 'twilio-transcript') events.push(...(await transcriptEvents(creds, p.id, ctx)));
  }
  return events;
}
