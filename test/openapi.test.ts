/**
 * GET /openapi.json is good enough to generate a client from: every operation has an operationId and
 * its 2xx response schema, and a client typed by openapi-typescript's output compiles (tsc) a script
 * that calls every route and reads the fields users need (webhookUrl, apiKey, health, …).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';

type Doc = { paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> };

let hub: TestHub;
let doc: Doc;
const script = fileURLToPath(new URL('./openapi/every-route.ts.txt', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

beforeAll(async () => {
  hub = await createTestHub({ workers: false });
  const res = await hub.api.get('/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as Doc;
});
afterAll(async () => {
  await hub?.close();
});

function operations() {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
}

describe('GET /openapi.json', () => {
  it('gives every operation a unique operationId and every 2xx (but 204) its response schema', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(50);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const missing = ops
      .filter(({ op }) => {
        const [status, response] = Object.entries(op.responses).find(([s]) => s.startsWith('2'))!;
        return status !== '204' && !Object.values(response.content ?? {}).some((c) => c.schema && Object.keys(c.schema).length > 0);
      })
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('generates a typed client (openapi-typescript) that compiles a script calling every route', async () => {
    const source = readFileSync(script, 'utf8');
    const called = new Set([...source.matchAll(/call\('(\w+)', '([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`));
    const uncalled = operations()
      .map(({ method, path }) => `${method} ${path}`)
      .filter((o) => !called.has(o));
    expect(uncalled).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), 'callroi-openapi-'));
    try {
      writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(doc as never)));
      copyFileSync(script, join(dir, 'every-route.ts'));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] },
          files: ['every-route.ts'],
        }),
      );
      const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the documented answers', () => {
  it('are what the routes really answer', async () => {
    const { operations: documented } = await import('../src/app.js');
    const schemaOf = (method: string, path: string) => {
      const op = documented.find((o) => o.method === method && o.path === path);
      if (!op?.response) throw new Error(`no documented answer for ${method} ${path}`);
      return op.response;
    };
    const checked: string[] = [];
    const expectDocumented = (method: string, path: string, res: { status: number; body: unknown; text: string }) => {
      expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBeLessThan(300);
      const parsed = schemaOf(method, path).safeParse(res.body);
      expect(parsed.success ? [] : parsed.error.issues, `${method} ${path}`).toEqual([]);
      checked.push(`${method} ${path}`);
    };
    const { postTwilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioFixture } = await import('./helpers/twilio.js');
    const live = await createTestHub();
    // The backfill below asks Twilio: nock answers, nothing leaves the machine.
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    nock('https://api.twilio.com').get(/Calls\.json/).query(true).reply(200, { calls: [], next_page_uri: null, page: 0, page_size: 200 });
    try {
      const t = await live.api.post('/v1/tenants').set('Authorization', `Bearer ${live.adminToken}`).send({ name: 'Docs', currency: 'USD', timezone: 'America/Los_Angeles', country: 'US' });
      expectDocumented('post', '/v1/tenants', t);
      const auth = { Authorization: `Bearer ${t.body.apiKey as string}` };
      const get = async (path: string, url = path) => expectDocumented('get', path, await live.api.get(url).set(auth));
      expectDocumented('get', '/healthz', await live.api.get('/healthz'));
      expectDocumented('get', '/readyz', await live.api.get('/readyz'));
      const conn = await live.api.post('/v1/connections').set(auth).send({ provider: 'twilio', credentials: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } });
      expectDocumented('post', '/v1/connections', conn);
      const id = conn.body.id as string;
      for (const d of twilioFixture('inbound_answered').deliveries) {
        const res = await postTwilio(live.api, conn.body.webhookUrl as string, d);
        if (res.type === 'application/json') expectDocumented('post', '/webhooks/:provider/:connectionId', res);
      }
      await live.settle(t.body.apiKey as string);
      await get('/v1/tenants/current');
      expectDocumented('patch', '/v1/tenants/current', await live.api.patch('/v1/tenants/current').set(auth).send({ settings: { serviceLevelSeconds: 30 } }));
      await get('/v1/status');
      await get('/v1/connections');
      await get('/v1/connections/:id', `/v1/connections/${id}`);
      expectDocumented('patch', '/v1/connections/:id', await live.api.patch(`/v1/connections/${id}`).set(auth).send({ name: 'Support' }));
      await get('/v1/connections/:id/events', `/v1/connections/${id}/events`);
      const events = await live.api.get(`/v1/connections/${id}/events`).set(auth);
      expectDocumented('post', '/v1/connections/:id/events/:eventId/reprocess', await live.api.post(`/v1/connections/${id}/events/${events.body.data[0].id as string}/reprocess`).set(auth));
      const job = await live.api.post(`/v1/connections/${id}/backfill`).set(auth).send({ from: '2025-03-10', to: '2025-03-11' });
      expectDocumented('post', '/v1/connections/:id/backfill', job);
      await get('/v1/backfills/:id', `/v1/backfills/${job.body.jobId as string}`);
      await get('/v1/connections/:id/backfills', `/v1/connections/${id}/backfills`);
      await get('/v1/calls');
      const calls = await live.api.get('/v1/calls').set(auth);
      await get('/v1/calls/:id', `/v1/calls/${calls.body.data[0].id as string}`);
      await get('/v1/kpis', '/v1/kpis?from=2025-03-01&to=2025-04-01&groupBy=day');
      await get('/v1/roi', '/v1/roi?from=2025-03-01&to=2025-04-01&groupBy=campaign');
      await get('/v1/alerts');
      await get('/v1/agents');
      const agents = await live.api.get('/v1/agents').set(auth);
      const agentId = encodeURIComponent(agents.body.data[0].id as string);
      await get('/v1/agents/:id', `/v1/agents/${agentId}`);
      await get('/v1/agents/:id/schedules', `/v1/agents/${agentId}/schedules`);
      await get('/v1/queues');
      const campaign = await live.api.post('/v1/campaigns').set(auth).send({ name: 'Spring', channel: 'google_ads', trackingNumbers: ['+16505550100'] });
      expectDocumented('post', '/v1/campaigns', campaign);
      await get('/v1/campaigns');
      await get('/v1/campaigns/:id', `/v1/campaigns/${campaign.body.id as string}`);
      expectDocumented('post', '/v1/crm/contacts', await live.api.post('/v1/crm/contacts').set(auth).send({ contacts: [{ externalId: 'c1', phones: ['+14155550123'] }] }));
      expectDocumented('post', '/v1/crm/deals', await live.api.post('/v1/crm/deals').set(auth).send({ deals: [{ externalId: 'd1', contactExternalId: 'c1', amount: '100.00', currency: 'USD', stage: 'won', closedAt: '2025-03-20T00:00:00Z' }] }));
      await get('/v1/crm/deals');
      await get('/v1/crm/contacts/:externalId', '/v1/crm/contacts/c1');
      await get('/v1/crm/deals/:externalId', '/v1/crm/deals/d1');
      expectDocumented('post', '/v1/costs', await live.api.post('/v1/costs').set(auth).send({ costs: [{ category: 'salaries', kind: 'direct', amount: '1200.00', currency: 'USD', periodStart: '2025-03-01', periodEnd: '2025-03-31' }] }));
      await get('/v1/costs');
      const sub = await live.api.post('/v1/subscriptions').set(auth).send({ url: 'https://crm.example/hooks', events: ['call.enriched'] });
      expectDocumented('post', '/v1/subscriptions', sub);
      await get('/v1/subscriptions');
      await get('/v1/subscriptions/:id', `/v1/subscriptions/${sub.body.id as string}`);
      await get('/v1/subscriptions/:id/deliveries', `/v1/subscriptions/${sub.body.id as string}/deliveries`);
      expect(checked.length).toBeGreaterThan(35);
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
      await live.close();
    }
  });
});
