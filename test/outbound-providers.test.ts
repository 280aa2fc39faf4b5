/**
 * Provider API base URLs come from a tenant's credentials, and the hub sends the account's secrets
 * there: only the provider's own hosts, unless the operator allowed another. Aircall's
 * `next_page_link` is followed on the configured API host only.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { connectorFor } from '../connectors/index.js';
import { hubWithMockedProviders } from './helpers/provider-mocks.js';

const ctx = hubWithMockedProviders();
const aircallCreds = { apiId: 'id', apiToken: 'token', webhookToken: 'wh-token' };

async function connection(provider: string, credentials: Record<string, unknown>) {
  const res = await ctx.hub.api.post('/v1/connections').set(ctx.tenant.auth).send({ provider, credentials });
  expect(res.status).toBe(201);
  return res.body as { id: string; webhookUrl: string };
}

async function check(id: string) {
  const res = await ctx.hub.api.post(`/v1/connections/${id}/check`).set(ctx.tenant.auth);
  expect(res.status).toBe(200);
  return res.body as { health: string; healthDetail: Record<string, unknown> | null };
}

describe('provider API hosts', () => {
  it('refuses an Aircall baseUrl outside api.aircall.io and sends it nothing', async () => {
    const elsewhere = nock('https://collector.example').get(/.*/).reply(200, { webhooks: [] });
    const conn = await connection('aircall', { ...aircallCreds, baseUrl: 'https://collector.example' });
    const res = await check(conn.id);
    expect(JSON.stringify(res.healthDetail)).toMatch(/not one of the provider's API hosts/);
    expect(elsewhere.isDone()).toBe(false);
  });

  it('refuses plain http in an Aircall baseUrl', async () => {
    const res = await ctx.hub.api
      .post('/v1/connections')
      .set(ctx.tenant.auth)
      .send({ provider: 'aircall', credentials: { ...aircallCreds, baseUrl: 'http://collector.example' } });
    expect(res.status).toBe(400);
  });

  it('refuses a RingCentral serverUrl and a Vonage apiHost outside the providers, unless the operator allowed them', async () => {
    const window = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-02T00:00:00Z') };
    const drain = async (gen: AsyncGenerator<unknown> | undefined) => {
      for await (const _ of gen!) void _;
    };
    const login = nock('https://platform.collector.example').post(/.*/).reply(200, {});
    const rc = { clientId: 'c', clientSecret: 's', jwt: 'j', verificationToken: 'v', serverUrl: 'https://platform.collector.example' };
    await expect(drain(connectorFor('ringcentral').backfill?.(rc, window, null, ctx.hub.deps.context('ringcentral')))).rejects.toThrow(
      /not one of the provider's API hosts/,
    );
    expect(login.isDone()).toBe(false);
    const vonage = { apiKey: 'k', apiSecret: 's', applicationId: 'a', signatureSecret: 'x', privateKey: 'p', apiHost: 'https://api.collector.example' };
    await expect(drain(connectorFor('vonage').backfill?.(vonage, window, null, ctx.hub.deps.context('vonage')))).rejects.toThrow(
      /not one of the provider's API hosts/,
    );
    // The operator's list lets a named host through (a partner brand's server, a proxy).
    const allowed = { ...ctx.hub.deps.context('ringcentral'), allowedHosts: ['platform.collector.example'] };
    await expect(drain(connectorFor('ringcentral').backfill?.(rc, window, null, allowed))).rejects.not.toThrow(/API hosts/);
    expect(login.isDone()).toBe(true);
  });

  it('follows an Aircall next_page_link on the API host only', async () => {
    const conn = await connection('aircall', aircallCreds);
    // The check first asks Aircall about the credentials, then about the webhooks.
    const company = () => nock('https://api.aircall.io').get('/v1/company').reply(200, { company: { name: 'Acme' } });
    company();
    nock('https://api.aircall.io')
      .get('/v1/webhooks')
      .query(true)
      .reply(200, { webhooks: [], meta: { next_page_link: 'https://collector.example/v1/webhooks?page=2' } });
    const elsewhere = nock('https://collector.example').get(/.*/).reply(200, { webhooks: [{ url: conn.webhookUrl, active: true }] });
    const res = await check(conn.id);
    expect(res.health).toBe('disabled');
    expect(elsewhere.isDone()).toBe(false);
    nock.cleanAll();
    company();
    nock('https://api.aircall.io')
      .get('/v1/webhooks')
      .query(true)
      .reply(200, { webhooks: [], meta: { next_page_link: 'https://api.aircall.io/v1/webhooks?page=2&per_page=50' } });
    nock('https://api.aircall.io')
      .get('/v1/webhooks')
      .query({ page: '2', per_page: '50' })
      .reply(200, { webhooks: [{ webhook_id: 'w9', url: conn.webhookUrl, active: true }], meta: {} });
    expect((await check(conn.id)).health).toBe('healthy');
  });
});
