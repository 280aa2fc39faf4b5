/**
 * Twilio Conversational Intelligence through to the KPIs: a signed transcript webhook (JSON, signed
 * through `bodySHA256` with the SDK's own function) is stored and acknowledged; the worker fetches
 * the transcript, its call and its operator results with the twilio SDK (nock answers for Twilio);
 * the Sentiment operator's label becomes the call's sentiment — also when the transcript arrives
 * before the call — and feeds positiveSentimentRate with compare=previous_year. A refused fetch fails
 * the delivery (visible, reprocessable); an outage is retried.
 */
import { createHash } from 'node:crypto';
import nock from 'nock';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { hubWithMockedProviders } from './helpers/provider-mocks.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioInboundCall } from './helpers/twilio.js';

const ctx = hubWithMockedProviders();

const INTEL = 'https://intelligence.twilio.com';
const API = 'https://api.twilio.com';
const callSid = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;
const transcriptSid = (n: number) => `GT${n.toString(16).padStart(32, '0')}`;
const childOf = (n: number) => callSid(n + 500_000); // twilioInboundCall's agent leg

async function newConnection() {
  const res = await ctx.hub.api
    .post('/v1/connections')
    .set(ctx.tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  expect(res.status).toBe(201);
  return res.body as { id: string; webhookUrl: string };
}

/** The Service's webhook as Twilio sends it: JSON, the URL carrying bodySHA256, signed over that URL. */
function postTranscriptWebhook(webhookUrl: string, transcript: string) {
  const body = JSON.stringify({
    account_sid: TWILIO_ACCOUNT_SID,
    service_sid: 'GA0123456789abcdef0123456789abcdef',
    transcript_sid: transcript,
    customer_key: null,
    event_type: 'voice_intelligence_transcript_available',
  });
  const url = new URL(webhookUrl);
  url.searchParams.set('bodySHA256', createHash('sha256').update(body).digest('hex'));
  return ctx.hub.api
    .post(`${url.pathname}${url.search}`)
    .set('Content-Type', 'application/json')
    .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, url.toString(), {}))
    .send(body);
}

/** Twilio's answers for one transcript: recorded on the agent's leg, its Sentiment operator's label. */
function mockTranscript(n: number, label: string, updated: string) {
  const gt = transcriptSid(n);
  nock(INTEL)
    .get(`/v2/Transcripts/${gt}`)
    .reply(200, {
      sid: gt,
      account_sid: TWILIO_ACCOUNT_SID,
      status: 'completed',
      channel: { media_properties: { source_sid: `RE${n.toString(16).padStart(32, '0')}`, reference_sids: { call_sid: childOf(n) } }, participants: [], type: 'voice' },
      date_created: updated,
      date_updated: updated,
    })
    .get(`/v2/Transcripts/${gt}/OperatorResults`)
    .query(true)
    .reply(200, {
      operator_results: [
        { operator_type: 'conversation-classify', name: 'Sentiment Analysis', operator_sid: 'LY0123456789abcdef0123456789abcdef', predicted_label: label, predicted_probability: 0.9, label_probabilities: {}, transcript_sid: gt },
        { operator_type: 'text-generation', name: 'Summary', operator_sid: 'LY1123456789abcdef0123456789abcdef', text_generation_results: { result: 'The caller asked about billing.' }, transcript_sid: gt },
      ],
      meta: { page: 0, page_size: 100, first_page_url: '', previous_page_url: null, next_page_url: null, key: 'operator_results', url: '' },
    });
  nock(API)
    .get(`/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls/${childOf(n)}.json`)
    .reply(200, { sid: childOf(n), parent_call_sid: callSid(n), account_sid: TWILIO_ACCOUNT_SID });
}

async function postCall(webhookUrl: string, n: number, start: Date) {
  for (const d of twilioInboundCall(n, start, true)) expect((await postTwilio(ctx.hub.api, webhookUrl, d)).status).toBe(200);
}

async function callsByProviderId(connectionId: string) {
  const res = await ctx.hub.api.get('/v1/calls').query({ connectionId, limit: 100 }).set(ctx.tenant.auth);
  return new Map((res.body.data as Record<string, unknown>[]).map((c) => [c.providerCallId as string, c]));
}

describe('twilio Conversational Intelligence sentiment', () => {
  it('signed transcript webhook → operator results → call sentiment → KPIs, the transcript before or after its call', async () => {
    const conn = await newConnection();
    // 2025-03-10 (Pacific): a negative call, then a positive one whose transcript comes first.
    const a = 7101;
    const b = 7102;
    const lastYear = 7103;
    mockTranscript(a, 'negative', '2025-03-10T18:10:00Z');
    mockTranscript(b, 'positive', '2025-03-10T19:10:00Z');
    mockTranscript(lastYear, 'positive', '2024-03-10T18:10:00Z');

    await postCall(conn.webhookUrl, a, new Date('2025-03-10T18:00:00Z'));
    const ack = await postTranscriptWebhook(conn.webhookUrl, transcriptSid(a));
    expect(ack.status).toBe(200);
    // Unknown call yet: the sentiment waits for it.
    expect((await postTranscriptWebhook(conn.webhookUrl, transcriptSid(b))).status).toBe(200);
    await ctx.hub.settle(ctx.tenant.apiKey);
    expect((await callsByProviderId(conn.id)).has(callSid(b))).toBe(false);
    await postCall(conn.webhookUrl, b, new Date('2025-03-10T19:00:00Z'));
    await postCall(conn.webhookUrl, lastYear, new Date('2024-03-10T18:00:00Z'));
    await postTranscriptWebhook(conn.webhookUrl, transcriptSid(lastYear));
    // Twilio retrying a delivery: acknowledged, stored once, its transcript fetched once.
    expect((await postTranscriptWebhook(conn.webhookUrl, transcriptSid(a))).status).toBe(200);
    await ctx.hub.settle(ctx.tenant.apiKey);
    expect(nock.isDone()).toBe(true);
    const stored = await ctx.hub.api.get(`/v1/connections/${conn.id}/events`).set(ctx.tenant.auth);
    // 3 calls of 2 deliveries each, 3 transcript webhooks; all processed.
    expect(stored.body.data.map((e: { status: string }) => e.status)).toEqual(Array(9).fill('processed'));

    const calls = await callsByProviderId(conn.id);
    expect(calls.get(callSid(a))!.sentiment).toEqual({ label: 'negative', score: null, source: 'twilio intelligence operator results' });
    expect(calls.get(callSid(b))!.sentiment).toEqual({ label: 'positive', score: null, source: 'twilio intelligence operator results' });
    expect(calls.get(callSid(lastYear))!.sentiment).toMatchObject({ label: 'positive' });

    // Twilio gives no score: sentimentScore stays null until an annotation gives one (which then wins).
    let kpis = await ctx.hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', compare: 'previous_year' }).set(ctx.tenant.auth);
    expect(kpis.status).toBe(200);
    expect(kpis.body.total).toMatchObject({ positiveSentimentRate: 0.5, sentimentScore: null });
    expect(kpis.body.total.compare.values).toMatchObject({ positiveSentimentRate: 1, sentimentScore: null });
    expect(kpis.body.total.compare.delta).toMatchObject({ positiveSentimentRate: -0.5 });

    const annotated = await ctx.hub.api
      .post('/v1/calls/annotations')
      .set(ctx.tenant.auth)
      .send({ annotations: [{ provider: 'twilio', providerCallId: callSid(a), sentiment: { label: 'positive', score: 0.4 } }, { provider: 'twilio', providerCallId: callSid(b), sentiment: { label: 'negative', score: -2 } }] });
    expect(annotated.body).toMatchObject({ upserted: 1, rejected: [{ index: 1 }] });
    await ctx.hub.settle(ctx.tenant.apiKey);
    const after = await callsByProviderId(conn.id);
    expect(after.get(callSid(a))!.sentiment).toEqual({ label: 'positive', score: 0.4, source: 'annotation' });
    // The rejected row changed nothing: Twilio's label stays.
    expect(after.get(callSid(b))!.sentiment).toMatchObject({ label: 'positive', source: 'twilio intelligence operator results' });
    kpis = await ctx.hub.api.get('/v1/kpis').query({ from: '2025-03-10', to: '2025-03-11', compare: 'previous_year' }).set(ctx.tenant.auth);
    expect(kpis.body.total).toMatchObject({ positiveSentimentRate: 1, sentimentScore: 0.4 });
    // A year earlier had a label and no score: no change to state for the score.
    expect(kpis.body.total.compare.delta).toMatchObject({ positiveSentimentRate: 0, sentimentScore: null });
  }, 90_000);

  it('a transcript Twilio refuses to give fails the delivery (reprocessable); an outage is retried', async () => {
    const conn = await newConnection();
    const gone = transcriptSid(7201);
    nock(INTEL).get(`/v2/Transcripts/${gone}`).reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    await postTranscriptWebhook(conn.webhookUrl, gone);
    await ctx.hub.settle(ctx.tenant.apiKey);
    const failed = await ctx.hub.api.get(`/v1/connections/${conn.id}/events`).query({ status: 'failed' }).set(ctx.tenant.auth);
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0].error).toMatch(/twilio .*404/);
    // Reprocessed once Twilio answers (here: a transcript still in progress, nothing to apply).
    nock(INTEL).get(`/v2/Transcripts/${gone}`).reply(200, { sid: gone, status: 'in-progress', channel: {}, date_created: null, date_updated: null });
    const again = await ctx.hub.api.post(`/v1/connections/${conn.id}/events/${failed.body.data[0].id}/reprocess`).set(ctx.tenant.auth);
    expect(again.status).toBe(202);
    await ctx.hub.settle(ctx.tenant.apiKey);
    expect((await ctx.hub.api.get(`/v1/connections/${conn.id}/events`).query({ status: 'failed' }).set(ctx.tenant.auth)).body.data).toEqual([]);

    // Twilio down once, then answering: the job is tried again and the sentiment lands.
    const n = 7202;
    await postCall(conn.webhookUrl, n, new Date('2025-03-12T18:00:00Z'));
    nock(INTEL).get(`/v2/Transcripts/${transcriptSid(n)}`).reply(503, { message: 'Service Unavailable' });
    mockTranscript(n, 'neutral', '2025-03-12T18:10:00Z');
    await postTranscriptWebhook(conn.webhookUrl, transcriptSid(n));
    await ctx.hub.settle(ctx.tenant.apiKey);
    expect(nock.isDone()).toBe(true);
    expect((await callsByProviderId(conn.id)).get(callSid(n))!.sentiment).toMatchObject({ label: 'neutral' });
  }, 90_000);

  it('a transcript Twilio is slow to give holds up no other call: its delivery is processed outside the batches', async () => {
    const conn = await newConnection();
    // Two transcripts whose first fetch Twilio answers only when the test says so.
    const held: (() => void)[] = [];
    const slow = [7301, 7302];
    for (const n of slow) {
      const gt = transcriptSid(n);
      nock(INTEL)
        .get(`/v2/Transcripts/${gt}`)
        .reply((_uri, _body, answer) => {
          held.push(() => answer(null, [200, { sid: gt, account_sid: TWILIO_ACCOUNT_SID, status: 'in-progress', channel: {}, date_created: null, date_updated: null }]));
        });
    }
    const waitUntil = async (what: string, check: () => Promise<boolean> | boolean) => {
      for (let i = 0; !(await check()); i++) {
        if (i > 300) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // One after the other, so that each is in a job of its own and both fetches hang at once: as
    // many as a worker runs batches side by side.
    for (const [i, n] of slow.entries()) {
      expect((await postTranscriptWebhook(conn.webhookUrl, transcriptSid(n))).status).toBe(200);
      await waitUntil(`fetch ${i + 1} to hang`, () => held.length === i + 1);
    }
    // Another call's callbacks meanwhile: processed while both fetches still hang.
    const other = 7303;
    await postCall(conn.webhookUrl, other, new Date('2025-03-13T18:00:00Z'));
    await waitUntil('the other call', async () => (await callsByProviderId(conn.id)).has(callSid(other)));
    expect(held).toHaveLength(2);
    for (const answer of held) answer();
    await ctx.hub.settle(ctx.tenant.apiKey);
    expect(nock.isDone()).toBe(true);
    const events = await ctx.hub.api.get(`/v1/connections/${conn.id}/events`).set(ctx.tenant.auth);
    expect(events.body.data.map((e: { status: string }) => e.status)).toEqual(Array(4).fill('processed'));
  }, 90_000);
});
