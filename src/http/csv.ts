/**
 * CSV as spreadsheets read it (RFC 4180): a header row, fields quoted when they hold a comma, a
 * quote or a line break, quotes doubled. Values are written as the JSON answers hold them (money
 * as its 2-decimal string, rates as fractions), so a CSV and its JSON never disagree.
 */
export type CsvValue = string | number | boolean | null | undefined;

function field(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // A leading = + - @ would be read as a formula by spreadsheets: quote-prefix it.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
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
