/** OpenAPI descriptions of the agent and queue routes. */
import { z } from 'zod';
import type { Operation } from '../../http/openapi.js';
import { bulkAnswer } from '../surveys/index.js';
import { agentView, linkAgentBody, patchAgentBody, queueView, scheduleRow } from './agents.schemas.js';

export const agentOperations: Operation[] = [
  { method: 'get', path: '/v1/agents', operationId: 'listAgents', tag: 'agents', auth: 'tenant', summary: 'Agents seen on calls, with names from the providers', response: z.object({ data: z.array(agentView) }) },
  { method: 'get', path: '/v1/agents/:id', operationId: 'getAgent', tag: 'agents', auth: 'tenant', summary: 'One agent', response: agentView },
  { method: 'get', path: '/v1/agents/:id/schedules', operationId: 'listAgentSchedules', tag: 'agents', auth: 'tenant', summary: "An agent's staffed periods (occupancy)", response: z.object({ data: z.array(z.object({ start: z.string(), end: z.string() })) }) },
  {
    method: 'patch',
    path: '/v1/agents/:id',
    operationId: 'updateAgent',
    tag: 'agents',
    auth: 'tenant',
    summary: "Set an agent's display name and email (null clears them)",
    body: patchAgentBody,
    response: agentView,
  },
  {
    method: 'post',
    path: '/v1/agents/:id/link',
    operationId: 'linkAgent',
    tag: 'agents',
    auth: 'tenant',
    status: 200,
    summary: 'Link another agent as the same person (on another provider): KPIs and ROI count its calls under this id',
    description:
      'Filters and agent-scoped costs naming either id apply to the pair. One level only: a linked agent cannot take links (409), an agent with links cannot be linked (409).',
    body: linkAgentBody,
    response: agentView,
  },
  {
    method: 'delete',
    path: '/v1/agents/:id/link',
    operationId: 'unlinkAgent',
    tag: 'agents',
    auth: 'tenant',
    summary: "Undo this agent's link (or the links of the agents linked to it): each counts under its own id again",
    response: agentView,
  },
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
];
