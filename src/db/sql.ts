/**
 * The shapes in which lists travel as SQL parameters, in one place. drizzle expands a JS array
 * into one parameter per element, which `= any(...)`, `unnest(...)` and `in (select ...)` cannot
 * take, and which hits PostgreSQL's 65 535-parameter limit on large lists: each helper below sends
 * the whole list as one parameter.
 */
import { getTableColumns, sql, type Column, type InferSelectModel, type SQL, type Table } from 'drizzle-orm';

/** A PostgreSQL array literal for one bound parameter (`${pgArray(xs)}::text[]`, `::date[]`, `::timestamptz[]`). */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** A list of ids as one SQL parameter (a JSON array), usable as `x in (${idList(ids)})` or `(${idList(ids)}) as d(x)`. */
export function idList(ids: readonly string[]): SQL {
  return sql`select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)`;
}

/**
 * Column names for raw SQL, taken from the drizzle schema so that a rename fails to compile:
 * `names(t.a, t.b)` for an insert's column list, `col('c', calls.startedAt)` for an aliased table.
 * (A bare `${table.column}` renders "table"."column", right wherever the table is not aliased.)
 */
export function names(...columns: readonly { name: string }[]): SQL {
  return sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
}

export function col(alias: string, column: { name: string }): SQL {
  return sql`${sql.identifier(alias)}.${sql.identifier(column.name)}`;
}

/** An upsert's `set`: each of these columns takes the value the insert proposed (`excluded.<column>`). */
export function fromExcluded<K extends string>(columns: Record<K, { name: string }>): Record<K, SQL> {
  return Object.fromEntries(Object.entries<{ name: string }>(columns).map(([key, c]) => [key, sql`excluded.${sql.identifier(c.name)}`])) as Record<K, SQL>;
}

/** An upsert's `setWhere`: the stored row differs from the proposed one on one of these columns. */
export function changedFrom(columns: Record<string, { name: string }>): SQL {
  const cs = Object.values(columns);
  return sql`(${sql.join(cs, sql`, `)}) is distinct from (${sql.join(
    cs.map((c) => sql`excluded.${sql.identifier(c.name)}`),
    sql`, `,
  )})`;
}

const columnsOf = new WeakMap<Table, [string, Column][]>();

/**
 * A row of raw SQL (`returning *`, `t.*`: the columns' SQL names and the driver's values) as
 * drizzle's own select reads it: each column through its mapFromDriverValue. For statements drizzle
 * cannot build (several writes in one round trip) that hand rows on as the table's type.
 */
export function rowFrom<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  let columns = columnsOf.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    columnsOf.set(table, columns);
  }
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const v = raw[column.name];
    row[key] = v === null || v === undefined ? null : column.mapFromDriverValue(v);
  }
  return row as InferSelectModel<T>;
}
