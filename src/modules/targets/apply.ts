/**
 * Which targets apply to a row of `/v1/kpis` or `/v1/roi`, and whether the row meets them.
 *
 * - The KPI must be a figure of the row (ROI % on ROI rows, section 6 figures on KPI rows).
 * - A target with a period applies to the rows of that time grouping only (a daily target to
 *   `groupBy=day` rows), never to the range's total.
 * - Each field of its scope must be matched, either by the query's filter on that dimension or by
 *   the row's own key when the rows are grouped by it (a campaign's target on that campaign's row).
 *   An unscoped target is a tenant-wide standard: it applies to every row.
 */
import { Decimal } from 'decimal.js';
import type { TargetRow } from '../../db/schema/index.js';
import type { ScopeJson } from '../../db/schema/improvement.js';

export interface RowTarget {
  id: string;
  kpi: string;
  comparison: '>=' | '<=';
  value: number;
  met: boolean | null;
}

export interface TargetContext {
  groupBy: string;
  /** The query's filters on scope dimensions. */
  filters: ScopeJson;
}

const SCOPE_DIMENSIONS: Record<keyof ScopeJson, string> = { campaignId: 'campaign', agentId: 'agent', queue: 'queue', channel: 'channel' };

function applies(t: TargetRow, ctx: TargetContext, key: string | null | undefined, isTotal: boolean): boolean {
  if (t.period !== null && (isTotal || t.period !== ctx.groupBy)) return false;
  for (const [field, wanted] of Object.entries(t.scope ?? {}) as [keyof ScopeJson, string | undefined][]) {
    if (wanted === undefined) continue;
    if (ctx.filters[field] === wanted) continue;
    if (!isTotal && ctx.groupBy === SCOPE_DIMENSIONS[field] && key === wanted) continue;
    return false;
  }
  return true;
}

export function meets(value: unknown, comparison: string, target: string): boolean | null {
  if (value === null || value === undefined) return null;
  const v = new Decimal(typeof value === 'number' || typeof value === 'string' ? value : Number.NaN);
  if (!v.isFinite()) return null;
  return comparison === '>=' ? v.gte(target) : v.lte(target);
}

/** The targets that apply to one row (its figures by name), with `met`. */
export function targetsOfRow(all: TargetRow[], ctx: TargetContext, row: Record<string, unknown> & { key?: string | null }, isTotal: boolean): RowTarget[] {
  return all
    .filter((t) => t.kpi in row && applies(t, ctx, row.key, isTotal))
    .map((t) => ({ id: t.id, kpi: t.kpi, comparison: t.comparison as '>=' | '<=', value: Number(t.value), met: meets(row[t.kpi], t.comparison, t.value) }));
}

/** Decorates a `{ rows, total }` answer in place: every row and the total get `targets`. */
export function withTargets<R extends Record<string, unknown> & { key?: string | null }>(
  all: TargetRow[],
  ctx: TargetContext,
  answer: { rows: R[]; total: R },
): { rows: (R & { targets: RowTarget[] })[]; total: R & { targets: RowTarget[] } } {
  return {
    ...answer,
    rows: answer.rows.map((r) => ({ ...r, targets: targetsOfRow(all, ctx, r, false) })),
    total: { ...answer.total, targets: targetsOfRow(all, ctx, answer.total, true) },
  };
}
