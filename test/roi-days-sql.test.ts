/**
 * The ROI days computed in PostgreSQL (src/modules/roi/days.compute.ts, what the `roi-refresh`
 * job stores and readers compute for dirty days) against the TypeScript reference
 * (test/oracles/roi-days.ts: every call read into Node, each pool spread by the domain's
 * `spreadOverCalls`), on random tenants replayed from their seeds, to the cent.
 *
 * The random data aims at the rule's corners: equal handle times (remainder ties, won by the
 * earliest call by start then id), several calls at the same millisecond and calls a fraction of a
 * millisecond apart (the order is by whole milliseconds), pools whose calls all have 0 s (equal
 * split), pools with no call (the null row), negative and zero-sum pools (credit notes), scopes by
 * campaign and by agent (linked agents count under the first one), costs in another currency,
 * calls around a DST change and in several timezones, days without calls.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../src/db/client.js';
import { tenants, type TenantRow } from '../src/db/schema/index.js';
import { computeDays, type CountRow, type ShareRow } from '../src/modules/roi/days.compute.js';
import { computeDaysReference } from './oracles/roi-days.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { mulberry32 } from './helpers/prng.js';

let hub: TestHub;
let db: Database;

beforeAll(async () => {
  hub = await createTestHub({ workers: false });
  db = hub.deps.database.db;
}, 60_000);
afterAll(async () => hub?.close());

const ZONES = ['UTC', 'America/Los_Angeles', 'Europe/Paris', 'Asia/Kolkata', 'Australia/Lord_Howe'];
/** Days around the US (03-09) and EU (03-30) spring DST changes. */
const DAYS = ['2025-03-08', '2025-03-09', '2025-03-10', '2025-03-29', '2025-03-30', '2025-03-31'];

async function randomTenant(seed: number): Promise<{ tenant: TenantRow; days: string[] }> {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const created = await hub.tenant({ timezone: pick(ZONES), currency: 'USD' });
  const [tenant] = await db.select().from(tenants).where(sql`${tenants.id} = ${created.id}`);

  const campaignIds = Array.from({ length: 3 }, () => randomUUID());
  for (const id of campaignIds) {
    await db.execute(sql`insert into campaigns (id, tenant_id, name, channel) values (${id}, ${tenant!.id}, ${`c-${id.slice(0, 4)}`}, 'paid_search')`);
  }
  // a1 ← a2 linked (a2's calls count under a1); a3, a4 alone; z never calls.
  const agentIds = ['a1', 'a2', 'a3', 'a4'];
  for (const id of agentIds) {
    await db.execute(sql`insert into agents (tenant_id, id, provider, linked_to) values (${tenant!.id}, ${id}, 'twilio', ${id === 'a2' ? 'a1' : null})`);
  }

  // Calls: a few instants shared by several calls, others with microseconds; handle times from a
  // small set so that ties are common; a4 answers only with 0 s.
  const connectionId = randomUUID();
  const base = Date.parse('2025-03-07T20:00:00Z');
  const shared = Array.from({ length: 5 }, () => base + int(0, 25 * 86_400) * 1000);
  const rows = Array.from({ length: int(150, 400) }, (_, i) => {
    const agent = pick([...agentIds, null]);
    const ms = rand() < 0.2 ? pick(shared) : base + Math.floor(rand() * 25 * 86_400_000);
    const micros = rand() < 0.3 ? int(0, 999) : 0;
    const iso = new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
    const status = pick(['answered', 'answered', 'answered', 'missed', 'abandoned']);
    const handle = status !== 'answered' || agent === 'a4' ? 0 : pick([0, 30, 60, 60, 90, 120, 7, 13]);
    return {
      id: randomUUID(),
      key: `k${i}`,
      started_at: iso,
      status,
      handle,
      agent,
      queue: pick(['sales', 'support', null]),
      campaign: rand() < 0.6 ? pick(campaignIds) : null,
      provider: pick(['twilio', 'aircall']),
      direction: pick(['inbound', 'inbound', 'outbound']),
      // Leads: either flag, or neither (a null firstTimeCaller is not a lead).
      first_time: pick([true, false, null]),
      crm_lead: rand() < 0.2,
    };
  });
  await db.execute(sql`
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status, started_at,
      wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds, agent_id, queue_name, campaign_id,
      first_time_caller, crm_lead)
    select r.id, ${tenant!.id}, ${connectionId}, r.provider, r.key, r.key, r.direction, r.status, r.started_at,
      0, r.handle, 0, r.handle, r.agent, r.queue, r.campaign, r.first_time, r.crm_lead
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, key text, started_at timestamptz, status text, handle int,
      agent text, queue text, campaign uuid, provider text, direction text, first_time boolean, crm_lead boolean)`);

  // Costs: every scope, both kinds, negative amounts, a credit note cancelling a cost (a zero
  // pool), one in another currency, periods of one to several days.
  const costRows: { amount: string; currency: string; start: string; end: string; campaign: string | null; agent: string | null; kind: string }[] = [];
  for (let i = 0; i < int(4, 10); i++) {
    const first = int(0, DAYS.length - 1);
    const start = DAYS[first]!;
    const end = DAYS[Math.min(DAYS.length - 1, first + int(0, 2))]!;
    const cents = int(-5_000, 1_000_000) * (rand() < 0.1 ? 0 : 1) + (rand() < 0.5 ? 1 : 0);
    const scope = pick(['none', 'none', 'campaign', 'agent']);
    const campaign = scope === 'campaign' ? pick(campaignIds) : null;
    const agent = scope === 'agent' ? pick(['a1', 'a2', 'a3', 'a4', 'z']) : null;
    const kind = pick(['direct', 'indirect']);
    const amount = (Number(cents) / 100).toFixed(2);
    costRows.push({ amount, currency: rand() < 0.1 ? 'EUR' : 'USD', start, end, campaign, agent, kind });
    if (rand() < 0.15) costRows.push({ amount: (-Number(cents) / 100).toFixed(2), currency: 'USD', start, end, campaign, agent, kind });
  }
  await db.execute(sql`
    insert into costs (id, tenant_id, category, kind, amount, currency, period_start, period_end, campaign_id, agent_id)
    select gen_random_uuid(), ${tenant!.id}, 'other', r.kind, r.amount, r.currency, r.start, r.end, r.campaign, r.agent
    from jsonb_to_recordset(${JSON.stringify(costRows)}::jsonb) as r(kind text, amount numeric, currency text, start date, "end" date, campaign uuid, agent text)`);

  // The days asked: a random sorted subset (never empty), sometimes with a day far from any call.
  const days = DAYS.filter(() => rand() < 0.6);
  if (days.length === 0) days.push(pick(DAYS));
  if (rand() < 0.3) days.push('2025-04-20');
  return { tenant: tenant!, days: [...new Set(days)].sort() };
}

const shareKey = (r: ShareRow) => [r.day, r.kind, r.scopeCampaignId ?? '', r.scopeAgentId ?? '', r.dim, r.value ?? '\u0001'].join('|');
const countKey = (r: CountRow) => [r.day, r.dim, r.value ?? '\u0001'].join('|');
const byKey = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

describe('ROI days in SQL', () => {
  it('equal the TypeScript reference to the cent on random tenants', async () => {
    let sharesCompared = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { tenant, days } = await randomTenant(seed);
      const fromSql = await computeDays(db, tenant, days);
      const reference = await computeDaysReference(db, tenant, days);
      expect(byKey(fromSql.counts, countKey), `seed ${seed} counts`).toEqual(byKey(reference.counts, countKey));
      expect(byKey(fromSql.shares, shareKey), `seed ${seed} shares`).toEqual(byKey(reference.shares, shareKey));
      sharesCompared += reference.shares.length;
    }
    // The comparison is not vacuous: the random tenants have shares to compare.
    expect(sharesCompared).toBeGreaterThan(100);
  });

  it('stores what it computes: the roi-refresh job writes the same rows', async () => {
    const { tenant, days } = await randomTenant(42);
    const { refreshDirtyDays, markInstants } = await import('../src/modules/roi/days.store.js');
    await db.transaction(async (tx) => markInstants(tx, tenant.id, days.map((d) => new Date(`${d}T12:00:00Z`))));
    await refreshDirtyDays(db, tenant.id);
    const reference = await computeDaysReference(db, tenant, days);
    const stored = await queryRows<{ day: string; kind: 'direct' | 'indirect'; c: string | null; a: string | null; dim: string; value: string | null; cents: string }>(db, sql`
      select to_char(day, 'YYYY-MM-DD') as day, kind, scope_campaign_id::text as c, scope_agent_id as a, dim, value, cents::text
      from cost_day_shares where tenant_id = ${tenant.id} and to_char(day, 'YYYY-MM-DD') = any(${`{${days.join(',')}}`}::text[])`);
    const storedCounts = await queryRows<{ day: string; dim: string; value: string | null; calls: number; leads: number }>(db, sql`
      select to_char(day, 'YYYY-MM-DD') as day, dim, value, calls, leads from roi_day_calls
      where tenant_id = ${tenant.id} and to_char(day, 'YYYY-MM-DD') = any(${`{${days.join(',')}}`}::text[])`);
    const shares = stored.map((r) => ({ day: r.day, kind: r.kind, scopeCampaignId: r.c, scopeAgentId: r.a, dim: r.dim, value: r.value, cents: BigInt(r.cents) }) as ShareRow);
    const counts = storedCounts.map((r) => ({ day: r.day, dim: r.dim, value: r.value, calls: Number(r.calls), leads: Number(r.leads) }) as CountRow);
    expect(byKey(counts, countKey)).toEqual(byKey(reference.counts, countKey));
    expect(byKey(shares, shareKey)).toEqual(byKey(reference.shares, shareKey));
    expect(reference.counts.length).toBeGreaterThan(0);
  });
});
