/** OpenAPI descriptions of the KPI, agent, queue and survey routes (issue 4). */
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { agentView, queueView, scheduleRow } from '../agents/agents.schemas.js';
import { bulkAnswer, surveyRow } from '../surveys/surveys.schemas.js';
import { kpisQuery, kpisResponse } from './kpis.schemas.js';

export const kpiOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/kpis',
    operationId: 'getKpis',
    tag: 'kpis',
    auth: 'tenant',
    summary: 'Contact-centre KPIs by day, week, month, agent, queue, campaign, channel, provider or direction',
    description: 'Definitions: CONTRACT.md section 6. The `definitions` block says which settings produced the figures.',
    query: kpisQuery,
    response: kpisResponse,
  },
  { method: 'get', path: '/v1/agents', operationId: 'listAgents', tag: 'agents', auth: 'tenant', summary: 'Agents seen on calls, with names from the providers', response: z.object({ data: z.array(agentView) }) },
  { method: 'get', path: '/v1/agents/:id', operationId: 'getAgent', tag: 'agents', auth: 'tenant', summary: 'One agent', response: agentView },
  { method: 'get', path: '/v1/agents/:id/schedules', operationId: 'listAgentSchedules', tag: 'agents', auth: 'tenant', summary: "An agent's staffed periods (occupancy)", response: z.object({ data: z.array(z.object({ start: z.string(), end: z.string() })) }) },
  {
    method: 'post',
    path: '/v1/agents/:id/schedules',
    operationId: 'addAgentSchedules',
    tag: 'agents',
    auth: 'tenant',
    status: 200,
    summary: 'Add staffed periods (occupancy where the provider reports no availability); bad rows are rejected one by one',
    body: z.object({ schedules: z.array(scheduleRow) }),
    response: bulkAnswer,
  },
  { method: 'get', path: '/v1/queues', operationId: 'listQueues', tag: 'agents', auth: 'tenant', summary: 'Queues seen on calls', response: z.object({ data: z.array(queueView) }) },
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
