/**
 * For test files that talk to providers' REST APIs: one hub and one tenant for the file, the
 * providers' HTTP answered by nock only, loopback (our hub, PostgreSQL, Redis) left real.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createTestHub, type TestHub } from './hub.js';

export type TestTenant = Awaited<ReturnType<TestHub['tenant']>>;

export function hubWithMockedProviders(): { readonly hub: TestHub; readonly tenant: TestTenant } {
  const state = {} as { hub: TestHub; tenant: TestTenant };
  beforeAll(async () => {
    state.hub = await createTestHub();
    state.tenant = await state.hub.tenant();
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    await state.hub?.close();
  });
  return state;
}
