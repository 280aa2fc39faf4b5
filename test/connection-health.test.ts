/**
 * Providers that drop webhooks: RingCentral subscriptions expire or get blacklisted, Aircall disables
 * a failing webhook. The hub learns the subscription from deliveries, checks each connection through
 * the provider's API (renewing what expires) and shows a health per connection.
 */
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { hubWithMockedProviders } from './helpers/provider-mocks.js';

const RC_SERVER = 'https://platform.ringcentral.com';
const SUBSCRIPTION = '6d9a8f3e-3b2a-4a7e-9f51-2c0c8a6b1d44';
const rcCreds = { clientId: 'rc-client', clientSecret: 'rc-secret', jwt: 'rc-jwt-credential', verificationToken: 'rc-test-verification-token-0001' };
const token = { access_token: 'at-1', token_type: 'bearer', expires_in: 3600, refresh_token: 'rt-1', refresh_token_expires_in: 604800, scope: 'ReadCallLog', owner_id: '1', endpoint_id: 'e' };

const ctx = hubWithMockedProviders();

async function ringcentralConnection() {
  const res = await ctx.hub.api.post('/v1/connections').set(ctx.tenant.auth).send({ provider: 'ringcentral', credentials: rcCreds });
  expect(res.status).toBe(201);
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/ringcentral/inbound_answered.json', import.meta.url), 'utf8')) as {
    deliveries: { body: unknown }[];
  };
  const delivery = await ctx.hub.api
    .post(new URL(res.body.webhookUrl as string).pathname)
    .set('Content-Type', 'application/json')
    .set('Verification-Token', rcCreds.verificationToken)
    .send(JSON.stringify(fixture.deliveries[0]!.body));
  expect(delivery.status).toBe(200);
  await ctx.hub.settle(ctx.tenant.apiKey);
  return res.body.id as string;
}

describe('RingCentral subscription upkeep', () => {
  it('reports a blacklisted subscription', async () => {
    const id = await ringcentralConnection();
    // One login checks the credentials, one is the upkeep's own.
    nock(RC_SERVER).post('/restapi/oauth/token').times(2).reply(200, token);
    nock(RC_SERVER).get(`/restapi/v1.0/subscription/${SUBSCRIPTION}`).reply(200, { id: SUBSCRIPTION, status: 'Blacklisted' });
    const res = await ctx.hub.api.post(`/v1/connections/${id}/check`).set(ctx.tenant.auth);
    expect(res.status).toBe(200);
    expect(res.body.health).toBe('blacklisted');
    expect(res.body.healthDetail).toMatchObject({ subscriptionId: SUBSCRIPTION });
    expect((await ctx.hub.api.get(`/v1/connections/${id}`).set(ctx.tenant.auth)).body.health).toBe('blacklisted');
  });

  it('renews a subscription that is about to expire', async () => {
    const id = await ringcentralConnection();
    const soon = new Date(Date.now() + 3600_000).toISOString();
    const later = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
    nock(RC_SERVER).post('/restapi/oauth/token').times(3).reply(200, token);
    nock(RC_SERVER).get(`/restapi/v1.0/subscription/${SUBSCRIPTION}`).reply(200, { id: SUBSCRIPTION, status: 'Active', expirationTime: soon });
    const renew = nock(RC_SERVER)
      .post(`/restapi/v1.0/subscription/${SUBSCRIPTION}/renew`)
      .reply(200, { id: SUBSCRIPTION, status: 'Active', expirationTime: later });
    const res = await ctx.hub.api.post(`/v1/connections/${id}/check`).set(ctx.tenant.auth);
    expect(renew.isDone()).toBe(true);
    expect(res.body.health).toBe('healthy');
    expect(Date.parse(res.body.healthDetail.expiresAt as string)).toBe(Date.parse(later));
  });

  it('marks a subscription it could not renew as expiring', async () => {
    const id = await ringcentralConnection();
    const soon = new Date(Date.now() + 3600_000).toISOString();
    nock(RC_SERVER).post('/restapi/oauth/token').times(2).reply(200, token);
    nock(RC_SERVER).get(`/restapi/v1.0/subscription/${SUBSCRIPTION}`).reply(200, { id: SUBSCRIPTION, status: 'Active', expirationTime: soon });
    nock(RC_SERVER).post(`/restapi/v1.0/subscription/${SUBSCRIPTION}/renew`).times(6).reply(500, { errorCode: 'SUB-500' });
    const res = await ctx.hub.api.post(`/v1/connections/${id}/check`).set(ctx.tenant.auth);
    expect(res.body.health).toBe('expiring');
  });
});

describe('Aircall disabled webhooks', () => {
  it('reports a webhook Aircall disabled, and a healthy one', async () => {
    const creds = { apiId: 'aircall-id', apiToken: 'aircall-token', webhookToken: 'aircall-test-webhook-token-0001' };
    const conn = await ctx.hub.api.post('/v1/connections').set(ctx.tenant.auth).send({ provider: 'aircall', credentials: creds });
    const webhookUrl = conn.body.webhookUrl as string;
    const auth = `Basic ${Buffer.from('aircall-id:aircall-token').toString('base64')}`;
    // Each check first asks Aircall whether the API credentials work.
    nock('https://api.aircall.io').get('/v1/company').times(2).matchHeader('authorization', auth).reply(200, { company: { name: 'Acme' } });
    nock('https://api.aircall.io')
      .get('/v1/webhooks')
      .query(true)
      .matchHeader('authorization', auth)
      .reply(200, { webhooks: [{ webhook_id: 'w1', url: 'https://elsewhere.example/hook', active: true }, { webhook_id: 'w2', url: webhookUrl, active: false }], meta: { next_page_link: null } });
    const disabled = await ctx.hub.api.post(`/v1/connections/${conn.body.id as string}/check`).set(ctx.tenant.auth);
    expect(disabled.body.health).toBe('disabled');
    nock('https://api.aircall.io').get('/v1/webhooks').query(true).reply(200, { webhooks: [{ webhook_id: 'w2', url: webhookUrl, active: true }], meta: {} });
    const healthy = await ctx.hub.api.post(`/v1/connections/${conn.body.id as string}/check`).set(ctx.tenant.auth);
    expect(healthy.body.health).toBe('healthy');
  });
});
