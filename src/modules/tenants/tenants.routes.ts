import { Router } from 'express';
import { requireAdmin, tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import type { Operation } from '../../http/openapi.js';
import { createTenantBody, patchTenantBody, rotateKeyBody, settingsSchema } from './tenants.schemas.js';
import { tenantView, type TenantsService } from './tenants.service.js';
import { z } from 'zod';

/** POST /v1/tenants is the platform operator's (admin token); the rest is the tenant's own. */
export function adminTenantRoutes(tenants: TenantsService, adminToken: string): Router {
  const router = Router();
  router.post('/v1/tenants', requireAdmin(adminToken), async (req, res) => {
    const body = parseWith(createTenantBody, req.body);
    res.status(201).json(await tenants.create(body));
  });
  return router;
}

export function tenantRoutes(tenants: TenantsService, onSettingsChanged: (tenantId: string) => Promise<void>): Router {
  const router = Router();
  router.get('/v1/tenants/current', (req, res) => {
    res.json(tenantView(tenantOf(req)));
  });
  router.patch('/v1/tenants/current', async (req, res) => {
    const patch = parseWith(patchTenantBody, req.body);
    const updated = await tenants.update(tenantOf(req), patch);
    if (patch.settings || patch.timezone) await onSettingsChanged(updated.id);
    res.json(tenantView(updated));
  });
  router.post('/v1/tenants/current/keys', async (req, res) => {
    const { graceSeconds } = parseWith(rotateKeyBody, req.body ?? {});
    res.status(201).json(await tenants.rotateKey(tenantOf(req).id, graceSeconds));
  });
  router.delete('/v1/tenants/current/keys/previous', async (req, res) => {
    await tenants.revokePreviousKey(tenantOf(req).id);
    res.status(204).end();
  });
  return router;
}

const tenantResponse = z.object({
  id: z.uuid(),
  name: z.string(),
  currency: z.string(),
  timezone: z.string(),
  country: z.string(),
  settings: settingsSchema,
  createdAt: z.string(),
});

export const tenantOperations: Operation[] = [
  { method: 'post', path: '/v1/tenants', operationId: 'createTenant', tag: 'tenants', auth: 'admin', summary: 'Create a tenant; its API key is shown once', body: createTenantBody, response: tenantResponse.extend({ apiKey: z.string().describe('shown once') }) },
  { method: 'get', path: '/v1/tenants/current', operationId: 'getCurrentTenant', tag: 'tenants', auth: 'tenant', summary: "The key's tenant and its settings", response: tenantResponse },
  { method: 'post', path: '/v1/tenants/current/keys', operationId: 'rotateApiKey', tag: 'tenants', auth: 'tenant', summary: 'Rotate the API key: the new key is shown once; the old one works for graceSeconds more (default 86400; 0 revokes it now)', body: rotateKeyBody, status: 201, response: z.object({ apiKey: z.string().describe('shown once'), previousKeyExpiresAt: z.string().nullable().describe('when the replaced key stops working; null when it was revoked at once') }) },
  { method: 'delete', path: '/v1/tenants/current/keys/previous', operationId: 'revokePreviousApiKey', tag: 'tenants', auth: 'tenant', summary: 'Revoke the key replaced by the last rotation now', status: 204 },
  { method: 'patch', path: '/v1/tenants/current', operationId: 'updateCurrentTenant', tag: 'tenants', auth: 'tenant', summary: 'Change name, timezone, country or settings (figures that depend on them are recomputed)', body: patchTenantBody, response: tenantResponse },
];
