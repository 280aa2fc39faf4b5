/**
 * The shapes in which lists travel as SQL parameters, in one place. drizzle expands a JS array
 * into one parameter per element, which `= any(...)`, `unnest(...)` and `in (select ...)` cannot
 * take, and which hits PostgreSQL's 65 535-parameter limit on large lists: each helper below sends
 * the whole list as one parameter.
 */
import { sql, type SQL } from 'drizzle-orm';

/** A PostgreSQL array literal for one bound parameter (`${pgArray(xs)}::text[]`, `::date[]`, `::timestamptz[]`). */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** A list of ids as one SQL parameter (a JSON array), usable as `x in (${idList(ids)})` or `(${idList(ids)}) as d(x)`. */
export function idList(ids: readonly string[]): SQL {
  return sql`select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)`;
}
