/**
 * The touch rule of contract section 7 is written twice: in SQL for the hub
 * (src/modules/roi/touches.ts, over calls, deals and contacts) and in TypeScript as the reference
 * (src/domain/attribution/models.ts touchesOf). On random data — shared phones, a contact's phones,
 * calls exactly on the window's edges, outbound calls not answered — both give each deal the same
 * touches in the same order.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, crmContacts, crmDeals } from '../src/db/schema/index.js';
import { touchesOf } from '../src/domain/attribution/models.js';
import { wonDealsWithTouches } from '../src/modules/roi/touches.js';
import { createTestHub, type TestHub } from './helpers/hub.js';

let hub: TestHub;
let tenantId: string;
beforeAll(async () => {
  hub = await createTestHub({ workers: false });
  tenantId = (await hub.tenant()).id;
});
afterAll(async () => hub?.close());

const DAY = 86_400_000;
const CLOSE = Date.parse('2025-03-20T12:00:00Z');
const phone = fc.constantFrom('+14155550101', '+14155550102', '+14155550103', '+14155550104');
/** Offsets before the close: inside, on both edges of a 7-day window, just outside, after the close. */
const offset = fc.oneof(fc.integer({ min: -2 * DAY, max: 40 * DAY }), fc.constantFrom(0, 7 * DAY, 7 * DAY + 1, 7 * DAY - 1, -1, 30 * DAY));

const callArb = fc.record({
  externalNumber: fc.option(phone, { nil: null }),
  direction: fc.constantFrom('inbound' as const, 'outbound' as const),
  status: fc.constantFrom('answered', 'abandoned', 'missed', 'voicemail', 'busy'),
  before: offset,
});
const dealArb = fc.record({
  phones: fc.uniqueArray(phone, { maxLength: 2 }),
  contactPhones: fc.option(fc.uniqueArray(phone, { maxLength: 2 }), { nil: null }),
  closeShift: fc.integer({ min: 0, max: 3 * DAY }),
});

describe('touch rule', () => {
  it('SQL and the TypeScript reference find the same touches', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 25 }), fc.array(dealArb, { minLength: 1, maxLength: 5 }), fc.constantFrom(7, 30), async (callSpecs, dealSpecs, windowDays) => {
        const db = hub.deps.database.db;
        await db
          .transaction(async (tx) => {
            const rows = callSpecs.map((c, i) => ({
              id: randomUUID(),
              tenantId,
              connectionId: randomUUID(),
              provider: 'twilio',
              callKey: `k${i}`,
              providerCallId: `p${i}`,
              direction: c.direction,
              status: c.status,
              externalNumber: c.externalNumber,
              startedAt: new Date(CLOSE - c.before),
              waitSeconds: 0,
              talkSeconds: 0,
              afterCallWorkSeconds: 0,
              handleSeconds: 0,
            }));
            await tx.insert(calls).values(rows);
            const deals = dealSpecs.map((d, i) => ({ ...d, id: randomUUID(), externalId: `d${i}`, closedAt: new Date(CLOSE + d.closeShift) }));
            for (const d of deals) {
              if (d.contactPhones) await tx.insert(crmContacts).values({ id: randomUUID(), tenantId, externalId: `c-${d.externalId}`, phones: d.contactPhones });
              await tx.insert(crmDeals).values({
                id: d.id,
                tenantId,
                externalId: d.externalId,
                contactExternalId: d.contactPhones ? `c-${d.externalId}` : null,
                phones: d.phones,
                amount: '100.00',
                currency: 'USD',
                stage: 'won',
                closedAt: d.closedAt,
              });
            }
            const found = await wonDealsWithTouches(tx, tenantId, sql`true`, windowDays);
            const byDeal = new Map(found.map((d) => [d.id, d.touches.map((t) => t.callId)]));
            for (const d of deals) {
              const reference = touchesOf({ phones: [...new Set([...d.phones, ...(d.contactPhones ?? [])])], closedAt: d.closedAt }, rows, windowDays);
              expect(byDeal.get(d.id), JSON.stringify({ deal: d, windowDays })).toEqual(reference.map((c) => c.id));
            }
            tx.rollback();
          })
          .catch((err: Error) => {
            if (!/rollback/i.test(err.message)) throw err;
          });
      }),
      { numRuns: 40 },
    );
  });
});
