import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import { toCsv, wantsCsv } from '../../http/csv.js';
import type { Operation } from '../../http/openapi.js';
import { parseWith } from '../../http/validate.js';
import { monthlyReport, monthlyReportQuery, REPORT_CSV_HEADER, reportCsvRows } from './reports.service.js';

export function reportRoutes(db: Database): Router {
  const router = Router();
  router.get('/v1/reports/monthly', async (req, res) => {
    const q = parseWith(monthlyReportQuery, req.query, 'query');
    const report = await monthlyReport(db, tenantOf(req), q.month);
    if (wantsCsv(req)) {
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="callroi-${q.month}.csv"`)
        .send(toCsv(REPORT_CSV_HEADER, reportCsvRows(report)));
      return;
    }
    res.json(report);
  });
  return router;
}

const line = z.object({
  key: z.string().nullable(),
  values: z.record(z.string(), z.unknown()),
  previous: z.record(z.string(), z.unknown()).nullable(),
  delta: z.record(z.string(), z.unknown()),
  targets: z.array(z.object({ id: z.string(), kpi: z.string(), comparison: z.string(), value: z.number(), met: z.boolean().nullable() })),
});

export const reportOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/reports/monthly',
    operationId: 'getMonthlyReport',
    tag: 'reports',
    auth: 'tenant',
    summary: "The month's KPIs and ROI (total, by campaign, channel, agent) against the previous month and the targets, its alerts and the initiatives' impact; CSV with Accept: text/csv",
    query: monthlyReportQuery,
    response: z.object({
      month: z.string(),
      previousMonth: z.string(),
      currency: z.string(),
      timezone: z.string(),
      kpis: z.record(z.string(), z.array(line)),
      roi: z.record(z.string(), z.array(line)),
      alerts: z.array(z.record(z.string(), z.unknown())),
      initiatives: z.array(z.record(z.string(), z.unknown())),
    }),
  },
];
