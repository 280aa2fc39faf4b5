// The dashboard reads the same public API as any client; the key stays in this browser tab.
(function () {
  const $ = (id) => document.getElementById(id);
  const esc = (v) => String(v ?? '—').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
  const num = (v, d = 0) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
  const iso = (d) => d.toISOString().slice(0, 10);
  const today = new Date();
  $('to').value = iso(new Date(today.getTime() + 86400000));
  $('from').value = iso(new Date(today.getTime() - 29 * 86400000));
  // A key in the fragment (#key=…) is never sent to the server; it is moved to this tab's storage.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('key')) {
    sessionStorage.setItem('callroi.key', fragment.get('key'));
    history.replaceState(null, '', location.pathname);
  }
  if (fragment.get('from')) $('from').value = fragment.get('from');
  if (fragment.get('to')) $('to').value = fragment.get('to');
  $('key').value = sessionStorage.getItem('callroi.key') || '';

  async function get(path) {
    const res = await fetch(path, { headers: { Authorization: `Bearer ${$('key').value.trim()}` } });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : `HTTP ${res.status}`);
    return body;
  }

  // One point per day of the range (a day without calls is a 0, a rate without calls is a gap).
  function everyDay(rows) {
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const out = [];
    for (let d = new Date(`${$('from').value}T00:00:00Z`); iso(d) < $('to').value; d = new Date(d.getTime() + 86400000)) {
      out.push(byKey.get(iso(d)) || { key: iso(d), offered: 0, answered: 0, abandonmentRate: null, serviceLevel: null });
    }
    return out;
  }

  function line(svg, rows, series) {
    const w = 600, h = 160, pad = 8;
    const n = Math.max(rows.length - 1, 1);
    const max = Math.max(1, ...series.flatMap((s) => rows.map((r) => s.value(r) ?? 0)));
    const x = (i) => pad + (i / n) * (w - 2 * pad);
    const y = (v) => h - pad - (v / max) * (h - 2 * pad);
    svg.innerHTML = series.map((s) => {
      const pts = rows.map((r, i) => [i, s.value(r)]).filter(([, v]) => v !== null && v !== undefined);
      const path = pts.map(([i, v]) => `${x(i)},${y(v)}`).join(' ');
      const dots = pts.map(([i, v]) => `<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${s.color}"><title>${esc(rows[i].key)}: ${esc(v)}</title></circle>`).join('');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${path}"/>${dots}`;
    }).join('');
  }

  function table(rows, cols) {
    return `<table><tr>${cols.map((c) => `<th>${esc(c[0])}</th>`).join('')}</tr>${rows
      .map((r) => `<tr>${cols.map((c) => `<td>${esc(c[1](r))}</td>`).join('')}</tr>`)
      .join('')}</table>`;
  }

  async function load() {
    $('error').textContent = '';
    sessionStorage.setItem('callroi.key', $('key').value.trim());
    const range = `from=${$('from').value}&to=${$('to').value}`;
    try {
      const [days, agents, roi, alerts] = await Promise.all([
        get(`/v1/kpis?groupBy=day&${range}`),
        get(`/v1/kpis?groupBy=agent&${range}`),
        get(`/v1/roi?groupBy=campaign&${range}`),
        get(`/v1/alerts?${range}`),
      ]);
      const t = days.total;
      $('tiles').innerHTML = [
        ['offered', t.offered], ['answered', t.answered], ['abandonment', pct(t.abandonmentRate)], ['service level', pct(t.serviceLevel)],
        ['ASA (s)', num(t.asaSeconds, 1)], ['AHT (s)', num(t.ahtSeconds, 1)], ['FCR', pct(t.fcrRate)], ['ROI', roi.total.roiPercent === null ? '—' : `${roi.total.roiPercent}%`],
      ].map(([k, v]) => `<div class="tile"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('');
      const daily = everyDay(days.rows);
      line($('volume'), daily, [
        { color: '#4f8cff', value: (r) => r.offered },
        { color: '#1d2330', value: (r) => r.answered },
      ]);
      line($('rates'), daily, [
        { color: '#e5484d', value: (r) => r.abandonmentRate },
        { color: '#30a46c', value: (r) => r.serviceLevel },
      ]);
      $('roi').innerHTML = table(roi.rows, [
        ['campaign', (r) => r.name ?? r.key ?? '(none)'], ['calls', (r) => r.calls], ['deals', (r) => r.deals],
        [`revenue ${roi.currency}`, (r) => r.revenue], [`cost ${roi.currency}`, (r) => r.cost], ['ROI %', (r) => r.roiPercent],
      ]);
      $('agents').innerHTML = table(agents.rows, [
        ['agent', (r) => r.key ?? '(none)'], ['answered', (r) => r.answered], ['AHT (s)', (r) => num(r.ahtSeconds, 1)],
        ['FCR', (r) => pct(r.fcrRate)], ['occupancy', (r) => pct(r.occupancy)], ['calls/h', (r) => num(r.callsPerHour, 2)],
      ]);
      $('alerts').innerHTML = alerts.data.length
        ? alerts.data.map((a) => `<div class="alert"><b>${esc(a.type.replace('_', ' '))}</b> — ${esc(a.message)}</div>`).join('')
        : '<p class="muted">No anomaly in this range.</p>';
    } catch (err) {
      $('error').textContent = err.message;
    }
  }
  $('load').addEventListener('click', load);
  if ($('key').value) load();
})();
