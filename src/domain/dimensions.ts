/**
 * The call dimensions that derived tables keep one row per value of (KPI rollups, ROI days), in the
 * order their rows list them. `all` is the whole period without a dimension.
 */
export const DIMENSIONS = ['agent', 'queue', 'campaign', 'provider', 'direction'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** A period's rows: the whole period, then one per value of each dimension. */
export const PERIOD_DIMS = ['all', ...DIMENSIONS] as const;
export type PeriodDim = (typeof PERIOD_DIMS)[number];
