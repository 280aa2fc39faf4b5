/**
 * A PostgreSQL array literal for one bound parameter (`${pgArray(xs)}::text[]`): drizzle expands a
 * JS array into a list of parameters, which `= any(...)` and `unnest(...)` cannot take.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
