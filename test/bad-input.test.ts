/**
 * Bad input gets a clear JSON error with a 4xx, never a 5xx: every documented route is sent random
 * bodies, queries and path parameters (fast-check), with a valid tenant key.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../src/app.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
let auth: { Authorization: string };
beforeAll(async () => {
  hub = await createTestHub();
  auth = (await hub.tenant()).auth;
});
afterAll(async () => hub?.close());

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('2025-02-30', '1e309', '-1', '0', 'NaN', '../../etc', '00000000-0000-4000-8000-000000000000', '<script>', 'DROP TABLE calls;'),
);
const body = fc.oneof(
  fc.dictionary(fc.constantFrom('name', 'provider', 'credentials', 'url', 'events', 'from', 'to', 'contacts', 'deals', 'costs', 'responses', 'schedules', 'trackingNumbers', 'channel', 'settings', 'timezone'), fc.oneof(junk, fc.array(junk, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), junk, { maxKeys: 3 })), { maxKeys: 5 }),
  fc.array(junk, { maxLength: 3 }),
  junk,
);
const query = fc.dictionary(fc.constantFrom('from', 'to', 'groupBy', 'model', 'windowDays', 'limit', 'cursor', 'status', 'direction', 'provider', 'agentId', 'campaignId', 'updatedSince', 'queue'), fc.string({ maxLength: 30 }), { maxKeys: 4 });

describe('bad input never reaches a 5xx', () => {
  const routes = operations.filter((o) => o.auth === 'tenant' || o.auth === 'admin');
  it.each(routes.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))('%s', async (_name, op) => {
    await fc.assert(
      fc.asyncProperty(body, query, fc.string({ maxLength: 40 }), async (b, q, param) => {
        const path = op.path.replace(/:(\w+)/g, () => encodeURIComponent(param) || 'x');
        const search = new URLSearchParams(q).toString();
        const req = hub.api[op.method](`${path}${search ? `?${search}` : ''}`).set(op.auth === 'admin' ? { Authorization: `Bearer ${hub.adminToken}` } : auth);
        const res = op.method === 'get' || op.method === 'delete' ? await req : await req.set('Content-Type', 'application/json').send(JSON.stringify(b));
        expect(res.status, `${op.method} ${path}?${search} ${JSON.stringify(b)} → ${res.status} ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      }),
      { numRuns: 25 },
    );
  });
});
