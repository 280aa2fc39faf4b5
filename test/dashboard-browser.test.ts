/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser
 * download), against a real hub listening on a random port, seeded through its API. Each page is
 * loaded, the figures on screen are compared with the API's answers, a CSV download is parsed and
 * compared, and no console error may appear. Skipped, saying so, only when no chromium is installed.
 * UPDATE_SCREENSHOTS=1 also writes the screenshots of docs/.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nock from 'nock';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../src/app.js';
import { createTestHub, type TestHub } from './helpers/hub.js';
import { csvRecords } from './helpers/csv-parse.js';
import { seedDashboardTenant, type Seeded } from './helpers/dashboard-seed.js';
import { TWILIO_ACCOUNT_SID } from './helpers/twilio.js';

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
if (!executablePath) console.warn('dashboard browser tests SKIPPED: no chromium installed (apt-get install -y chromium, or set CHROMIUM_PATH)');

// The range the page opens on: the 30 days up to the latest seeded call (2025-03-21, New York).
const FROM = '2025-02-20';
const TO = '2025-03-22';
const RANGE = `from=${FROM}&to=${TO}`;

let hub: TestHub;
let server: Server;
let base: string;
let seeded: Seeded;
let browser: Browser;
let context: BrowserContext;
let page: Page;
// Loaded pages answer within milliseconds; the margin is for a machine busy with other tests.
const POLL = { timeout: 15_000 };
const problems: string[] = [];
const requested: string[] = [];

const usd = (v: string | null) => (v === null ? '—' : new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(v as unknown as number));
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const secs = (v: number | null) => (v === null ? '—' : `${Math.round(v)} s`);
const count = (v: number) => new Intl.NumberFormat('en-US').format(v);

async function api(path: string, key = seeded.tenant.apiKey) {
  const res = await hub.api.get(path).set('Authorization', `Bearer ${key}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

function watch(p: Page) {
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('request', (r) => requested.push(r.url()));
}

async function signIn(p: Page, key: string) {
  await p.goto(`${base}/dashboard`);
  await p.locator('#key').fill(key);
  await p.locator('#signin button[type=submit]').click();
  await p.locator('#nav').waitFor();
}

/** The cells of a table's body rows (by data-col). */
async function rowsOf(p: Page, selector: string) {
  return p.locator(`${selector} tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.textContent!.trim()]))),
  );
}

async function shot(name: string) {
  if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: new URL(`../docs/${name}`, import.meta.url).pathname, fullPage: false });
}

describe.skipIf(!executablePath)('dashboard in chromium', () => {
  beforeAll(async () => {
    hub = await createTestHub();
    seeded = await seedDashboardTenant(hub, { days: 36 });
    server = createApp(hub.deps).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    watch(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    await hub?.close();
  });

  it('asks for the key once, refuses a wrong one in words, and opens on the latest data', async () => {
    await page.goto(`${base}/dashboard`);
    await page.locator('#signin').waitFor();
    await page.locator('#key').fill('croi_not-a-key');
    await page.locator('#signin button[type=submit]').click();
    await expect.poll(() => page.locator('#signin-error').textContent(), POLL).toContain('not accepted');
    // The browser logs the refused request itself; nothing else may have been logged.
    expect(problems).toEqual(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    problems.length = 0;
    await signIn(page, seeded.tenant.apiKey);
    expect(await page.evaluate(() => sessionStorage.getItem('callroi.apiKey'))).toBe(seeded.tenant.apiKey);
    expect(page.url()).toBe(`${base}/dashboard#overview`);
    expect(await page.locator('#from').inputValue()).toBe(FROM);
    expect(await page.locator('#to').inputValue()).toBe('2025-03-21');
    expect(await page.locator('#range-note').textContent()).toContain('latest call (Mar 21, 2025)');
  });

  it('Overview: every tile is the API figure, with its change and its target', async () => {
    await page.locator('#tiles').waitFor();
    const kpis = await api(`/v1/kpis?groupBy=day&${RANGE}`);
    const prev = await api(`/v1/kpis?groupBy=day&from=2025-01-21&to=${FROM}`);
    const roi = await api(`/v1/roi?groupBy=month&${RANGE}`);
    const t = kpis.total;
    const expected: Record<string, string> = {
      offered: count(t.offered),
      answered: count(t.answered),
      abandonmentRate: pct(t.abandonmentRate),
      serviceLevel: pct(t.serviceLevel),
      asaSeconds: secs(t.asaSeconds),
      ahtSeconds: secs(t.ahtSeconds),
      fcrRate: pct(t.fcrRate),
      csat: pct(t.csat),
      nps: t.nps === null ? '—' : t.nps.toFixed(1),
      costPerCall: usd(t.costPerCall),
      revenue: usd(roi.total.revenue),
      roiPercent: `${roi.total.roiPercent.toFixed(2)}%`,
    };
    for (const [kpi, text] of Object.entries(expected)) expect(await page.locator(`[data-kpi="${kpi}"] .value`).textContent(), kpi).toBe(text);
    expect(t.offered).toBeGreaterThan(0);
    const change = ((t.offered - prev.total.offered) / prev.total.offered) * 100;
    expect(await page.locator('[data-kpi="offered"] .change').textContent()).toContain(`${change >= 0 ? '▲ +' : '▼ −'}${Math.abs(change).toFixed(1)}%`);
    const sl = t.targets.find((x: { kpi: string }) => x.kpi === 'serviceLevel');
    expect(await page.locator('[data-kpi="serviceLevel"] .target').textContent()).toBe(`Target ≥ ${pct(sl.value)} · ${sl.met ? 'met' : 'missed'}`);
    expect(await page.locator('#ov-volume canvas').count()).toBe(1);
    expect(await page.locator('#ov-volume .u-legend').textContent()).toContain('Offered, previous period');
    await shot('dashboard-overview.png');

    // The period's calls, every one, from the API's streamed CSV (midnight New York = 05:00 UTC).
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-download^="/v1/calls?"]').click()]);
    expect(download.suggestedFilename()).toBe('callroi-calls.csv');
    const { records } = csvRecords(readFileSync((await download.path())!, 'utf8'));
    const calls = await api(`/v1/calls?from=2025-02-20T05:00:00Z&to=2025-03-22T04:00:00Z&limit=1000`);
    expect(calls.nextCursor).toBeNull();
    expect(records.map((r) => [r.id, r.status, r.startedAt])).toEqual(calls.data.map((c: Record<string, string>) => [c.id, c.status, c.startedAt]));
    expect(records.length).toBeGreaterThan(t.offered - 1);
  });

  it('KPIs: the chosen time grouping and a sortable breakdown equal the API, and its CSV download too', async () => {
    await page.locator('#nav a[href="#kpis"]').click();
    await page.locator('#k-volume canvas').waitFor();
    await page.locator('#kpi-dim-table').waitFor();
    await shot('dashboard-kpis.png');
    // The tooltip follows the cursor with the day, in the tenant's timezone, and each series' value.
    await page.locator('#k-volume .u-over').hover({ position: { x: 5, y: 60 } });
    await expect.poll(() => page.locator('#k-volume .tip').textContent(), POLL).toMatch(/^Feb 20, 2025.*Offered: \d+.*Answered: \d+/);
    await page.locator('#kpi-grain button[data-value="week"]').click();
    await page.locator('#kpi-time-table').waitFor();
    await expect.poll(() => page.locator('#kpi-time-table th').first().textContent(), POLL).toContain('Week');
    const weeks = await api(`/v1/kpis?groupBy=week&${RANGE}`);
    const shown = await rowsOf(page, '#kpi-time-table');
    expect(shown.map((r) => [r.key, r.offered, r.serviceLevel, r.asaSeconds])).toEqual(
      weeks.rows.map((r: Record<string, any>) => [r.key, count(r.offered), pct(r.serviceLevel), secs(r.asaSeconds)]),
    );
    // A target line on the rates chart.
    expect(await page.locator('#k-rates .u-legend').textContent()).toContain('Service level target (≥ 80.0%)');

    const agents = await api(`/v1/kpis?groupBy=agent&${RANGE}`);
    await page.locator('#kpi-dim-table').waitFor();
    await page.locator('#kpi-dim-table th button[data-sort="offered"]').click();
    await page.locator('#kpi-dim-table th button[data-sort="offered"]').click();
    expect(await page.locator('#kpi-dim-table th[aria-sort]').getAttribute('aria-sort')).toBe('descending');
    const names = new Map(((await api('/v1/agents')).data as { id: string; name: string | null }[]).map((a) => [a.id, a.name ?? a.id]));
    const byOffered = [...agents.rows].sort((a: { offered: number }, b: { offered: number }) => b.offered - a.offered);
    expect((await rowsOf(page, '#kpi-dim-table')).map((r) => [r.key, r.offered, r.abandonmentRate])).toEqual(
      byOffered.map((r: Record<string, any>) => [r.key === null ? 'No agent' : names.get(r.key) ?? r.key, count(r.offered), pct(r.abandonmentRate)]),
    );

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-download^="/v1/kpis?groupBy=agent"]').click()]);
    expect(download.suggestedFilename()).toBe('callroi-kpis-agent.csv');
    const { records } = csvRecords(readFileSync((await download.path())!, 'utf8'));
    expect(records.map((r) => [r.row, r.key, r.offered, r.serviceLevel])).toEqual([
      ...agents.rows.map((r: Record<string, any>) => ['row', r.key ?? '', String(r.offered), r.serviceLevel === null ? '' : String(r.serviceLevel)]),
      ['total', '', String(agents.total.offered), String(agents.total.serviceLevel)],
    ]);
  });

  it('ROI: the model and grouping switches give the API rows, drawn as revenue/cost/net bars', async () => {
    await page.locator('#nav a[href="#roi"]').click();
    await page.locator('#roi-rows').waitFor();
    await page.locator('#roi-model').selectOption('linear');
    await page.locator('#roi-dim button[data-value="channel"]').click();
    await expect.poll(() => page.locator('#roi-rows th').first().textContent(), POLL).toContain('Channel');
    const roi = await api(`/v1/roi?groupBy=channel&model=linear&${RANGE}`);
    expect(roi.rows.length).toBeGreaterThan(1);
    expect((await rowsOf(page, '#roi-rows')).map((r) => [r.key, r.revenue, r.cost, r.net, r.roiPercent, r.calls])).toEqual(
      roi.rows.map((r: Record<string, any>) => [r.name ?? r.key, usd(r.revenue), usd(r.cost), usd(r.net), r.roiPercent === null ? '—' : `${r.roiPercent.toFixed(2)}%`, count(r.calls)]),
    );
    expect(await page.locator('#roi-rows tfoot td[data-col="revenue"]').textContent()).toBe(usd(roi.total.revenue));
    expect(await page.locator('#roi-chart .u-legend').textContent()).toMatch(/Revenue.*Cost.*Net/);
    expect(await page.locator('#roi-chart canvas').count()).toBe(1);
  });

  it('Alerts: the open ones as the API lists them, and an empty state that says what to do', async () => {
    await page.locator('#nav a[href="#alerts"]').click();
    await page.locator('#alerts-rows').waitFor();
    const open = await api('/v1/alerts?status=open');
    expect(open.data.length).toBeGreaterThan(0);
    const rows = await rowsOf(page, '#alerts-rows');
    expect(rows.map((r) => r.message)).toEqual(open.data.map((a: { message: string }) => a.message));
    await page.locator('#alert-status button[data-value="resolved"]').click();
    await page.locator('#alerts-body [data-empty]').waitFor();
    expect(await page.locator('#alerts-body').textContent()).toContain('No resolved alert yet.');
  });

  it('Connections: health, webhook URL copied, a failed delivery reprocessed', async () => {
    await page.locator('#nav a[href="#connections"]').click();
    const card = page.locator(`[data-connection="${seeded.aircallId}"]`);
    await card.locator('[data-failed] button[data-reprocess]').waitFor();
    const { data } = await api('/v1/connections');
    expect(await page.locator('[data-connection]').count()).toBe(data.length);
    const aircall = data.find((c: { id: string }) => c.id === seeded.aircallId);
    expect(await card.locator('input[readonly]').inputValue()).toBe(aircall.webhookUrl);
    await card.locator('button[data-copy]').click();
    await expect.poll(() => card.locator('[data-copied]').textContent(), POLL).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(aircall.webhookUrl);
    const failed = await api(`/v1/connections/${seeded.aircallId}/events?status=failed`);
    expect(await card.locator('[data-failed] tbody tr').count()).toBe(failed.data.length);
    await card.locator('[data-failed] button[data-reprocess]').first().click();
    await card.getByText('Queued again').waitFor();
    await hub.settle(seeded.tenant.apiKey);
    const events = await api(`/v1/connections/${seeded.aircallId}/events`);
    expect(events.data[0].attempts).toBeGreaterThan(failed.data[0].attempts);

    // A backfill started from the page shows its progress until the API says it is complete
    // (nock stands in for api.twilio.com; the browser and the hub stay real).
    const twilioPage = JSON.parse(readFileSync(new URL('./fixtures/twilio/rest_calls_page.json', import.meta.url), 'utf8')).response;
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    const twilioApi = nock('https://api.twilio.com').get(`/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json`).query(true).reply(200, { ...twilioPage, next_page_uri: null });
    try {
      const main = page.locator('[data-connection]').filter({ hasText: 'Main line' });
      await main.locator('form[data-backfill] button[type=submit]').click();
      await main.locator('[data-backfills] [data-job]').filter({ hasText: 'completed' }).waitFor();
      const jobId = await main.locator('[data-backfills] [data-job]').getAttribute('data-job');
      const job = await api(`/v1/backfills/${jobId}`);
      expect(job).toMatchObject({ status: 'completed', progress: 1, from: '2025-02-20T05:00:00.000Z', to: '2025-03-22T04:00:00.000Z' });
      expect(await main.locator('[data-backfills] progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(1);
      expect(await main.locator('[data-backfills] [data-job]').textContent()).toContain(`${job.events} events, ${job.pages} pages`);
      expect(twilioApi.isDone()).toBe(true);
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });

  it('Get started: a tenant without a connection lands there and connects a provider', async () => {
    const fresh = await hub.tenant({ name: 'New Co', timezone: 'Europe/Paris', currency: 'EUR', country: 'FR' });
    const second = await context.newPage();
    watch(second);
    await signIn(second, fresh.apiKey);
    expect(second.url()).toBe(`${base}/dashboard#start`);
    await second.locator('#start-body [data-empty]').waitFor();
    expect(await second.locator('#start-body [data-empty]').textContent()).toContain('No connection yet.');
    const form = second.locator('form[data-connect="twilio"]');
    await form.locator('input[name="accountSid"]').fill('AC0123456789abcdef0123456789abcdef');
    await form.locator('input[name="authToken"]').fill('0123456789abcdef0123456789abcdef');
    await form.locator('button[type=submit]').click();
    await form.locator('[data-connected] input').waitFor();
    const { data } = await api('/v1/connections', fresh.apiKey);
    expect(data).toHaveLength(1);
    expect(await form.locator('[data-connected] input').inputValue()).toBe(data[0].webhookUrl);
    // No call yet: the overview says so and where to go.
    await second.locator('#nav a[href="#overview"]').click();
    await second.locator('#overview-body [data-empty]').waitFor();
    expect(await second.locator('#overview-body [data-empty]').textContent()).toContain('No call in this period.');
    await second.close();
  });

  it('shows a loading state while the API answers, and its error in words when it fails', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/v1/alerts?status=resolved', async (route) => {
      await held;
      await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'service_unavailable', message: 'Storage is unavailable; try again shortly.' } }) });
    });
    await page.locator('#nav a[href="#alerts"]').click();
    await page.locator('#alert-status button[data-value="open"]').click();
    await page.locator('#alerts-rows').waitFor();
    await page.locator('#alert-status button[data-value="resolved"]').click();
    await page.locator('#alerts-body .loading').waitFor();
    expect(await page.locator('#alerts-body [role="status"]').textContent()).toBe('Loading the alerts…');
    release();
    await page.locator('#alerts-body [data-empty]').waitFor();
    expect(await page.locator('#alerts-body').textContent()).toContain('Storage is unavailable; try again shortly.');
    await page.unroute('**/v1/alerts?status=resolved');
    // The browser logs the refused request; nothing else.
    expect(problems.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 503 (Service Unavailable)']);
  });

  it('keeps text readable: every visible text has a contrast of at least 4.5:1 with its background', async () => {
    for (const hash of ['#overview', '#kpis', '#roi', '#connections']) {
      await page.locator(`#nav a[href="${hash}"]`).click();
      await page.locator(`${hash.replace('#', '#page-')} .loading`).waitFor({ state: 'detached' });
      const low = await page.evaluate(() => {
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
        const lum = ([r, g, b]: number[]) => {
          const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
        };
        const background = (el: Element | null): number[] => {
          for (; el; el = el.parentElement) {
            const c = rgb(getComputedStyle(el).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
          }
          return [255, 255, 255];
        };
        const out: string[] = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const el = n.parentElement!;
          if (!n.textContent!.trim() || !el.checkVisibility() || el.closest('.u-legend, .tip, canvas')) continue;
          const fg = lum(rgb(getComputedStyle(el).color));
          const bg = lum(background(el));
          const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
          if (ratio < 4.5) out.push(`${n.textContent!.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
        }
        return out;
      });
      expect(low, hash).toEqual([]);
    }
  });

  it('is usable from the keyboard, never puts the key in a URL, signs out, and logged no console error', async () => {
    // A reload keeps the session: the key is not asked again.
    await page.goto(`${base}/dashboard#overview`);
    await page.reload();
    await page.locator('#tiles').waitFor();
    expect(await page.locator('#signin').isHidden()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe('#kpis');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url(), POLL).toBe(`${base}/dashboard#kpis`);
    await page.locator('#page-kpis').waitFor();

    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => u.includes(seeded.tenant.apiKey))).toEqual([]);
    expect(requested.filter((u) => !u.startsWith(base) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);

    await page.locator('#signout').click();
    await page.locator('#signin').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('callroi.apiKey'))).toBeNull();
    expect(problems).toEqual([]);
  });
});
