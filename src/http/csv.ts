/**
 * CSV as spreadsheets read it (RFC 4180): a header row, fields quoted when they hold a comma, a
 * quote or a line break, quotes doubled. Values are written as the JSON answers hold them (money
 * as its 2-decimal string, rates as fractions), so a CSV and its JSON never disagree.
 */
export type CsvValue = string | number | boolean | null | undefined;

function field(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // A leading = + - @ would be read as a formula by spreadsheets: quote-prefix it, unless the
  // whole field is a plain number (-12.50, an E.164 +14155550123), which no spreadsheet runs.
  const safe = /^[=+\-@]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(values: CsvValue[]): string {
  return `${values.map(field).join(',')}\r\n`;
}

export function toCsv(header: string[], rows: CsvValue[][]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/** The client asked for CSV: `Accept: text/csv` or `?format=csv`. */
export function wantsCsv(req: { get(name: string): string | undefined; query: unknown }): boolean {
  const format = (req.query as Record<string, unknown> | undefined)?.format;
  if (format === 'csv') return true;
  const accept = req.get('accept') ?? '';
  return /(^|,)\s*text\/csv/i.test(accept);
}

/**
 * One JSON record as CSV cells: a nested object becomes dotted columns (`compare.values.offered`),
 * a list one cell with its items joined by "; " (a target as `serviceLevel >= 0.8 met`).
 */
export function flattenRecord(value: Record<string, unknown>, prefix = '', out: Record<string, CsvValue> = {}): Record<string, CsvValue> {
  for (const [k, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) out[name] = v.map(listItem).join('; ');
    else if (v !== null && typeof v === 'object' && !(v instanceof Date)) flattenRecord(v as Record<string, unknown>, name, out);
    else out[name] = v instanceof Date ? v.toISOString() : (v as CsvValue);
  }
  return out;
}

function listItem(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v ?? '');
  const t = v as Record<string, unknown>;
  if ('kpi' in t && 'comparison' in t && 'value' in t && 'met' in t) {
    return `${String(t.kpi)} ${String(t.comparison)} ${String(t.value)} ${t.met === null ? 'no data' : t.met ? 'met' : 'missed'}`;
  }
  if ('id' in t && Object.keys(t).length <= 2) return String(t.id);
  return JSON.stringify(v);
}

/** Records as one CSV table: the columns are every field of every record, in order of appearance. */
export function recordsCsv(records: Record<string, unknown>[]): string {
  const flat = records.map((r) => flattenRecord(r));
  const columns = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return toCsv(columns, flat.map((r) => columns.map((c) => r[c])));
}

/** Answer with a CSV attachment. */
export function sendCsv(res: { type(t: string): unknown; set(k: string, v: string): unknown; send(b: string): unknown }, filename: string, body: string): void {
  res.type('text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${filename}"`);
  res.send(body);
}

/** The `format` query field of the routes that answer CSV too. */
export const formatField = ['json', 'csv'] as const;
