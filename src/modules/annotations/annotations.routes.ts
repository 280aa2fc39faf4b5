import { Router } from 'express';
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { tenantOf } from '../../http/auth.js';
import { bulkResult } from '../../http/bulk.js';
import { parseWith } from '../../http/validate.js';
import { annotationRow, annotationsBody } from './annotations.schemas.js';
import type { AnnotationsService } from './annotations.service.js';

export function annotationRoutes(service: AnnotationsService): Router {
  const router = Router();
  router.post('/v1/calls/annotations', async (req, res) => {
    const body = parseWith(annotationsBody, req.body);
    res.json(await service.upsert(tenantOf(req), body.annotations));
  });
  return router;
}

export const annotationOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/calls/annotations',
    operationId: 'annotateCalls',
    tag: 'calls',
    auth: 'tenant',
    status: 200,
    summary: "What the tenant's speech analytics say of calls (sentiment, summary, topics, outcome, handledBy), each naming its call by callId or provider + providerCallId; a bad row is rejected alone",
    body: z.object({ annotations: z.array(annotationRow) }),
    response: bulkResult,
  },
];
