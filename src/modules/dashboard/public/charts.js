// Charts on uPlot (served by the hub from node_modules): time axes in the tenant's timezone,
// value axes with units, a legend, a tooltip that follows the cursor.
import uPlot from '/dashboard/assets/uPlot.esm.js';
import { esc } from './format.js';

export const palette = { blue: '#1d5fc2', green: '#1f8a4c', red: '#c0392b', orange: '#c46a00', grey: '#7b8496', purple: '#6b3fa0' };

function tooltip(formatX) {
  let tip;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'tip';
        u.over.appendChild(tip);
      },
      setCursor: (u) => {
        const i = u.cursor.idx;
        if (i === null || i === undefined || u.cursor.left < 0) {
          tip.style.display = 'none';
          return;
        }
        const lines = u.series.slice(1).map((s, k) => {
          const v = u.data[k + 1][i];
          return s.show && v !== null && v !== undefined ? `<div><span style="color:${s._color}">■</span> ${esc(s.label)}: <b>${esc(s._fmt(v))}</b></div>` : '';
        });
        tip.innerHTML = `<div>${esc(formatX(u.data[0][i], i))}</div>${lines.join('')}`;
        tip.style.display = 'block';
        const left = Math.min(u.cursor.left + 14, u.over.clientWidth - tip.offsetWidth - 4);
        tip.style.left = `${Math.max(0, left)}px`;
        tip.style.top = `${Math.max(0, u.cursor.top - tip.offsetHeight - 8)}px`;
      },
    },
  };
}

function keepSized(u, el) {
  const ro = new ResizeObserver(() => {
    const w = Math.max(280, el.clientWidth);
    if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
  });
  ro.observe(el);
}

/**
 * A time chart. xs: instants in seconds; series: { label, values, color, dash, unit, format }.
 * tz: the tenant's timezone, so ticks and the tooltip read in its local time.
 */
export function timeChart(el, { xs, series, tz, yLabel, yFormat, stepHours }) {
  const dateFmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, dateStyle: 'medium', ...(stepHours < 24 ? { timeStyle: 'short' } : {}) });
  const opts = {
    width: Math.max(280, el.clientWidth),
    height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
    scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: '#4a5366', grid: { stroke: '#eceef2' } },
      { stroke: '#4a5366', grid: { stroke: '#eceef2' }, label: yLabel, size: 64, values: (u, splits) => splits.map(yFormat) },
    ],
    legend: { live: false },
    series: [
      { label: 'Date', value: (u, v) => (v === null ? '' : dateFmt.format(new Date(v * 1000))) },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        dash: s.dash,
        points: { show: xs.length < 40 && !s.dash, size: 5 },
        spanGaps: false,
        _color: s.color,
        _fmt: s.format ?? yFormat,
      })),
    ],
    plugins: [tooltip((x) => dateFmt.format(new Date(x * 1000)))],
  };
  const u = new uPlot(opts, [xs, ...series.map((s) => s.values)], el);
  keepSized(u, el);
  return u;
}

/** Grouped bars (one group per label): revenue, cost and net side by side. */
export function barChart(el, { labels, series, yLabel, yFormat }) {
  const n = series.length;
  const bars = (k) => (u, sidx, i0, i1) => {
    const path = new Path2D();
    const slot = u.bbox.width / Math.max(labels.length, 1);
    const bw = Math.max(2, (slot * 0.75) / n);
    const y0 = u.valToPos(0, 'y', true);
    for (let i = i0; i <= i1; i++) {
      const v = u.data[sidx][i];
      if (v === null || v === undefined) continue;
      const cx = u.valToPos(i, 'x', true) + (k - (n - 1) / 2) * bw;
      const y = u.valToPos(v, 'y', true);
      path.rect(cx - bw / 2 + 1, Math.min(y, y0), bw - 2, Math.abs(y0 - y));
    }
    return { stroke: path, fill: path };
  };
  const opts = {
    width: Math.max(280, el.clientWidth),
    height: 280,
    scales: {
      x: { time: false, range: () => [-0.5, labels.length - 0.5] },
      y: { range: (u, min, max) => [Math.min(0, min ?? 0) * 1.1, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { stroke: '#4a5366', grid: { show: false }, splits: () => labels.map((_, i) => i), values: (u, splits) => splits.map((i) => short(labels[i])) },
      { stroke: '#4a5366', grid: { stroke: '#eceef2' }, label: yLabel, size: 80, values: (u, splits) => splits.map(yFormat) },
    ],
    legend: { live: false },
    cursor: { points: { show: false } },
    series: [
      { label: 'Row', value: (u, i) => labels[i] ?? '' },
      ...series.map((s, k) => ({ label: s.label, stroke: s.color, fill: s.color, paths: bars(k), points: { show: false }, _color: s.color, _fmt: yFormat })),
    ],
    plugins: [tooltip((x, i) => labels[i] ?? '')],
  };
  const u = new uPlot(opts, [labels.map((_, i) => i), ...series.map((s) => s.values)], el);
  keepSized(u, el);
  return u;
}

function short(label) {
  const s = String(label ?? '');
  return s.length > 16 ? `${s.slice(0, 15)}…` : s;
}
