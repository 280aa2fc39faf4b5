/**
 * POST /v1/connections/{id}/backfill: historical calls through the Twilio REST API with the official
 * SDK (nock stands in for api.twilio.com), merged with webhooks without duplicates, resumable.
 */
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { hubWithMockedProviders } from './helpers/provider-mocks.js';
import { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } from './helpers/twilio.js';

interface RestPage {
  response: { calls: Record<string, unknown>[]; next_page_uri: string | null } & Record<string, unknown>;
}
const page0 = JSON.parse(readFileSync(new URL('./fixtures/twilio/rest_calls_page.json', import.meta.url), 'utf8')) as RestPage;
const callsPath = `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json`;

/** Page 1: the inbound-answered parent leg (the fixture says it is on page 2). */
const page1 = {
  ...page0.response,
  page: 1,
  next_page_uri: null,
  calls: [
    {
      ...page0.response.calls[2],
      sid: 'CA28f9b35c00d26a89b45a04f754abdd8e',
      direction: 'inbound',
      from: '+14155550123',
      to: '+16505550100',
      duration: '270',
      start_time: 'Mon, 10 Mar 2025 14:00:00 +0000',
      end_time: 'Mon, 10 Mar 2025 14:04:30 +0000',
      price: '-0.01700',
      parent_call_sid: null,
    },
  ],
};

const ctx = hubWithMockedProviders();

async function newConnection() {
  const res = await ctx.hub.api
    .post('/v1/connections')
    .set(ctx.tenant.auth)
    .send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
  return res.body as { id: string; webhookUrl: string };
}

async function waitForBackfill(jobId: string) {
  for (let i = 0; i < 300; i++) {
    const res = await ctx.hub.api.get(`/v1/backfills/${jobId}`).set(ctx.tenant.auth);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('backfill did not finish');
}

async function callsOf(connectionId: string) {
  const res = await ctx.hub.api.get(`/v1/calls?connectionId=${connectionId}`).set(ctx.tenant.auth);
  return res.body.data as Record<string, unknown>[];
}

describe('twilio backfill', () => {
  it('imports the REST pages into the same unified calls, pricing included', async () => {
    const conn = await newConnection();
    const api = nock('https://api.twilio.com')
      .get(callsPath)
      .query((q) => q.PageSize === '200' && 'StartTime>' in q && 'StartTime<' in q)
      .reply(200, { ...page0.response, next_page_uri: `${callsPath}?Page=1&PageToken=PA1` })
      .get(callsPath)
      .query({ Page: '1', PageToken: 'PA1' })
      .reply(200, page1);
    const res = await ctx.hub.api.post(`/v1/connections/${conn.id}/backfill`).set(ctx.tenant.auth).send({ from: '2025-03-10', to: '2025-03-11' });
    expect(res.status).toBe(202);
    const job = await waitForBackfill(res.body.jobId as string);
    expect(job).toMatchObject({ status: 'completed', pages: 2, events: 5, progress: 1 });
    expect(api.isDone()).toBe(true);
    await ctx.hub.settle(ctx.tenant.apiKey);
    const calls = await callsOf(conn.id);
    expect(calls).toHaveLength(3);
    const answered = calls.find((c) => c.providerCallId === 'CA28f9b35c00d26a89b45a04f754abdd8e')!;
    // REST alone: the answer is the child's end − its duration (14:04:29 − 255 s = 14:00:14), so wait is 14,
    // as the webhooks say (parent duration − child duration would give 15); talk 255; agent from the child `to`.
    expect(answered).toMatchObject({ direction: 'inbound', status: 'answered', waitSeconds: 14, talkSeconds: 255, agent: { id: 'agent_alice' } });
    expect(answered.telephonyCost).toEqual({ amount: '0.037', currency: 'USD' });
    const outbound = calls.find((c) => c.direction === 'outbound')!;
    expect(outbound).toMatchObject({ status: 'answered', externalNumber: '+14155550188', trackingNumber: '+16505550100', agent: { id: 'agent_bob' } });
    expect(outbound.telephonyCost).toEqual({ amount: '0.126', currency: 'USD' });
  });

  it('merges webhooks and backfill of the same call into one call with the precise webhook figures', async () => {
    const conn = await newConnection();
    for (const d of twilioFixture('inbound_answered').deliveries) await postTwilio(ctx.hub.api, conn.webhookUrl, d);
    await ctx.hub.settle(ctx.tenant.apiKey);
    nock('https://api.twilio.com').get(callsPath).query(true).reply(200, { ...page0.response, next_page_uri: `${callsPath}?Page=1&PageToken=PA1` }).get(callsPath).query(true).reply(200, page1);
    const res = await ctx.hub.api.post(`/v1/connections/${conn.id}/backfill`).set(ctx.tenant.auth).send({ from: '2025-03-10', to: '2025-03-11' });
    await waitForBackfill(res.body.jobId as string);
    await ctx.hub.settle(ctx.tenant.apiKey);
    const calls = await callsOf(conn.id);
    expect(calls).toHaveLength(3);
    const answered = calls.find((c) => c.providerCallId === 'CA28f9b35c00d26a89b45a04f754abdd8e')!;
    expect(answered).toMatchObject({ waitSeconds: 14, talkSeconds: 255, startedAt: '2025-03-10T14:00:00.000Z', answeredAt: '2025-03-10T14:00:14.000Z' });
    expect(answered.telephonyCost).toEqual({ amount: '0.037', currency: 'USD' });
  });

  it('waits on 429 and resumes from the persisted cursor after a failure mid-way', async () => {
    const conn = await newConnection();
    nock('https://api.twilio.com')
      .get(callsPath)
      .query((q) => q.PageSize === '200')
      .reply(429, { code: 20429, message: 'Too Many Requests' }, { 'Retry-After': '1' })
      .get(callsPath)
      .query((q) => q.PageSize === '200')
      .reply(200, { ...page0.response, next_page_uri: `${callsPath}?Page=1&PageToken=PA1` })
      // Page 1 fails for good on the first attempt (a provider outage), then answers on the retry.
      .get(callsPath)
      .query({ Page: '1', PageToken: 'PA1' })
      .times(6)
      .reply(500, { code: 20500, message: 'Internal Server Error' });
    const res = await ctx.hub.api.post(`/v1/connections/${conn.id}/backfill`).set(ctx.tenant.auth).send({ from: '2025-03-10', to: '2025-03-11' });
    const jobId = res.body.jobId as string;
    // The first page is stored and its cursor persisted although the second failed.
    for (let i = 0; i < 200; i++) {
      const s = await ctx.hub.api.get(`/v1/backfills/${jobId}`).set(ctx.tenant.auth);
      if (s.body.pages === 1 && s.body.error) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const mid = await ctx.hub.api.get(`/v1/backfills/${jobId}`).set(ctx.tenant.auth);
    expect(mid.body.pages).toBe(1);
    expect(mid.body.error).toMatch(/500|Internal/);
    nock.cleanAll();
    // Resume: only page 1 is asked for again (page 0 is not re-read).
    const resume = nock('https://api.twilio.com').get(callsPath).query({ Page: '1', PageToken: 'PA1' }).reply(200, page1);
    const done = await waitForBackfill(jobId);
    expect(done.status).toBe('completed');
    expect(done.pages).toBe(2);
    expect(resume.isDone()).toBe(true);
    expect(await callsOf(conn.id)).toHaveLength(3);
  });

  it('fails at once on a provider 4xx (credentials refused) instead of retrying it', async () => {
    const conn = await newConnection();
    // One answer only: a retry would find no interceptor (network disabled) and keep the job queued.
    const api = nock('https://api.twilio.com')
      .get(callsPath)
      .query(true)
      .reply(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    const res = await ctx.hub.api.post(`/v1/connections/${conn.id}/backfill`).set(ctx.tenant.auth).send({ from: '2025-03-10', to: '2025-03-11' });
    expect(res.status).toBe(202);
    const job = await waitForBackfill(res.body.jobId as string);
    expect(job.status).toBe('failed');
    expect(String(job.error)).toMatch(/Authenticate/);
    expect(api.isDone()).toBe(true);
  });

  it('rejects a bad window and an unknown connection', async () => {
    const conn = await newConnection();
    const bad = await ctx.hub.api.post(`/v1/connections/${conn.id}/backfill`).set(ctx.tenant.auth).send({ from: '2025-03-11', to: '2025-03-10' });
    expect(bad.status).toBe(400);
    const missing = await ctx.hub.api.post('/v1/connections/00000000-0000-4000-8000-000000000000/backfill').set(ctx.tenant.auth).send({ from: '2025-03-10', to: '2025-03-11' });
    expect(missing.status).toBe(404);
  });
});
