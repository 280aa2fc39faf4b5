import { z } from 'zod';
import { formatField } from '../../http/csv.js';
import { compareModes } from '../../domain/compare.js';
import { attributionModels, DEFAULT_ATTRIBUTION_MODEL, DEFAULT_WINDOW_DAYS } from '../../domain/attribution/models.js';
import { groupByDimensions } from './dimensions.js';

export const roiBases = ['revenue', 'margin'] as const;
export type RoiBasis = (typeof roiBases)[number];

/** An instant with an offset, or a date (`YYYY-MM-DD`) meaning 00:00 that day in the tenant's timezone. */
const instantOrDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export const roiQuery = z
  .object({
    from: instantOrDate.optional(),
    to: instantOrDate.optional(),
    groupBy: z.enum(groupByDimensions).default('campaign'),
    model: z.enum(attributionModels).default(DEFAULT_ATTRIBUTION_MODEL),
    windowDays: z.coerce.number().int().min(1).max(365).default(DEFAULT_WINDOW_DAYS),
    /** `csv`: the rows and the total as CSV (as `Accept: text/csv`). */
    format: z.enum(formatField).optional(),
    /** What `revenue` holds: the deals' amounts (default) or their margins. */
    basis: z.enum(roiBases).default('revenue'),
    /** Adds to each row and the total the same figures over an earlier window (./compare.ts). */
    compare: z.enum(compareModes).optional(),
  })
  .strict();

export type RoiQuery = z.infer<typeof roiQuery>;
