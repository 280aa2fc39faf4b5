import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { bulkBody } from '../../http/bulk.js';
import { externalIdParam } from './crm.schemas.js';
import type { CrmService } from './crm.service.js';

const contactsBody = bulkBody('contacts');
const dealsBody = bulkBody('deals');
const leadsBody = bulkBody('leads');
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

export function crmRoutes(crm: CrmService): Router {
  const router = Router();
  router.post('/v1/crm/contacts', async (req, res) => {
    const { contacts } = parseWith(contactsBody, req.body);
    res.json(await crm.upsertContacts(tenantOf(req), contacts));
  });
  router.post('/v1/crm/deals', async (req, res) => {
    const { deals } = parseWith(dealsBody, req.body);
    res.json(await crm.upsertDeals(tenantOf(req), deals));
  });
  router.get('/v1/crm/deals', async (req, res) => {
    const { limit } = parseWith(listQuery, req.query, 'query');
    res.json({ data: await crm.listDeals(tenantOf(req), limit) });
  });
  router.post('/v1/crm/leads', async (req, res) => {
    const { leads } = parseWith(leadsBody, req.body);
    res.json(await crm.upsertLeads(tenantOf(req), leads));
  });
  router.get('/v1/crm/leads', async (req, res) => {
    const { limit } = parseWith(listQuery, req.query, 'query');
    res.json({ data: await crm.listLeads(tenantOf(req), limit) });
  });
  router.get('/v1/crm/leads/:externalId', async (req, res) => {
    res.json(await crm.getLead(tenantOf(req), parseWith(externalIdParam, req.params, 'params').externalId));
  });
  router.delete('/v1/crm/leads/:externalId', async (req, res) => {
    await crm.deleteLead(tenantOf(req), parseWith(externalIdParam, req.params, 'params').externalId);
    res.status(204).end();
  });
  router.get('/v1/crm/contacts/:externalId', async (req, res) => {
    res.json(await crm.getContact(tenantOf(req), parseWith(externalIdParam, req.params, 'params').externalId));
  });
  router.get('/v1/crm/deals/:externalId', async (req, res) => {
    res.json(await crm.getDeal(tenantOf(req), parseWith(externalIdParam, req.params, 'params').externalId));
  });
  router.delete('/v1/crm/contacts/:externalId', async (req, res) => {
    await crm.deleteContact(tenantOf(req), parseWith(externalIdParam, req.params, 'params').externalId);
    res.status(204).end();
  });
  router.delete('/v1/crm/deals/:externalId', async (req, res) => {
    await crm.deleteDeal(tenantOf(req), parseWith(externalIdParam, req.params, 'params').externalId);
    res.status(204).end();
  });
  return router;
}
