/**
 * CSV from the API itself: /v1/kpis, /v1/roi and /v1/alerts answer the same rows as their JSON
 * under `Accept: text/csv` or `format=csv`; /v1/calls exports every matching call, streamed page
 * by page. Each CSV is parsed and compared field by field with the JSON.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { csvRecords } from './helpers/csv-parse.js';
import { seedDashboardTenant, type Seeded } from './helpers/dashboard-seed.js';

let hub: TestHub;
let seeded: Seeded;
const RANGE = 'from=2025-03-10&to=2025-03-22';

beforeAll(async () => {
  hub = await createTestHub();
  seeded = await seedDashboardTenant(hub, { days: 10 });
}, 120_000);
afterAll(async () => hub?.close());

async function json(path: string) {
  const res = await hub.api.get(path).set(seeded.tenant.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function csv(path: string, how: 'accept' | 'format') {
  const req = hub.api.get(how === 'format' ? `${path}${path.includes('?') ? '&' : '?'}format=csv` : path).set(seeded.tenant.auth);
  const res = await (how === 'accept' ? req.set('Accept', 'text/csv') : req).buffer(true).parse((r, cb) => {
    let text = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => (text += c));
    r.on('end', () => cb(null, text));
  });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/csv/);
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="callroi-.*\.csv"$/);
  return { ...csvRecords(res.body as string), headers: res.headers };
}

/** A JSON value as the CSV writes it. */
function cell(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

const targetsCell = (ts: { kpi: string; comparison: string; value: number; met: boolean | null }[]) =>
  ts.map((t) => `${t.kpi} ${t.comparison} ${t.value} ${t.met === null ? 'no data' : t.met ? 'met' : 'missed'}`).join('; ');

describe('GET /v1/kpis as CSV', () => {
  for (const [groupBy, how] of [['day', 'accept'], ['agent', 'format'], ['campaign', 'accept']] as const) {
    it(`groupBy=${groupBy} (${how}): the rows then the total, every figure, as in the JSON`, async () => {
      const body = await json(`/v1/kpis?groupBy=${groupBy}&${RANGE}`);
      const { header, records } = await csv(`/v1/kpis?groupBy=${groupBy}&${RANGE}`, how);
      expect(body.rows.length).toBeGreaterThan(1);
      const figures = Object.keys(body.total).filter((k) => k !== 'targets');
      expect(header.slice(0, 2)).toEqual(['row', 'key']);
      expect(header).toEqual(expect.arrayContaining([...figures, 'targets']));
      expect(records).toHaveLength(body.rows.length + 1);
      const lines = [...body.rows.map((r: object) => ['row', r]), ['total', body.total]] as [string, Record<string, unknown>][];
      lines.forEach(([kind, row], i) => {
        const rec = records[i]!;
        expect(rec.row).toBe(kind);
        for (const f of figures) expect(rec[f], `${kind} ${String(row.key)} ${f}`).toBe(cell(row[f]));
        expect(rec.targets).toBe(targetsCell(row.targets as never));
      });
    });
  }

  it('refuses an unknown format in words', async () => {
    const res = await hub.api.get(`/v1/kpis?format=xml`).set(seeded.tenant.auth);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('query.format');
  });
});

describe('GET /v1/roi as CSV', () => {
  for (const [groupBy, how] of [['campaign', 'format'], ['month', 'accept']] as const) {
    it(`groupBy=${groupBy} (${how}): money as its exact string, ROI, deal types as columns`, async () => {
      const body = await json(`/v1/roi?groupBy=${groupBy}&${RANGE}&model=linear`);
      const { header, records } = await csv(`/v1/roi?groupBy=${groupBy}&${RANGE}&model=linear`, how);
      expect(records).toHaveLength(body.rows.length + 1);
      expect(header).toEqual(expect.arrayContaining(['key', 'revenue', 'cost', 'net', 'roiPercent', 'calls', 'deals', 'revenueByDealType.new']));
      const lines = [...body.rows, body.total] as Record<string, any>[];
      lines.forEach((row, i) => {
        const rec = records[i]!;
        expect(rec.row).toBe(i === body.rows.length ? 'total' : 'row');
        for (const f of ['key', 'name', 'revenue', 'cost', 'net', 'roiPercent', 'calls', 'deals', 'directCost', 'indirectCost', 'costPerAcquisition']) {
          if (f in row) expect(rec[f], `${String(row.key)} ${f}`).toBe(cell(row[f]));
        }
        expect(rec['revenueByDealType.new']).toBe(cell(row.revenueByDealType.new));
      });
      expect(Number(records.at(-1)!.revenue)).toBeGreaterThan(0);
    });
  }
});

describe('GET /v1/alerts as CSV', () => {
  it('status=all: the same alerts, newest first', async () => {
    const body = await json('/v1/alerts?status=all');
    expect(body.data.length).toBeGreaterThan(0);
    const { header, records } = await csv('/v1/alerts?status=all', 'format');
    expect(header).toEqual(expect.arrayContaining(['id', 'type', 'granularity', 'period', 'value', 'status', 'message', 'raisedAt', 'resolvedAt']));
    expect(records).toHaveLength(body.data.length);
    body.data.forEach((a: Record<string, unknown>, i: number) => {
      for (const f of ['id', 'type', 'granularity', 'period', 'value', 'status', 'message', 'raisedAt', 'resolvedAt']) expect(records[i]![f]).toBe(cell(a[f]));
    });
  });
});

describe('GET /v1/calls as CSV', () => {
  async function allJson(query: string) {
    const out: Record<string, any>[] = [];
    let cursor: string | null = null;
    do {
      const body = await json(`/v1/calls?${query}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...body.data);
      cursor = body.nextCursor;
    } while (cursor);
    return out;
  }

  it('exports every call matching the filters (no cursor, no limit), field by field as the JSON', async () => {
    for (const query of ['agentId=agent_bob', `campaignId=${seeded.campaigns.radio}&status=answered`, 'from=2025-03-15&to=2025-03-18']) {
      const calls = await allJson(query);
      expect(calls.length, query).toBeGreaterThan(7);
      const { header, records } = await csv(`/v1/calls?${query}`, 'accept');
      expect(header).toContain('agent.id');
      expect(records.map((r) => r.id)).toEqual(calls.map((c) => c.id));
      calls.forEach((c, i) => {
        const r = records[i]!;
        for (const f of ['provider', 'connectionId', 'providerCallId', 'direction', 'status', 'externalNumber', 'trackingNumber', 'startedAt', 'answeredAt', 'endedAt', 'waitSeconds', 'talkSeconds', 'handleSeconds', 'campaignId', 'attributedRevenue', 'updatedAt']) {
          expect(r[f], `${c.id} ${f}`).toBe(cell(c[f]));
        }
        expect(r['agent.id']).toBe(cell(c.agent?.id));
        expect(r['queue.name']).toBe(cell(c.queue?.name));
        expect(r.agents).toBe(c.agents.map((a: { id: string }) => a.id).join('; '));
        expect(r['telephonyCost.amount']).toBe(cell(c.telephonyCost?.amount));
      });
    }
  });

  it('streams thousands of calls in keyset pages: all of them once, newest first, only the tenant’s', async () => {
    // 2,600 calls of a second tenant written straight into storage (three export pages); the
    // first tenant's calls must not appear.
    const other = await hub.tenant({ name: 'Bulk', timezone: 'UTC' });
    const connectionId = randomUUID();
    await hub.deps.database.db.execute(sql`
      insert into calls (id, tenant_id, connection_id, provider, call_key, provider_call_id, direction, status, started_at,
                         wait_seconds, talk_seconds, after_call_work_seconds, handle_seconds, external_number)
      select gen_random_uuid(), ${other.id}::uuid, ${connectionId}::uuid, 'twilio', 'k' || g, 'CA' || g, 'inbound', 'answered',
             timestamptz '2025-01-01 00:00:00+00' + (g / 2) * interval '1 minute', 10, 60, 0, 60, '+1415555' || lpad((g % 10000)::text, 4, '0')
      from generate_series(1, 2600) g`);
    const res = await hub.api
      .get('/v1/calls?limit=3')
      .set(other.auth)
      .set('Accept', 'text/csv')
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        let chunks = 0;
        r.setEncoding('utf8');
        r.on('data', (c: string) => {
          chunks++;
          text += c;
        });
        r.on('end', () => cb(null, { text, chunks }));
      });
    expect(res.status).toBe(200);
    // Written as it is read: no length known up front.
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    const { records } = csvRecords((res.body as { text: string }).text);
    expect(records).toHaveLength(2600);
    expect(new Set(records.map((r) => r.id)).size).toBe(2600);
    expect(records.every((r) => r.connectionId === connectionId)).toBe(true);
    const starts = records.map((r) => Date.parse(r.startedAt!));
    expect(starts.every((s, i) => i === 0 || s <= starts[i - 1]!)).toBe(true);
    expect(records[0]!.startedAt).toBe('2025-01-01T21:40:00.000Z');
  });
});
