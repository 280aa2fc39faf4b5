// Formatting for people: every figure with its unit, dates in the tenant's timezone.
const DASH = '—';
const counts = new Intl.NumberFormat('en-US');

export const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export const fmt = {
  count: (v) => (isNum(v) ? counts.format(v) : DASH),
  /** A fraction (0.123) as a percentage with one decimal. */
  pct: (v) => (isNum(v) ? `${(v * 100).toFixed(1)}%` : DASH),
  seconds: (v) => (isNum(v) ? `${Math.round(v)} s` : DASH),
  nps: (v) => (isNum(v) ? v.toFixed(1) : DASH),
  /** A percentage already in percent (ROI). */
  percent: (v) => (isNum(v) ? `${v.toFixed(2)}%` : DASH),
  /** Money arrives as an exact decimal string; Intl formats the string without going through a float. */
  money: (v, currency) => (v === null || v === undefined ? DASH : new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(v)),
  number: (v, d = 2) => (isNum(v) ? v.toFixed(d) : DASH),
};

/** 'YYYY-MM-DD' of an instant in a timezone. */
export function localDate(ms, tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Offset of a timezone at an instant, in ms (local wall time − UTC). */
function offsetAt(ms, tz) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant (ms) of a wall-clock time in a timezone. */
export function zonedMs(y, m, d, h, tz) {
  const guess = Date.UTC(y, m - 1, d, h);
  let ms = guess - offsetAt(guess, tz);
  ms = guess - offsetAt(ms, tz);
  return ms;
}

/** The start (ms) of a time bucket key of /v1/kpis or /v1/roi, in the tenant's timezone. */
export function keyToMs(key, tz) {
  if (typeof key !== 'string') return null;
  let m;
  if ((m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2})(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})$/.exec(key))) return Date.parse(key);
  if ((m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2})/.exec(key))) return zonedMs(+m[1], +m[2], +m[3], +m[4], tz);
  if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key))) return zonedMs(+m[1], +m[2], +m[3], 0, tz);
  if ((m = /^(\d{4})-W(\d{2})$/.exec(key))) {
    // ISO week: the Monday of the week holding 4 January, plus the weeks.
    const jan4 = new Date(Date.UTC(+m[1], 0, 4));
    const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000 + (+m[2] - 1) * 7 * 86_400_000);
    return zonedMs(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), 0, tz);
  }
  if ((m = /^(\d{4})-Q([1-4])$/.exec(key))) return zonedMs(+m[1], (+m[2] - 1) * 3 + 1, 1, 0, tz);
  if ((m = /^(\d{4})-(\d{2})$/.exec(key))) return zonedMs(+m[1], +m[2], 1, 0, tz);
  return null;
}

/** Every bucket key of a range [from, to) of local dates, for a time grouping (hour excepted). */
export function bucketKeys(from, to, grain) {
  const keys = [];
  for (let d = from; d < to; d = addDays(d, 1)) {
    let k = d;
    if (grain === 'month') k = d.slice(0, 7);
    else if (grain === 'quarter') k = `${d.slice(0, 4)}-Q${Math.floor((+d.slice(5, 7) - 1) / 3) + 1}`;
    else if (grain === 'week') k = isoWeek(d);
    if (keys[keys.length - 1] !== k) keys.push(k);
  }
  return keys;
}

function isoWeek(date) {
  const d = new Date(`${date}T00:00:00Z`);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3); // the Thursday of the week decides its year
  const year = d.getUTCFullYear();
  const week = 1 + Math.floor((d - Date.UTC(year, 0, 1)) / 86_400_000 / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function dateTime(iso, tz) {
  if (!iso) return DASH;
  return new Intl.DateTimeFormat('en-US', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function dateLabel(date) {
  return new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', dateStyle: 'medium' }).format(new Date(`${date}T00:00:00Z`));
}
