import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { bulkAnswer, surveyRow } from './surveys.schemas.js';

export const surveyOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/surveys',
    operationId: 'postSurveys',
    tag: 'surveys',
    auth: 'tenant',
    status: 200,
    summary: 'CSAT (1-5) and NPS (0-10) responses, each naming its call by callId or provider + providerCallId',
    body: z.object({ responses: z.array(surveyRow) }),
    response: bulkAnswer,
  },
];
