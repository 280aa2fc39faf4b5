import { Router } from 'express';
import type { Database } from '../../db/client.js';
import type { TenantRow } from '../../db/schema/index.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { recordsCsv, sendCsv, wantsCsv } from '../../http/csv.js';
import { dayStartUtc } from '../../domain/costs/prorate.js';
import { ValidationError } from '../../lib/errors.js';
import { roiQuery } from './roi.schemas.js';
import { computeRoi } from './roi.service.js';
import { withRoiComparison } from './compare.js';
import { listTargets, withTargets } from '../targets/index.js';

const DEFAULT_RANGE_MS = 30 * 86_400_000;

type RoiAnswer = Awaited<ReturnType<typeof computeRoi>>;
type RoiWindowRequest = Parameters<typeof computeRoi>[2];

/**
 * Figures other modules add to every row and the total of an answer, by row key and the row's
 * cost, over the same window and grouping (app.ts hands in the KPI module's cost of inefficiency):
 * this module reads no other module's figures itself.
 */
export type RoiRowFigures = (
  tenant: TenantRow,
  request: RoiWindowRequest,
) => Promise<{ row(key: string | null, costCents: bigint | null): Record<string, unknown>; total(costCents: bigint | null): Record<string, unknown> }>;

/** A 2-decimal money string in cents, exactly. */
const centsOf = (money: string): bigint => BigInt(money.replace('.', ''));

function withRowFigures(answer: RoiAnswer, figures: Awaited<ReturnType<RoiRowFigures>>): RoiAnswer {
  return {
    ...answer,
    rows: answer.rows.map((r) => ({ ...r, ...figures.row(r.key, centsOf(r.cost)) })),
    total: { ...answer.total, ...figures.total(centsOf(answer.total.cost)) },
  };
}

/** A date is 00:00 that day in the tenant's timezone; an instant is itself. */
function toInstant(value: string, timezone: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? dayStartUtc(value, timezone) : new Date(value);
}

export function roiRoutes(db: Database, rowFigures?: RoiRowFigures): Router {
  const router = Router();
  router.get('/v1/roi', async (req, res) => {
    const tenant = tenantOf(req);
    const q = parseWith(roiQuery, req.query, 'query');
    const to = q.to ? toInstant(q.to, tenant.timezone) : new Date();
    const from = q.from ? toInstant(q.from, tenant.timezone) : new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from >= to) throw new ValidationError([{ path: 'query.to', message: 'to must be after from' }]);
    const request = { groupBy: q.groupBy, model: q.model, windowDays: q.windowDays, basis: q.basis };
    const answerOver = async (window: { from: Date; to: Date }) => {
      const [answer, figures] = await Promise.all([
        computeRoi(db, tenant, { ...request, ...window }),
        rowFigures ? rowFigures(tenant, { ...request, ...window }) : null,
      ]);
      return figures ? withRowFigures(answer, figures) : answer;
    };
    const compared = async () => {
      const answer = await answerOver({ from, to });
      return q.compare ? withRoiComparison(q.compare, { from, to }, tenant.timezone, answer, answerOver) : answer;
    };
    const [answer, targets] = await Promise.all([compared(), listTargets(db, tenant.id)]);
    const body = withTargets(targets, { groupBy: q.groupBy, filters: {} }, answer);
    if (wantsCsv(req)) {
      sendCsv(res, `callroi-roi-${q.groupBy}.csv`, recordsCsv([...body.rows.map((r) => ({ row: 'row', ...r })), { row: 'total', ...body.total }]));
      return;
    }
    res.json(body);
  });
  return router;
}
