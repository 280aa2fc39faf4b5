/** OpenAPI description of GET /v1/kpis. */
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { kpiRowSchema, kpisQuery, kpisResponse } from './kpis.schemas.js';
import { rowTargetSchema } from '../targets/index.js';

export const kpiOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/kpis',
    operationId: 'getKpis',
    tag: 'kpis',
    auth: 'tenant',
    summary: 'Contact-centre KPIs by hour, day, week, month, quarter, agent, queue, campaign, channel, provider or direction',
    description:
      'Definitions: CONTRACT.md section 6. The `definitions` block says which settings produced the figures. `compare=previous_period|previous_year` adds to each row and the total the figures of the comparison window and the differences.',
    query: kpisQuery,
    response: kpisResponse.extend({
      rows: z.array(kpiRowSchema.extend({ targets: z.array(rowTargetSchema).describe('the targets that apply to this row, met or not') })),
      total: kpiRowSchema.extend({ targets: z.array(rowTargetSchema) }),
    }),
  },
];
