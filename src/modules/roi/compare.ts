/**
 * compare=previous_period|previous_year on GET /v1/roi: the same request over the comparison
 * window (src/domain/compare.ts, as GET /v1/kpis), each row meeting its aligned row there — the
 * same dimension value, or under a time grouping the period at the same position (the 3rd month
 * with the 3rd month) — and the total meeting the total. A row meets the figures of nothing when
 * the other window has no such row; a time row whose position the shorter window lacks has
 * `compare: null`.
 */
import { alignPeriods, compareWindow, delta, type CompareMode } from '../../domain/compare.js';
import { isTimeGrouping, type RowKey } from './dimensions.js';

/** The figures a comparison carries (contract section 7): the contract's own, not the extras. */
const COMPARED = ['revenue', 'cost', 'net', 'roiPercent', 'calls', 'deals'] as const;
type Compared = { revenue: string; cost: string; net: string; roiPercent: number | null; calls: number; deals: number };

const NOTHING: Compared = { revenue: '0.00', cost: '0.00', net: '0.00', roiPercent: null, calls: 0, deals: 0 };

const comparedOf = (row: Compared): Compared => Object.fromEntries(COMPARED.map((f) => [f, row[f]])) as Compared;

export interface RoiComparison {
  key: RowKey;
  from: string;
  to: string;
  values: Compared;
  delta: ReturnType<typeof delta<Compared>>;
}

interface RoiAnswer<R extends Compared & { key: RowKey }, T extends Compared> {
  groupBy: string;
  total: T;
  rows: R[];
}

/**
 * `answer` over [from, to) with each row and the total carrying its comparison; `compute` answers
 * the same request over another window.
 */
export async function withRoiComparison<R extends Compared & { key: RowKey }, T extends Compared, A extends RoiAnswer<R, T>>(
  mode: CompareMode,
  range: { from: Date; to: Date },
  timezone: string,
  answer: A,
  compute: (window: { from: Date; to: Date }) => Promise<RoiAnswer<R, T>>,
): Promise<Omit<A, 'rows' | 'total'> & { compare: { mode: CompareMode; from: string; to: string }; total: T & { compare: RoiComparison }; rows: (R & { compare: RoiComparison | null })[] }> {
  const window = compareWindow(mode, range, timezone);
  const previous = await compute(window);
  const byKey = new Map(previous.rows.map((r) => [r.key, comparedOf(r)]));
  const compared = (row: Compared, key: RowKey, from: Date, to: Date, values: Compared = byKey.get(key) ?? NOTHING): RoiComparison => ({
    key,
    from: from.toISOString(),
    to: to.toISOString(),
    values,
    delta: delta(comparedOf(row), values),
  });
  const groupBy = answer.groupBy;
  const aligned = isTimeGrouping(groupBy) ? alignPeriods(groupBy, range, window, timezone) : null;
  const rows = answer.rows.map((row) => {
    if (!aligned) return { ...row, compare: compared(row, row.key, window.from, window.to) };
    const period = row.key === null ? undefined : aligned.get(row.key);
    return { ...row, compare: period ? compared(row, period.key, period.from, period.to) : null };
  });
  return {
    ...answer,
    compare: { mode, from: window.from.toISOString(), to: window.to.toISOString() },
    total: { ...answer.total, compare: compared(answer.total, null, window.from, window.to, comparedOf(previous.total)) },
    rows,
  };
}
