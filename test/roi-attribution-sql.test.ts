/**
 * Attribution in SQL (src/modules/roi/attribution.sql.ts, what GET /v1/roi serves for the models
 * and windows without stored credits) against the TypeScript reference
 * (src/domain/attribution/models.ts `attribute`), to the cent, touch by touch, on random deals and
 * calls from a seeded PRNG (test/helpers/prng.ts; a failure names its seed): few numbers shared by
 * many calls, instants drawn from a small set (equal timestamps, so ties broken by call id),
 * microseconds, amounts of a few cents (leftover cents and equal remainders), zero and negative
 * amounts, deals with and without contacts.
 */
import { sql } from 'drizzle-orm';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { tenants, type TenantRow } from '../src/db/schema/index.js';
import { attribute, attributionModels, HALF_LIFE_MS, timeDecayWeight } from '../src/domain/attribution/models.js';
import { sqlDealCredits, timeDecayWeightSql } from '../src/modules/roi/attribution.sql.js';
import { computeRoi, liveRevenue } from '../src/modules/roi/roi.service.js';
import { wonDealsWithTouches } from '../src/modules/roi/touches.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { mulberry32 } from './helpers/prng.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ workers: false });
}, 60_000);
afterAll(async () => hub?.close());

describe('time_decay weights', () => {
  it('are the same integers in PostgreSQL and TypeScript, bit for bit', async () => {
    const rand = mulberry32(20251128);
    const ages = [0, 1, 2, 999, HALF_LIFE_MS / 2, HALF_LIFE_MS - 1, HALF_LIFE_MS + 1, 63 * HALF_LIFE_MS - 1, 63 * HALF_LIFE_MS, 70 * HALF_LIFE_MS];
    for (let k = 1; k <= 64; k++) ages.push(k * HALF_LIFE_MS);
    for (let i = 0; i < 3000; i++) ages.push(Math.floor(rand() * (i % 2 === 0 ? 60 : 500) * 86_400_000));
    const rows = await queryRows<{ age: string; w: string }>(
      hub.deps.database.db,
      sql`select a::text as age, ${timeDecayWeightSql(sql`a`)}::text as w from unnest(${`{${ages.join(',')}}`}::bigint[]) a`,
    );
    expect(rows).toHaveLength(ages.length);
    const mismatches = rows.filter((r) => BigInt(r.w) !== timeDecayWeight(Number(r.age)));
    expect(mismatches).toEqual([]);
    // Sanity of the restated reference: exact at whole half-lives, and 2^(−1/2) within 1e−15.
    expect(timeDecayWeight(0)).toBe(2n ** 62n);
    expect(timeDecayWeight(3 * HALF_LIFE_MS)).toBe(2n ** 59n);
    expect(Math.abs(Number(timeDecayWeight(HALF_LIFE_MS / 2)) / 2 ** 62 - Math.SQRT1_2)).toBeLessThan(1e-15);
    expect(timeDecayWeight(63 * HALF_LIFE_MS)).toBe(0n);
  });
});

interface Scenario {
  tenant: TenantRow;
  seed: number;
}

/** A random tenant's calls, contacts and deals (SQL inserts, as the benchmark does). */
async function scenario(seed: number): Promise<Scenario> {
  const rand = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const db = hub.deps.database.db;
  const t = await hub.tenant({ name: `Random ${seed}`, currency: 'EUR', timezone: 'Europe/Paris', country: 'FR' });
  const defaultMargin = rand() < 0.5 ? null : pick([0, 12.5, 33.3333, 100]);
  await db.execute(sql`update tenants set settings = ${JSON.stringify(defaultMargin === null ? {} : { defaultMarginPercent: defaultMargin })}::jsonb where id = ${t.id}`);
  const phones = Array.from({ length: 2 + Math.floor(rand() * 5) }, (_, i) => `+336100${seed % 100}${String(i).padStart(3, '0')}`);
  const base = Date.parse('2025-03-01T00:00:00Z');
  // A small set of instants, so that calls and deals often share them (ms, sometimes µs apart).
  const instants = Array.from({ length: 6 + Math.floor(rand() * 20) }, () => base + Math.floor(rand() * 40 * 86_400_000));
  const iso = (ms: number, micros = 0) => new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
  await db.execute(sql`
    insert into campaigns (id, tenant_id, name, channel)
    select gen_random_uuid(), ${t.id}::uuid, 'Campaign ' || g, 'radio' from generate_series(0, 2) g`);
  const calls = Array.from({ length: 10 + Math.floor(rand() * 150) }, (_, i) => ({
    i,
    number: rand() < 0.05 ? null : pick(phones),
    direction: rand() < 0.3 ? 'outbound' : 'inbound',
    status: pick(['answered', 'answered', 'missed', 'abandoned']),
    started: iso(rand() < 0.6 ? pick(instants) : base + Math.floor(rand() * 40 * 86_400_000), rand() < 0.2 ? Math.floor(rand() * 1000) : 0),
    campaign: Math.floor(rand() * 4),
  }));
  await db.execute(sql`
    with cp as (select array_agg(id order by name) as ids from campaigns where tenant_id = ${t.id})
    insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status,
      external_number, started_at, wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds, campaign_id)
    select gen_random_uuid(), ${t.id}::uuid, '00000000-0000-4000-8000-000000000001'::uuid, 'twilio', ${`k${seed}-`} || x.i, ${`p${seed}-`} || x.i,
      x.direction, x.status, x.number, x.started::timestamptz, 0, 60, 0, 60, cp.ids[x.campaign]
    from jsonb_to_recordset(${JSON.stringify(calls)}::jsonb) as x(i int, number text, direction text, status text, started text, campaign int), cp`);
  const contacts = phones.map((p, i) => ({ external: `c${i}`, phones: rand() < 0.3 ? [p, pick(phones)] : [p] }));
  await db.execute(sql`
    insert into crm_contacts (id, tenant_id, external_id, phones)
    select gen_random_uuid(), ${t.id}::uuid, x.external, x.phones from jsonb_to_recordset(${JSON.stringify(contacts)}::jsonb) as x(external text, phones jsonb)`);
  const amount = () => {
    const r = rand();
    if (r < 0.25) return (Math.floor(rand() * 7) / 100).toFixed(2); // 0.00 to 0.06: fewer cents than touches
    if (r < 0.3) return (-Math.floor(rand() * 100_000) / 100).toFixed(2);
    return (Math.floor(rand() * 10_000_000) / 100).toFixed(2);
  };
  const deals = Array.from({ length: 5 + Math.floor(rand() * 25) }, (_, i) => ({
    external: `d${i}`,
    contact: rand() < 0.6 ? `c${Math.floor(rand() * phones.length)}` : null,
    phones: rand() < 0.5 ? [pick(phones)] : [],
    amount: amount(),
    margin: rand() < 0.2 ? amount() : null,
    marginPercent: rand() < 0.3 ? pick(['10', '33.3333', '50.5']) : null,
    stage: rand() < 0.85 ? 'won' : 'lost',
    closed: iso(rand() < 0.4 ? pick(instants) : base + Math.floor(rand() * 45 * 86_400_000)),
  }));
  await db.execute(sql`
    insert into crm_deals (id, tenant_id, external_id, contact_external_id, phones, amount, margin, margin_percent, currency, stage, closed_at)
    select gen_random_uuid(), ${t.id}::uuid, x.external, x.contact, x.phones, x.amount::numeric, x.margin::numeric, x."marginPercent"::numeric, 'EUR', x.stage, x.closed::timestamptz
    from jsonb_to_recordset(${JSON.stringify(deals)}::jsonb) as x(external text, contact text, phones jsonb, amount text, margin text, "marginPercent" text, stage text, closed text)`);
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, t.id));
  return { tenant: tenant!, seed };
}

describe('attribution in SQL', () => {
  it('credits every touch exactly as the TypeScript reference, for every model, on random deals', { timeout: 240_000 }, async () => {
    const db = hub.deps.database.db;
    let multiTouch = 0;
    let equalInstants = 0;
    let credited = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { tenant } = await scenario(seed);
      for (const windowDays of [30, 3 + (seed % 11), 400]) {
        const deals = await wonDealsWithTouches(db, tenant.id, sql`true`, windowDays);
        for (const deal of deals) {
          if (deal.touches.length >= 3) multiTouch++;
          const ms = deal.touches.map((t) => t.startedAt.getTime());
          if (new Set(ms).size < ms.length) equalInstants++;
        }
        for (const model of attributionModels) {
          const inSql = await sqlDealCredits(db, tenant.id, sql`true`, model, windowDays);
          const reference = new Map<string, Map<string, bigint>>();
          for (const deal of deals) {
            const credits = attribute(deal.amountCents, deal.touches.map((t) => ({ id: t.callId, startedAt: t.startedAt })), model, deal.closedAt);
            if (credits.size > 0) reference.set(deal.id, credits);
          }
          credited += reference.size;
          const flat = (m: Map<string, Map<string, bigint>>) => [...m].flatMap(([d, cs]) => [...cs].map(([c, cents]) => `${d} ${c} ${cents}`)).sort();
          expect(flat(inSql), `seed ${seed} ${model} window ${windowDays}`).toEqual(flat(reference));
        }
      }
    }
    // Not vacuous: deals with several touches, touches at the same instant, credits.
    expect(multiTouch).toBeGreaterThan(20);
    expect(equalInstants).toBeGreaterThan(5);
    expect(credited).toBeGreaterThan(100);
  });

  it('GET /v1/roi figures (computeRoi) served from SQL equal the reference for every model, grouping and basis', { timeout: 240_000 }, async () => {
    const db = hub.deps.database.db;
    for (const seed of [11, 12, 13]) {
      const { tenant } = await scenario(seed);
      for (const groupBy of ['campaign', 'month', 'day', 'direction'] as const) {
        for (const model of attributionModels) {
          for (const basis of ['revenue', 'margin'] as const) {
            const req = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-05-01T00:00:00Z'), groupBy, model, windowDays: 30 - seed, basis };
            expect(await computeRoi(db, tenant, req), `seed ${seed} ${groupBy} ${model} ${basis}`).toEqual(await computeRoi(db, tenant, req, liveRevenue));
          }
        }
      }
    }
  });
});
