/**
 * Agents and queues (named by the providers), what the tenant says of an agent (display name,
 * email, the same person on two providers), and tenant-supplied staffed schedules (occupancy).
 */
import { Router } from 'express';
import type { Database, Tx } from '../../db/client.js';
import type { AgentRow } from '../../db/schema/index.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../lib/errors.js';
import { getAgent, insertSchedules, linkedAgents, listAgents, listQueues, listSchedules, setLinks, updateAgent } from './agents.repo.js';
import { agentIdParams, linkAgentBody, patchAgentBody, scheduleRow, schedulesBody } from './agents.schemas.js';

/** Told, inside the transaction, which agents' calls now count under another id (or their own again). */
export type LinksChanged = (tx: Tx, tenantId: string, agentIds: string[]) => Promise<void>;

function agentView(a: AgentRow, linked: string[]) {
  return {
    id: a.id,
    name: a.name,
    displayName: a.displayName,
    email: a.email,
    provider: a.provider,
    linkedTo: a.linkedTo,
    linked,
    createdAt: a.createdAt.toISOString(),
  };
}

export function agentRoutes(db: Database, onLinksChanged: LinksChanged = async () => undefined): Router {
  const router = Router();
  router.get('/v1/agents', async (req, res) => {
    const rows = await listAgents(db, tenantOf(req).id);
    const linked = new Map<string, string[]>();
    for (const a of rows) if (a.linkedTo) linked.set(a.linkedTo, [...(linked.get(a.linkedTo) ?? []), a.id]);
    res.json({ data: rows.map((a) => agentView(a, linked.get(a.id) ?? [])) });
  });
  router.get('/v1/agents/:id', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const tenantId = tenantOf(req).id;
    const a = await getAgent(db, tenantId, id);
    if (!a) throw new NotFoundError('Agent');
    res.json(agentView(a, await linkedAgents(db, tenantId, id)));
  });
  router.patch('/v1/agents/:id', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const body = parseWith(patchAgentBody, req.body);
    const tenantId = tenantOf(req).id;
    const a = await updateAgent(db, tenantId, id, body);
    if (!a) throw new NotFoundError('Agent');
    res.json(agentView(a, await linkedAgents(db, tenantId, id)));
  });
  /**
   * Link `agentId` to this agent: the same person on two providers. The other agent's calls,
   * schedules and scoped costs then count under this agent's id. One level only: an agent that is
   * linked cannot take links, and an agent that has links cannot be linked.
   */
  router.post('/v1/agents/:id/link', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const { agentId: otherId } = parseWith(linkAgentBody, req.body);
    const tenantId = tenantOf(req).id;
    if (otherId === id) throw new BadRequestError('an agent cannot be linked to itself');
    const view = await db.transaction(async (tx) => {
      const [a, other] = [await getAgent(tx, tenantId, id), await getAgent(tx, tenantId, otherId)];
      if (!a) throw new NotFoundError('Agent');
      if (!other) throw new NotFoundError(`Agent ${otherId}`);
      if (a.linkedTo !== null) throw new ConflictError(`agent ${id} is itself linked to ${a.linkedTo}: link to that agent instead`, { linkedTo: a.linkedTo });
      if (other.linkedTo !== null && other.linkedTo !== id) {
        throw new ConflictError(`agent ${otherId} is already linked to ${other.linkedTo}`, { linkedTo: other.linkedTo });
      }
      if ((await linkedAgents(tx, tenantId, otherId)).length > 0) throw new ConflictError(`agent ${otherId} has agents linked to it`);
      if (other.linkedTo !== id) {
        await setLinks(tx, tenantId, [otherId], id);
        await onLinksChanged(tx, tenantId, [otherId]);
      }
      return agentView(a, await linkedAgents(tx, tenantId, id));
    });
    res.json(view);
  });
  /** Undo links: of this agent to another, or of every agent linked to this one. */
  router.delete('/v1/agents/:id/link', async (req, res) => {
    const { id } = parseWith(agentIdParams, req.params, 'params');
    const tenantId = tenantOf(req).id;
    const view = await db.transaction(async (tx) => {
      const a = await getAgent(tx, tenantId, id);
      if (!a) throw new NotFoundError('Agent');
      const unlinked = a.linkedTo !== null ? [id] : await linkedAgents(tx, tenantId, id);
      await setLinks(tx, tenantId, unlinked, null);
      await onLinksChanged(tx, tenantId, unlinked);
      return agentView({ ...a, linkedTo: null }, a.linkedTo !== null ? [] : await linkedAgents(tx, tenantId, id));
    });
    res.json(view);
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
