// callroi dashboard: pages over the public API (Overview, KPIs, ROI, Alerts, Connections, Get started).
import { api, ApiError, session, whenUnauthorized } from './api.js';
import { barChart, palette, timeChart } from './charts.js';
import { addDays, bucketKeys, dateLabel, dateTime, daysBetween, esc, fmt, keyToMs, localDate } from './format.js';

/** The period as instants (midnight in the tenant's timezone), for routes that read dates as UTC. */
const instants = () => ({ from: new Date(keyToMs(state.from, state.tenant.timezone)).toISOString(), to: new Date(keyToMs(state.to, state.tenant.timezone)).toISOString() });

const $ = (id) => document.getElementById(id);
const PAGES = ['overview', 'kpis', 'roi', 'alerts', 'connections', 'start'];

const state = {
  tenant: null,
  features: null,
  from: null, // local date, first day shown
  to: null, // local date, the day after the last one shown
  grain: 'day',
  dim: 'agent',
  roiDim: 'campaign',
  roiModel: 'last_touch',
  roiBasis: 'revenue',
  alertStatus: 'open',
  names: new Map(), // campaign id → name
  agents: new Map(), // agent id → name
  targets: [],
  hasConnection: false,
  hasCall: false,
  rendered: new Set(),
};

/* ---------- what this hub's API offers (read from /openapi.json, so newer hubs light up more) ---------- */

async function loadFeatures() {
  const spec = await fetch('/openapi.json').then((r) => r.json());
  const params = (path) => Object.fromEntries((spec.paths?.[path]?.get?.parameters ?? []).map((p) => [p.name, p.schema ?? {}]));
  const enumOf = (schema) => schema?.enum ?? schema?.anyOf?.flatMap((s) => s.enum ?? []) ?? [];
  const kpi = params('/v1/kpis');
  const roi = params('/v1/roi');
  return {
    kpiGroupBys: enumOf(kpi.groupBy),
    kpiCompare: enumOf(kpi.compare).includes('previous_period'),
    roiGroupBys: enumOf(roi.groupBy),
    roiModels: enumOf(roi.model),
    roiCompare: enumOf(roi.compare).includes('previous_period'),
    roiBases: enumOf(roi.basis),
  };
}

/* ---------- shared bits ---------- */

const loading = (what) => `<p class="loading" role="status">Loading ${esc(what)}…</p>`;
const empty = (title, text) => `<div class="empty" data-empty><strong>${esc(title)}</strong>${text}</div>`;
const money = (v) => fmt.money(v, state.tenant.currency);
const range = () => `from=${state.from}&to=${state.to}`;
const previousRange = () => {
  const days = daysBetween(state.from, state.to);
  return { from: addDays(state.from, -days), to: state.from };
};

/** A render claims its element; an answer that comes back after a newer render started is dropped. */
const tickets = new WeakMap();
function claim(el) {
  const ticket = (tickets.get(el) ?? 0) + 1;
  tickets.set(el, ticket);
  return () => tickets.get(el) === ticket;
}

function showError(err) {
  $('error').textContent = err instanceof ApiError || err instanceof Error ? err.message : String(err);
}

function failed(el, err) {
  el.innerHTML = empty('This could not be loaded.', `<p>${esc(err.message)}</p>`);
}

/** A row's name: campaigns by their name, a missing key said in words. */
function label(key, dim) {
  if (key === null || key === undefined) return dim === 'campaign' ? 'No campaign' : `No ${dim}`;
  if (dim === 'campaign') return state.names.get(key) ?? key;
  if (dim === 'agent') return state.agents.get(key) ?? key;
  return key;
}

function targetText(targets, kpi, format) {
  const t = (targets ?? []).find((x) => x.kpi === kpi);
  if (!t) return '<span class="nodata">No target</span>';
  const status = t.met === null ? '<span class="nodata">no data</span>' : t.met ? '<span class="met">met</span>' : '<span class="missed">missed</span>';
  return `Target ${t.comparison === '>=' ? '≥' : '≤'} ${esc(format(t.value))} · ${status}`;
}

function downloadButton(path, what) {
  return `<button type="button" class="small secondary" data-download="${esc(path)}">Download ${esc(what)} (CSV)</button>`;
}

document.addEventListener('click', async (e) => {
  const button = e.target.closest('[data-download]');
  if (!button) return;
  button.disabled = true;
  try {
    await api.download(button.dataset.download);
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
});

/** A row of toggle buttons; `enabled` lists what this hub answers. */
function toggles(el, options, current, enabled, onPick) {
  el.innerHTML = options
    .map(([value, text]) => {
      const on = enabled.includes(value);
      return `<button type="button" data-value="${value}" aria-pressed="${value === current}" ${on ? '' : 'disabled title="This hub does not offer this grouping yet"'}>${esc(text)}</button>`;
    })
    .join('');
  el.onclick = (e) => {
    const b = e.target.closest('button[data-value]');
    if (!b || b.disabled) return;
    el.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
    onPick(b.dataset.value);
  };
}

/** A sortable table: columns { key, label, value(row), text(row), num }. */
function table(el, { columns, rows, total, caption, id, textual = false }) {
  let sortKey = null;
  let dir = 1;
  const draw = () => {
    const sorted = sortKey === null ? rows : [...rows].sort((a, b) => compare(colOf(sortKey).value(a), colOf(sortKey).value(b)) * dir);
    el.innerHTML = `<div class="table-wrap"><table id="${esc(id)}"${textual ? ' class="textual"' : ''}><caption class="sr-only">${esc(caption)}</caption><thead><tr>${columns
      .map((c) => `<th scope="col" ${c.key === sortKey ? `aria-sort="${dir > 0 ? 'ascending' : 'descending'}"` : ''}><button type="button" data-sort="${c.key}">${esc(c.label)}</button></th>`)
      .join('')}</tr></thead><tbody>${sorted
      .map((r) => `<tr>${columns.map((c) => `<td data-col="${c.key}">${c.text(r)}</td>`).join('')}</tr>`)
      .join('')}</tbody>${total ? `<tfoot><tr>${columns.map((c, i) => `<td data-col="${c.key}"><b>${i === 0 ? 'Total' : c.text(total)}</b></td>`).join('')}</tr></tfoot>` : ''}</table></div>`;
  };
  const colOf = (k) => columns.find((c) => c.key === k);
  el.onclick = (e) => {
    const b = e.target.closest('button[data-sort]');
    if (!b) return;
    dir = sortKey === b.dataset.sort ? -dir : 1;
    sortKey = b.dataset.sort;
    draw();
    el.querySelector(`button[data-sort="${sortKey}"]`).focus();
  };
  draw();
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

const KPI_FIGURES = [
  { key: 'offered', label: 'Offered', format: fmt.count, better: 'up', kind: 'count' },
  { key: 'answered', label: 'Answered', format: fmt.count, better: 'up', kind: 'count' },
  { key: 'abandonmentRate', label: 'Abandonment', format: fmt.pct, better: 'down', kind: 'rate' },
  { key: 'serviceLevel', label: 'Service level', format: fmt.pct, better: 'up', kind: 'rate' },
  { key: 'asaSeconds', label: 'ASA', format: fmt.seconds, better: 'down', kind: 'count' },
  { key: 'ahtSeconds', label: 'AHT', format: fmt.seconds, better: 'down', kind: 'count' },
  { key: 'fcrRate', label: 'FCR', format: fmt.pct, better: 'up', kind: 'rate' },
  { key: 'csat', label: 'CSAT', format: fmt.pct, better: 'up', kind: 'rate' },
  { key: 'nps', label: 'NPS', format: fmt.nps, better: 'up', kind: 'points' },
  { key: 'costPerCall', label: 'Cost per call', format: (v) => money(v), better: 'down', kind: 'count' },
];

function kpiColumns(dim) {
  return [
    { key: 'key', label: dim[0].toUpperCase() + dim.slice(1), value: (r) => label(r.key, dim), text: (r) => esc(label(r.key, dim)) },
    ...KPI_FIGURES.map((f) => ({ key: f.key, label: f.label, value: (r) => (f.key === 'costPerCall' && r[f.key] !== null ? Number(r[f.key]) : r[f.key]), text: (r) => esc(f.format(r[f.key])) })),
    { key: 'targets', label: 'Targets', value: (r) => (r.targets ?? []).filter((t) => t.met === false).length, text: (r) => targetsCell(r.targets) },
  ];
}

function targetsCell(targets) {
  if (!targets?.length) return '<span class="nodata">—</span>';
  const missed = targets.filter((t) => t.met === false).length;
  return missed ? `<span class="missed">${missed} missed</span>` : `<span class="met">${targets.filter((t) => t.met).length} met</span>`;
}

/* ---------- KPI and ROI answers, with the previous period (from the API's compare when it has one) ---------- */

async function kpis(groupBy, extra = '') {
  const compare = state.features.kpiCompare ? '&compare=previous_period' : '';
  return api.get(`/v1/kpis?groupBy=${groupBy}&${range()}${compare}${extra}`);
}

async function previousKpis(groupBy, current) {
  if (current.total.compare) return null;
  const p = previousRange();
  return api.get(`/v1/kpis?groupBy=${groupBy}&from=${p.from}&to=${p.to}`);
}

/** The previous period's figures of the total. */
function previousTotal(current, previous) {
  return current.total.compare?.values ?? previous?.total ?? null;
}

function change(f, now, before) {
  if (now === null || now === undefined || before === null || before === undefined) return '<span class="nodata">no data to compare</span>';
  const a = Number(now);
  const b = Number(before);
  let text;
  if (f.kind === 'rate') text = `${a >= b ? '+' : '−'}${Math.abs((a - b) * 100).toFixed(1)} pts`;
  else if (f.kind === 'points') text = `${a >= b ? '+' : '−'}${Math.abs(a - b).toFixed(1)} pts`;
  else if (b === 0) text = a === 0 ? '0%' : 'new';
  else text = `${a >= b ? '+' : '−'}${Math.abs(((a - b) / b) * 100).toFixed(1)}%`;
  const cls = a === b ? 'flat' : (a > b) === (f.better === 'up') ? 'up-good' : 'down-bad';
  const arrow = a === b ? '' : a > b ? '▲ ' : '▼ ';
  return `<span class="${cls}">${arrow}${text}</span> <span class="nodata">vs previous period</span>`;
}

/* ---------- Overview ---------- */

async function renderOverview() {
  const body = $('overview-body');
  body.innerHTML = loading('the overview');
  const current = claim(body);
  try {
    const roiCompare = state.features.roiCompare ? '&compare=previous_period' : '';
    const p = previousRange();
    const [now, roi, openAlerts] = await Promise.all([
      api.get(`/v1/kpis?groupBy=day&${range()}${state.features.kpiCompare ? '&compare=previous_period' : ''}`),
      api.get(`/v1/roi?groupBy=month&${range()}${roiCompare}`),
      api.get('/v1/alerts?status=open'),
    ]);
    const [before, roiBefore] = await Promise.all([
      previousKpis('day', now),
      roi.total.compare ? null : api.get(`/v1/roi?groupBy=month&from=${p.from}&to=${p.to}`),
    ]);
    if (!current()) return;
    const prev = previousTotal(now, before);
    const roiPrev = roi.total.compare?.values ?? roiBefore?.total ?? null;
    const tiles = KPI_FIGURES.map((f) => tile(f, now.total[f.key], prev?.[f.key], now.total.targets));
    const noCost = roi.total.cost === '0.00';
    tiles.push(tile({ key: 'revenue', label: 'Revenue', format: money, better: 'up', kind: 'count' }, roi.total.revenue, roiPrev?.revenue, roi.total.targets));
    tiles.push(
      tile({ key: 'roiPercent', label: 'ROI', format: fmt.percent, better: 'up', kind: 'points' }, roi.total.roiPercent, roiPrev?.roiPercent, roi.total.targets, noCost ? 'No cost recorded in this period: post costs to see ROI.' : null),
    );
    const alerts = openAlerts.data;
    body.innerHTML = `
      ${now.total.offered === 0 ? empty('No call in this period.', `<p>Pick another period above, or <a href="#start">connect a provider</a> so calls flow in.</p>`) : ''}
      <div class="tiles" id="tiles">${tiles.join('')}</div>
      <div class="charts" style="margin-top:14px">
        <div class="card"><div class="table-head" style="margin:0 0 8px"><h2 style="margin:0">Calls per day</h2>${downloadButton(`/v1/calls?from=${encodeURIComponent(instants().from)}&to=${encodeURIComponent(instants().to)}`, 'every call')}</div><div class="chart" id="ov-volume"></div></div>
        <div class="card"><h2>Open alerts</h2>${
          alerts.length
            ? `<ul>${alerts.slice(0, 6).map((a) => `<li>${esc(a.message ?? a.type)} <span class="nodata">(${esc(dateTime(a.raisedAt, state.tenant.timezone))})</span></li>`).join('')}</ul><p><a href="#alerts">All alerts</a></p>`
            : '<p>No open alert. You will see here what the hub flags: spikes in abandonment or waiting, drops in volume, missed targets.</p>'
        }</div>
      </div>`;
    if (now.total.offered > 0) {
      const series = timeSeries(now, before, 'day');
      timeChart($('ov-volume'), {
        xs: series.xs,
        tz: state.tenant.timezone,
        stepHours: 24,
        yLabel: 'calls',
        yFormat: fmt.count,
        series: [
          { label: 'Offered', values: series.get('offered'), color: palette.blue },
          { label: 'Answered', values: series.get('answered'), color: palette.green },
          { label: 'Offered, previous period', values: series.prev('offered'), color: palette.grey, dash: [6, 4] },
        ],
      });
    } else $('ov-volume').innerHTML = '<p class="nodata">No call to draw.</p>';
  } catch (err) {
    if (current()) failed(body, err);
  }
}

function tile(f, value, before, targets, note) {
  return `<div class="tile" data-kpi="${f.key}">
    <span class="label">${esc(f.label)}</span>
    <span class="value">${esc(note ? '—' : f.format(value))}</span>
    <span class="change">${note ? `<span class="nodata">${esc(note)}</span>` : change(f, value, before)}</span>
    <span class="target">${targetText(targets, f.key, f.key === 'costPerCall' || f.key === 'revenue' ? money : f.kind === 'rate' ? fmt.pct : f.format)}</span>
  </div>`;
}

/**
 * The points of a time chart: every bucket of the range (a bucket without calls is a gap for
 * rates and a 0 for counts), and the previous period's bucket of the same rank beside it.
 */
function timeSeries(current, previous, grain) {
  const tz = state.tenant.timezone;
  const byKey = new Map(current.rows.map((r) => [r.key, r]));
  const keys = grain === 'hour' ? current.rows.map((r) => r.key) : bucketKeys(state.from, state.to, grain);
  const p = previousRange();
  const prevKeys = grain === 'hour' ? (previous?.rows ?? []).map((r) => r.key) : bucketKeys(p.from, p.to, grain);
  const prevByKey = new Map((previous?.rows ?? []).map((r) => [r.key, r]));
  const counts = new Set(['offered', 'answered', 'abandoned', 'missed']);
  const valueOf = (row, k) => (row ? (row[k] === null || row[k] === undefined ? null : Number(row[k])) : counts.has(k) ? 0 : null);
  // A key this page cannot place in time (a grouping newer than the page) is left out of the chart.
  const placed = keys.map((k, i) => [k, keyToMs(k, tz), i]).filter(([, ms]) => ms !== null);
  const at = (list) => placed.map(([, , i]) => list[i]);
  const all = (fn) => at(keys.map(fn));
  return {
    xs: placed.map(([, ms]) => Math.round(ms / 1000)),
    get: (k) => all((key) => valueOf(byKey.get(key), k)),
    prev: (k) =>
      all((key, i) => {
        const row = byKey.get(key);
        if (row?.compare) return valueOf(row.compare.values, k);
        if (!previous) return null;
        return valueOf(prevByKey.get(prevKeys[i]), k);
      }),
  };
}

/* ---------- KPIs ---------- */

const GRAINS = [['hour', 'Hour'], ['day', 'Day'], ['week', 'Week'], ['month', 'Month'], ['quarter', 'Quarter']];
const DIMS = [['agent', 'Agent'], ['queue', 'Queue'], ['campaign', 'Campaign'], ['channel', 'Channel'], ['provider', 'Provider']];

function targetLine(kpi, xs) {
  const t = state.targets.find((x) => x.kpi === kpi && (x.period === null || x.period === state.grain) && !Object.values(x.scope ?? {}).some(Boolean));
  return t ? { t, values: xs.map(() => Number(t.value)) } : null;
}

async function renderKpis() {
  toggles($('kpi-grain'), GRAINS, state.grain, state.features.kpiGroupBys, (g) => {
    state.grain = g;
    renderKpiCharts();
  });
  toggles($('kpi-dim'), DIMS, state.dim, state.features.kpiGroupBys, (d) => {
    state.dim = d;
    renderKpiTable();
  });
  await Promise.all([renderKpiCharts(), renderKpiTable()]);
}

async function renderKpiCharts() {
  const body = $('kpis-body');
  body.innerHTML = loading('the KPIs');
  const current = claim(body);
  try {
    const grain = state.grain;
    const now = await kpis(grain);
    const before = await previousKpis(grain, now);
    if (!current()) return;
    if (now.total.offered === 0) {
      body.innerHTML = empty('No call in this period.', '<p>Pick another period, or <a href="#start">connect a provider</a>.</p>');
      return;
    }
    const s = timeSeries(now, before, grain);
    const step = grain === 'hour' ? 1 : 24;
    body.innerHTML = `<div class="charts">
      <div class="card"><h2>Calls offered and answered</h2><div class="chart" id="k-volume"></div></div>
      <div class="card"><h2>Abandonment and service level</h2><div class="chart" id="k-rates"></div></div>
      <div class="card"><h2>Speed of answer and handle time</h2><div class="chart" id="k-times"></div></div>
      <div class="card"><h2>First-contact resolution and CSAT</h2><div class="chart" id="k-quality"></div></div>
    </div>
    <div class="table-head"><h2>By ${esc(grain)}</h2>${downloadButton(`/v1/kpis?groupBy=${grain}&${range()}`, `KPIs by ${grain}`)}</div>
    <div id="k-time-table"></div>`;
    const common = { xs: s.xs, tz: state.tenant.timezone, stepHours: step };
    const withTarget = (kpi, name, color) => {
      const t = targetLine(kpi, s.xs);
      return t ? [{ label: `${name} target (${t.t.comparison === '>=' ? '≥' : '≤'} ${kpi.endsWith('Seconds') ? fmt.seconds(t.t.value) : fmt.pct(t.t.value)})`, values: t.values, color, dash: [2, 4] }] : [];
    };
    timeChart($('k-volume'), {
      ...common,
      yLabel: 'calls',
      yFormat: fmt.count,
      series: [
        { label: 'Offered', values: s.get('offered'), color: palette.blue },
        { label: 'Answered', values: s.get('answered'), color: palette.green },
        { label: 'Offered, previous period', values: s.prev('offered'), color: palette.grey, dash: [6, 4] },
      ],
    });
    timeChart($('k-rates'), {
      ...common,
      yLabel: '% of calls',
      yFormat: (v) => `${Math.round(v * 100)}%`,
      series: [
        { label: 'Abandonment', values: s.get('abandonmentRate'), color: palette.red, format: fmt.pct },
        { label: 'Service level', values: s.get('serviceLevel'), color: palette.green, format: fmt.pct },
        { label: 'Service level, previous period', values: s.prev('serviceLevel'), color: palette.grey, dash: [6, 4], format: fmt.pct },
        ...withTarget('serviceLevel', 'Service level', palette.green).map((x) => ({ ...x, format: fmt.pct })),
        ...withTarget('abandonmentRate', 'Abandonment', palette.red).map((x) => ({ ...x, format: fmt.pct })),
      ],
    });
    timeChart($('k-times'), {
      ...common,
      yLabel: 'seconds',
      yFormat: (v) => `${Math.round(v)} s`,
      series: [
        { label: 'ASA', values: s.get('asaSeconds'), color: palette.orange },
        { label: 'AHT', values: s.get('ahtSeconds'), color: palette.purple },
        { label: 'ASA, previous period', values: s.prev('asaSeconds'), color: palette.grey, dash: [6, 4] },
        ...withTarget('asaSeconds', 'ASA', palette.orange),
      ],
    });
    timeChart($('k-quality'), {
      ...common,
      yLabel: '% of calls',
      yFormat: (v) => `${Math.round(v * 100)}%`,
      series: [
        { label: 'FCR', values: s.get('fcrRate'), color: palette.blue, format: fmt.pct },
        { label: 'CSAT', values: s.get('csat'), color: palette.green, format: fmt.pct },
        ...withTarget('fcrRate', 'FCR', palette.blue).map((x) => ({ ...x, format: fmt.pct })),
      ],
    });
    table($('k-time-table'), { id: 'kpi-time-table', caption: `KPIs by ${grain}`, columns: kpiColumns(grain), rows: now.rows, total: now.total });
  } catch (err) {
    if (current()) failed(body, err);
  }
}

async function renderKpiTable() {
  const el = $('kpis-table');
  el.innerHTML = loading('the breakdown');
  const current = claim(el);
  try {
    const dim = state.dim;
    const answer = await api.get(`/v1/kpis?groupBy=${dim}&${range()}`);
    if (!current()) return;
    if (!answer.rows.length) {
      el.innerHTML = empty(`Nothing to break down by ${dim}.`, '<p>No call in this period.</p>');
      return;
    }
    el.innerHTML = `<div class="table-head"><span class="nodata">${answer.rows.length} rows · click a column to sort</span>${downloadButton(`/v1/kpis?groupBy=${dim}&${range()}`, `KPIs by ${dim}`)}</div><div id="k-dim-table"></div>`;
    table($('k-dim-table'), { id: 'kpi-dim-table', caption: `KPIs by ${dim}`, columns: kpiColumns(dim), rows: answer.rows, total: answer.total });
  } catch (err) {
    if (current()) failed(el, err);
  }
}

/* ---------- ROI ---------- */

const ROI_DIMS = [['campaign', 'Campaign'], ['channel', 'Channel'], ['agent', 'Agent'], ['queue', 'Queue'], ['day', 'Day'], ['week', 'Week'], ['month', 'Month'], ['quarter', 'Quarter']];
const MODEL_NAMES = { first_touch: 'First touch', last_touch: 'Last touch', linear: 'Linear', time_decay: 'Time decay', position_based: 'Position based' };

async function renderRoiPage() {
  toggles($('roi-dim'), ROI_DIMS, state.roiDim, state.features.roiGroupBys, (d) => {
    state.roiDim = d;
    renderRoi();
  });
  const model = $('roi-model');
  model.innerHTML = state.features.roiModels.map((m) => `<option value="${m}" ${m === state.roiModel ? 'selected' : ''}>${esc(MODEL_NAMES[m] ?? m)}</option>`).join('');
  model.onchange = () => {
    state.roiModel = model.value;
    renderRoi();
  };
  const basis = $('roi-basis');
  const bases = state.features.roiBases.length ? state.features.roiBases : ['revenue'];
  basis.innerHTML = bases.map((b) => `<option value="${b}" ${b === state.roiBasis ? 'selected' : ''}>${b === 'margin' ? 'Margin' : 'Revenue'}</option>`).join('');
  basis.disabled = bases.length < 2;
  basis.title = bases.length < 2 ? 'This hub computes ROI on revenue only' : '';
  basis.onchange = () => {
    state.roiBasis = basis.value;
    renderRoi();
  };
  await renderRoi();
}

async function renderRoi() {
  const body = $('roi-body');
  body.innerHTML = loading('the ROI');
  const current = claim(body);
  try {
    const dim = state.roiDim;
    const basis = state.features.roiBases.length ? `&basis=${state.roiBasis}` : '';
    const path = `/v1/roi?groupBy=${dim}&model=${state.roiModel}${basis}&${range()}`;
    const answer = await api.get(path);
    if (!current()) return;
    const { rows, total } = answer;
    const notes = [];
    if (total.cost === '0.00') notes.push(empty('No cost recorded in this period.', '<p>Post your costs (telephony, salaries, media) to <code>POST /v1/costs</code> to see cost and ROI.</p>'));
    if (total.revenue === '0.00' && total.wonDeals === 0) notes.push(empty('No won deal in this period.', '<p>Post your CRM deals to <code>POST /v1/crm/deals</code>; they are attributed to the calls of the same phone numbers.</p>'));
    const name = (r) => r.name ?? label(r.key, dim);
    body.innerHTML = `${notes.join('')}
      ${rows.length ? `<div class="card"><h2>Revenue, cost and net by ${esc(dim)}</h2><div class="chart" id="roi-chart"></div></div>` : ''}
      <div class="table-head"><h2>ROI by ${esc(dim)}</h2>${downloadButton(path, `ROI by ${dim}`)}</div>
      <div id="roi-table"></div>
      <p class="nodata">Attribution: ${esc(MODEL_NAMES[answer.model] ?? answer.model)}, ${esc(answer.windowDays)}-day window. Unattributed revenue: ${esc(money(total.unattributedRevenue))}.</p>`;
    if (rows.length) {
      barChart($('roi-chart'), {
        labels: rows.map(name),
        yLabel: state.tenant.currency,
        yFormat: (v) => new Intl.NumberFormat('en-US', { style: 'currency', currency: state.tenant.currency, notation: 'compact' }).format(v),
        series: [
          { label: 'Revenue', values: rows.map((r) => Number(r.revenue)), color: palette.blue },
          { label: 'Cost', values: rows.map((r) => Number(r.cost)), color: palette.orange },
          { label: 'Net', values: rows.map((r) => Number(r.net)), color: palette.green },
        ],
      });
      table($('roi-table'), {
        id: 'roi-rows',
        caption: `ROI by ${dim}`,
        rows,
        total,
        columns: [
          { key: 'key', label: dim[0].toUpperCase() + dim.slice(1), value: name, text: (r) => esc(name(r)) },
          { key: 'revenue', label: 'Revenue', value: (r) => Number(r.revenue), text: (r) => esc(money(r.revenue)) },
          { key: 'cost', label: 'Cost', value: (r) => Number(r.cost), text: (r) => esc(money(r.cost)) },
          { key: 'net', label: 'Net', value: (r) => Number(r.net), text: (r) => esc(money(r.net)) },
          { key: 'roiPercent', label: 'ROI', value: (r) => r.roiPercent, text: (r) => esc(fmt.percent(r.roiPercent)) },
          { key: 'calls', label: 'Calls', value: (r) => r.calls, text: (r) => esc(fmt.count(r.calls)) },
          { key: 'deals', label: 'Deals', value: (r) => r.deals, text: (r) => esc(fmt.count(r.deals)) },
          { key: 'costPerAcquisition', label: 'Cost per acquisition', value: (r) => (r.costPerAcquisition === null ? null : Number(r.costPerAcquisition)), text: (r) => esc(money(r.costPerAcquisition)) },
          { key: 'targets', label: 'Targets', value: (r) => (r.targets ?? []).filter((t) => t.met === false).length, text: (r) => targetsCell(r.targets) },
        ],
      });
    } else $('roi-table').innerHTML = empty('Nothing to show by ' + dim + '.', '<p>No call, deal or cost in this period.</p>');
  } catch (err) {
    if (current()) failed(body, err);
  }
}

/* ---------- Alerts ---------- */

const ALERT_TYPES = { abandonment_spike: 'Abandonment spike', wait_spike: 'Waiting spike', volume_drop: 'Volume drop', volume_surge: 'Volume surge', target_breach: 'Target missed' };

async function renderAlertsPage() {
  toggles($('alert-status'), [['open', 'Open'], ['resolved', 'Resolved'], ['all', 'All']], state.alertStatus, ['open', 'resolved', 'all'], (s) => {
    state.alertStatus = s;
    renderAlerts();
  });
  await renderAlerts();
}

async function renderAlerts() {
  const body = $('alerts-body');
  body.innerHTML = loading('the alerts');
  const current = claim(body);
  try {
    const status = state.alertStatus;
    const { data } = await api.get(`/v1/alerts?status=${status}`);
    if (!current()) return;
    if (!data.length) {
      body.innerHTML = empty(
        status === 'resolved' ? 'No resolved alert yet.' : status === 'open' ? 'No open alert.' : 'No alert yet.',
        '<p>The hub watches each day and each hour against its recent baseline (abandonment, waiting, volume) and your targets, and lists what it finds here. Subscribe to <code>alert.raised</code> to be told by webhook.</p>',
      );
      return;
    }
    const tz = state.tenant.timezone;
    body.innerHTML = `<div class="table-head"><span class="nodata">${data.length} ${data.length === 1 ? 'alert' : 'alerts'}</span>${downloadButton(`/v1/alerts?status=${status}`, 'alerts')}</div><div id="alerts-table"></div>`;
    table($('alerts-table'), {
      id: 'alerts-rows',
      caption: 'Alerts',
      textual: true,
      rows: data,
      columns: [
        { key: 'raisedAt', label: 'Raised', value: (a) => a.raisedAt, text: (a) => esc(dateTime(a.raisedAt, tz)) },
        { key: 'type', label: 'Type', value: (a) => a.type, text: (a) => esc(ALERT_TYPES[a.type] ?? a.type) },
        { key: 'period', label: 'Period', value: (a) => a.period, text: (a) => esc(`${a.period ?? ''} (${a.granularity ?? ''})`) },
        { key: 'message', label: 'What happened', value: (a) => a.message, text: (a) => `<span style="white-space:normal">${esc(a.message ?? '')}</span>` },
        { key: 'status', label: 'Status', value: (a) => a.status, text: (a) => `<span class="badge ${a.status === 'open' ? 'bad' : 'good'}">${esc(a.status)}</span>` },
        { key: 'resolvedAt', label: 'Resolved', value: (a) => a.resolvedAt, text: (a) => esc(a.resolvedAt ? dateTime(a.resolvedAt, tz) : '—') },
      ],
    });
  } catch (err) {
    if (current()) failed(body, err);
  }
}

/* ---------- Connections ---------- */

const HEALTH = {
  healthy: ['good', 'Healthy', 'Webhooks are set up and the credentials work.'],
  ok: ['good', 'Healthy', 'Webhooks are set up and the credentials work.'],
  unverified: ['neutral', 'Not checked yet', 'The hub has not asked the provider yet; check now to be sure.'],
  invalid_credentials: ['bad', 'Credentials refused', 'The provider refused the credentials: connect again with new ones.'],
  unreachable: ['bad', 'Provider unreachable', 'The hub could not reach the provider; it will try again.'],
  expiring: ['warn', 'Expiring', 'The webhook subscription expires soon; the hub renews it, or check now.'],
  blacklisted: ['bad', 'Blacklisted', 'The provider stopped sending webhooks to this URL: check the URL and re-enable it at the provider.'],
  disabled: ['neutral', 'Disabled', 'This connection is switched off.'],
};

async function renderConnections() {
  const body = $('connections-body');
  body.innerHTML = loading('the connections');
  try {
    const { data } = await api.get('/v1/connections');
    if (!data.length) {
      body.innerHTML = empty('No connection yet.', '<p>Connect your telephony provider on <a href="#start">Get started</a>; its calls then arrive here by webhook.</p>');
      return;
    }
    const tz = state.tenant.timezone;
    body.innerHTML = data
      .map((c) => {
        const [tone, name, known] = HEALTH[c.health] ?? ['neutral', c.health, ''];
        const why = c.health === 'healthy' && !c.healthCheckedAt ? 'No problem seen so far; not checked with the provider yet.' : known;
        const detail = c.healthDetail && typeof c.healthDetail === 'object' ? (c.healthDetail.message ?? c.healthDetail.reason ?? JSON.stringify(c.healthDetail)) : c.healthDetail;
        return `<div class="card connection" data-connection="${esc(c.id)}">
          <h2>${esc(c.name ?? c.provider)} <span class="nodata">· ${esc(c.provider)}</span> <span class="badge ${tone}" data-health>${esc(name)}</span></h2>
          <p>${esc(why)}${detail ? ` <span class="nodata">(${esc(detail)})</span>` : ''}</p>
          <p>Last event: <b data-last-event>${c.lastEventAt ? esc(dateTime(c.lastEventAt, tz)) : 'none received yet'}</b> · checked ${esc(c.healthCheckedAt ? dateTime(c.healthCheckedAt, tz) : 'never')}
            <button type="button" class="small secondary" data-check>Check now</button></p>
          <div class="url"><label for="wh-${esc(c.id)}">Webhook URL</label><input id="wh-${esc(c.id)}" readonly value="${esc(c.webhookUrl)}"><button type="button" class="small" data-copy="${esc(c.webhookUrl)}">Copy</button><span role="status" data-copied></span></div>
          <h3 style="margin-top:14px">Failed deliveries</h3><div data-failed>${loading('failed deliveries')}</div>
          <h3 style="margin-top:14px">Backfill</h3>
          <form data-backfill class="switches"><label>From <input type="date" name="from" required value="${esc(state.from)}"></label><label>Until (excluded) <input type="date" name="to" required value="${esc(state.to)}"></label><button type="submit" class="small">Import history</button></form>
          <div data-backfills></div>
        </div>`;
      })
      .join('');
    await Promise.all(data.map((c) => Promise.all([renderFailed(c.id), renderBackfills(c.id)])));
  } catch (err) {
    failed(body, err);
  }
}

const cardOf = (id) => document.querySelector(`[data-connection="${CSS.escape(id)}"]`);

async function renderFailed(id) {
  const el = cardOf(id).querySelector('[data-failed]');
  try {
    const { data } = await api.get(`/v1/connections/${id}/events?status=failed&limit=50`);
    if (!data.length) {
      el.innerHTML = '<p class="nodata">No failed delivery. Every webhook received was processed.</p>';
      return;
    }
    el.innerHTML = `<div class="table-wrap"><table><thead><tr><th scope="col">Received</th><th scope="col">Attempts</th><th scope="col" style="text-align:left">Error</th><th scope="col"></th></tr></thead><tbody>${data
      .map(
        (e) => `<tr data-event="${esc(e.id)}"><td>${esc(dateTime(e.receivedAt, state.tenant.timezone))}</td><td>${esc(e.attempts)}</td><td style="white-space:normal;text-align:left">${esc(e.error ?? '')}</td><td><button type="button" class="small" data-reprocess="${esc(e.id)}">Reprocess</button></td></tr>`,
      )
      .join('')}</tbody></table></div>`;
  } catch (err) {
    el.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

async function renderBackfills(id) {
  const el = cardOf(id).querySelector('[data-backfills]');
  try {
    const { data } = await api.get(`/v1/connections/${id}/backfills`);
    el.innerHTML = data.length
      ? `<ul>${data.slice(0, 5).map((b) => `<li data-job="${esc(b.jobId)}">${esc(b.kind ?? 'backfill')} ${esc(b.from.slice(0, 10))} → ${esc(b.to.slice(0, 10))}: ${backfillProgress(b)}</li>`).join('')}</ul>`
      : '<p class="nodata">No backfill yet. Import history to see past calls.</p>';
  } catch (err) {
    el.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

function backfillProgress(b) {
  const share = Math.max(0, Math.min(1, Number(b.progress) || 0));
  const status = b.status === 'failed' ? `<span class="missed">failed${b.error ? `: ${esc(b.error)}` : ''}</span>` : esc(b.status);
  return `<progress max="1" value="${b.status === 'completed' ? 1 : share}" aria-label="Backfill progress">${Math.round(share * 100)}%</progress> ${status} · ${esc(b.events ?? 0)} events, ${esc(b.pages ?? 0)} pages`;
}

document.addEventListener('click', async (e) => {
  const copy = e.target.closest('[data-copy]');
  if (copy) {
    const status = copy.parentElement.querySelector('[data-copied]');
    try {
      await navigator.clipboard.writeText(copy.dataset.copy);
      status.textContent = 'Copied';
    } catch {
      copy.parentElement.querySelector('input').select();
      status.textContent = 'Press Ctrl+C to copy';
    }
    return;
  }
  const reprocess = e.target.closest('[data-reprocess]');
  if (reprocess) {
    const id = reprocess.closest('[data-connection]').dataset.connection;
    reprocess.disabled = true;
    try {
      await api.post(`/v1/connections/${id}/events/${reprocess.dataset.reprocess}/reprocess`);
      reprocess.replaceWith(Object.assign(document.createElement('span'), { textContent: 'Queued again' }));
    } catch (err) {
      reprocess.disabled = false;
      showError(err);
    }
    return;
  }
  const check = e.target.closest('[data-check]');
  if (check) {
    check.disabled = true;
    try {
      await api.post(`/v1/connections/${check.closest('[data-connection]').dataset.connection}/check`);
      await renderConnections();
    } catch (err) {
      check.disabled = false;
      showError(err);
    }
  }
});

document.addEventListener('submit', async (e) => {
  const form = e.target.closest('[data-backfill]');
  if (!form) return;
  e.preventDefault();
  const id = form.closest('[data-connection]').dataset.connection;
  const data = new FormData(form);
  try {
    // The dates are the tenant's days: their midnights in its timezone.
    const at = (date) => new Date(keyToMs(String(date), state.tenant.timezone)).toISOString();
    const job = await api.post(`/v1/connections/${id}/backfill`, { from: at(data.get('from')), to: at(data.get('to')) });
    const list = cardOf(id).querySelector('[data-backfills]');
    list.innerHTML = `<p data-job="${esc(job.jobId)}">${backfillProgress({ ...job, progress: 0 })}</p>`;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const b = await api.get(`/v1/backfills/${job.jobId}`);
      const line = cardOf(id)?.querySelector(`[data-job="${CSS.escape(job.jobId)}"]`);
      if (!line) return;
      line.innerHTML = backfillProgress(b);
      if (b.status === 'completed' || b.status === 'failed') return;
    }
  } catch (err) {
    showError(err);
  }
});

/* ---------- Get started ---------- */

const PROVIDERS = {
  twilio: {
    name: 'Twilio',
    fields: [['accountSid', 'Account SID (AC…)'], ['authToken', 'Auth token']],
    steps: [
      'Find your Account SID and Auth Token on the Twilio Console home page.',
      'Connect them below: the hub keeps them encrypted and gives you a webhook URL.',
      'In Phone Numbers → your number → Voice configuration, set “Call status changes” to the webhook URL (events: initiated, ringing, answered, completed).',
      'Put the same URL as the statusCallback of your &lt;Dial&gt; and &lt;Enqueue&gt; verbs to see agents and queues.',
    ],
  },
  ringcentral: {
    name: 'RingCentral',
    fields: [['clientId', 'Client ID'], ['clientSecret', 'Client secret'], ['jwt', 'JWT credential'], ['verificationToken', 'Verification token (you choose it)']],
    steps: [
      'Create a REST app (JWT auth) in the RingCentral developer console with the ReadCallLog and WebhookSubscriptions permissions.',
      'Create a JWT credential for an admin user.',
      'Connect below, then create a webhook subscription to the telephony session events with the hub’s webhook URL as its address and your verification token.',
    ],
  },
  vonage: {
    name: 'Vonage',
    fields: [['apiKey', 'API key'], ['apiSecret', 'API secret'], ['signatureSecret', 'Signature secret']],
    steps: [
      'In the Vonage dashboard, note your API key, API secret and signature secret (Settings).',
      'Connect below to get the webhook URL.',
      'In your Voice application, set the Event URL to the webhook URL (POST) and turn on signed webhooks.',
      'To import history, add the application ID and private key through <code>POST /v1/connections</code> (see the API documentation).',
    ],
  },
  aircall: {
    name: 'Aircall',
    fields: [['apiId', 'API ID'], ['apiToken', 'API token'], ['webhookToken', 'Webhook token']],
    steps: [
      'In Aircall → Integrations & API, create an API key (API ID and token).',
      'Add a Webhook integration with the call.* events; copy the token it shows.',
      'Connect below, then set the webhook’s URL to the webhook URL the hub gives you.',
    ],
  },
};

async function renderStart() {
  const body = $('start-body');
  const status = !state.hasConnection
    ? empty('No connection yet.', '<p>Connect a telephony provider: its calls arrive by webhook, then KPIs and ROI fill in.</p>')
    : !state.hasCall
      ? empty('Connected, no call yet.', '<p>Point your provider’s webhooks at the URL on the <a href="#connections">Connections</a> page and make a test call, or import history with a backfill.</p>')
      : '<p>Calls are flowing in. Add another provider below if you use several.</p>';
  body.innerHTML = `${status}
    <div class="steps">${Object.entries(PROVIDERS)
      .map(
        ([id, p]) => `<div class="card" data-provider="${id}"><h2>${esc(p.name)}</h2><ol>${p.steps.map((s) => `<li>${s}</li>`).join('')}</ol>
        <form data-connect="${id}">${p.fields
          .map(([f, text]) => `<div class="form-row"><label for="${id}-${f}">${esc(text)}</label><input id="${id}-${f}" name="${f}" autocomplete="off" required ${/secret|token|jwt/i.test(f) ? 'type="password"' : ''}></div>`)
          .join('')}<button type="submit">Connect ${esc(p.name)}</button><p class="error" role="alert" data-connect-error></p><div data-connected></div></form></div>`,
      )
      .join('')}</div>
    <p class="nodata">Then: post your campaigns (tracking numbers), CRM deals and costs through the API to see ROI; see <a href="/docs">the API documentation</a>.</p>`;
}

document.addEventListener('submit', async (e) => {
  const form = e.target.closest('[data-connect]');
  if (!form) return;
  e.preventDefault();
  const provider = form.dataset.connect;
  const credentials = Object.fromEntries([...new FormData(form)].filter(([, v]) => String(v).trim() !== ''));
  form.querySelector('[data-connect-error]').textContent = '';
  try {
    const c = await api.post('/v1/connections', { provider, name: PROVIDERS[provider].name, credentials });
    state.hasConnection = true;
    form.querySelector('[data-connected]').innerHTML = `<p class="met">Connected. Give this webhook URL to ${esc(PROVIDERS[provider].name)}:</p><div class="url"><input readonly value="${esc(c.webhookUrl)}" aria-label="Webhook URL"><button type="button" class="small" data-copy="${esc(c.webhookUrl)}">Copy</button><span role="status" data-copied></span></div>`;
  } catch (err) {
    form.querySelector('[data-connect-error]').textContent = err.message;
  }
});

/* ---------- navigation, range, sign-in ---------- */

const RENDER = { overview: renderOverview, kpis: renderKpis, roi: renderRoiPage, alerts: renderAlertsPage, connections: renderConnections, start: renderStart };

function currentPage() {
  const page = location.hash.slice(1);
  return PAGES.includes(page) ? page : null;
}

async function show(page, { refresh = false } = {}) {
  for (const p of PAGES) $(`page-${p}`).hidden = p !== page;
  document.querySelectorAll('#nav a').forEach((a) => (a.getAttribute('href') === `#${page}` ? a.setAttribute('aria-current', 'page') : a.removeAttribute('aria-current')));
  document.title = `${$(`h-${page}`).textContent} · callroi`;
  if (refresh || !state.rendered.has(page)) {
    state.rendered.add(page);
    await RENDER[page]();
  }
}

window.addEventListener('hashchange', () => {
  if (!state.tenant) return;
  const page = currentPage() ?? 'overview';
  $('error').textContent = '';
  show(page).then(() => $('main').focus({ preventScroll: true }));
});

$('apply').addEventListener('click', () => {
  const from = $('from').value;
  const toIncl = $('to').value;
  if (!from || !toIncl || toIncl < from) {
    $('error').textContent = 'Choose a start date on or before the end date.';
    return;
  }
  $('error').textContent = '';
  state.from = from;
  state.to = addDays(toIncl, 1);
  $('range-note').textContent = '';
  state.rendered.clear();
  show(currentPage() ?? 'overview', { refresh: true });
});

/**
 * The last 30 days, or when they hold no call, the 30 days up to the tenant's latest call
 * (so an account whose data is older does not open on a page of dashes).
 */
async function defaultRange() {
  const tz = state.tenant.timezone;
  const today = localDate(Date.now(), tz);
  let to = addDays(today, 1);
  const [latest, connections] = await Promise.all([api.get('/v1/calls?limit=1'), api.get('/v1/connections')]);
  state.hasConnection = connections.data.length > 0;
  state.hasCall = latest.data.length > 0;
  let note = '';
  if (state.hasCall) {
    const last = localDate(Date.parse(latest.data[0].startedAt), tz);
    if (last < addDays(to, -30)) {
      to = addDays(last, 1);
      note = `No call in the last 30 days: showing the 30 days up to your latest call (${dateLabel(last)}).`;
    }
  }
  state.from = addDays(to, -30);
  state.to = to;
  $('from').value = state.from;
  $('to').value = addDays(state.to, -1);
  $('range-note').textContent = note;
}

async function start() {
  const key = session.get();
  if (!key) {
    signedOut();
    return;
  }
  try {
    // The key first, alone: a wrong key is one refused request, not five.
    const tenant = await api.get('/v1/tenants/current');
    const [features, targets, campaigns, agents] = await Promise.all([
      loadFeatures(),
      api.get('/v1/targets'),
      api.get('/v1/campaigns'),
      api.get('/v1/agents'),
    ]);
    state.agents = new Map((agents.data ?? []).filter((a) => a.name).map((a) => [a.id, a.name]));
    state.tenant = tenant;
    state.features = features;
    state.targets = targets.data ?? [];
    state.names = new Map((campaigns.data ?? []).map((c) => [c.id, c.name]));
    await defaultRange();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    signedOut(err.message);
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('nav').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = `${state.tenant.name} · ${state.tenant.timezone} · ${state.tenant.currency}`;
  const first = currentPage() ?? (!state.hasConnection || !state.hasCall ? 'start' : 'overview');
  if (location.hash !== `#${first}`) history.replaceState(null, '', `#${first}`);
  await show(first);
}

function signedOut(message = '') {
  state.tenant = null;
  state.rendered.clear();
  $('app').hidden = true;
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('key').value = '';
  $('key').focus();
}

whenUnauthorized(() => {
  session.clear();
  signedOut('That API key was not accepted. Paste a valid tenant API key.');
});

$('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = $('key').value.trim();
  if (!key) return;
  session.set(key);
  $('key').value = '';
  start();
});

$('signout').addEventListener('click', () => {
  session.clear();
  history.replaceState(null, '', location.pathname);
  signedOut();
});

start();
