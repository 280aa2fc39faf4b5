/**
 * Agents and queues (named by the providers), and tenant-supplied staffed schedules (occupancy).
 */
import { Router } from 'express';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { NotFoundError } from '../../lib/errors.js';
import { getAgent, insertSchedules, listAgents, listQueues, listSchedules } from './agents.repo.js';
import { agentIdParams, scheduleRow, schedulesBody } from './agents.schemas.js';

export function agentRoutes(db: Database): Router {
  const router = Router();
  router.get('/v1/agents', async (req, res) => {
    const rows = await listAgents(db, tenantOf(req).id);
    res.json({ data: rows.map((a) => ({ id: a.id, name: a.name, provider: a.provider, createdAt: a.createdAt.toISOString() })) });
  });
  router.get('/v1/agents/:id', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const a = await getAgent(db, tenantOf(req).id, id);
    if (!a) throw new NotFoundError('Agent');
    res.json({ id: a.id, name: a.name, provider: a.provider, createdAt: a.createdAt.toISOString() });
  });
  router.get('/v1/agents/:id/schedules', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const tenantId = tenantOf(req).id;
    if (!(await getAgent(db, tenantId, id))) throw new NotFoundError('Agent');
    const rows = await listSchedules(db, tenantId, id);
    res.json({ data: rows.map((r) => ({ start: r.startsAt.toISOString(), end: r.endsAt.toISOString() })) });
  });
  router.post('/v1/agents/:id/schedules', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const body = parseWith(schedulesBody, req.body);
    const tenantId = tenantOf(req).id;
    if (!(await getAgent(db, tenantId, id))) throw new NotFoundError('Agent');
    const good: { startsAt: Date; endsAt: Date }[] = [];
    const rejected: { index: number; error: string }[] = [];
    body.schedules.forEach((raw, index) => {
      const parsed = scheduleRow.safeParse(raw);
      if (parsed.success) good.push({ startsAt: new Date(parsed.data.start), endsAt: new Date(parsed.data.end) });
      else rejected.push({ index, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') });
    });
    await insertSchedules(db, tenantId, id, good);
    res.json({ upserted: good.length, rejected });
  });
  router.get('/v1/queues', async (req, res) => {
    const rows = await listQueues(db, tenantOf(req).id);
    res.json({ data: rows.map((q) => ({ id: q.queueId, name: q.name, provider: q.provider })) });
  });
  return router;
}
