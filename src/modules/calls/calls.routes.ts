import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { NotFoundError } from '../../lib/errors.js';
import { getCall, listCalls } from './calls.repo.js';
import type { Operation } from '../../http/openapi.js';
import { callListResponse, callResponse, listCallsQuery } from './calls.schemas.js';
import { callView } from './calls.view.js';
import { streamCallsCsv } from './calls.csv.js';
import { wantsCsv } from '../../http/csv.js';
import { isUuid } from '../../lib/ids.js';

const idParam = z.object({ id: z.string() });

export function callRoutes(db: Database): Router {
  const router = Router();
  router.get('/v1/calls', async (req, res) => {
    const q = parseWith(listCallsQuery, req.query, 'query');
    if (wantsCsv(req)) {
      await streamCallsCsv(db, tenantOf(req).id, q, res);
      return;
    }
    const { rows, nextCursor } = await listCalls(db, tenantOf(req).id, q);
    res.json({ data: rows.map(callView), nextCursor });
  });
  router.get('/v1/calls/:id', async (req, res) => {
    const { id } = parseWith(idParam, req.params, 'params');
    // Another tenant's id and a malformed id answer exactly like an id that does not exist.
    const row = isUuid(id) ? await getCall(db, tenantOf(req).id, id) : null;
    if (!row) throw new NotFoundError('Call');
    res.json(callView(row));
  });
  return router;
}

export const callOperations: Operation[] = [
  { method: 'get', path: '/v1/calls', operationId: 'listCalls', tag: 'calls', auth: 'tenant', summary: 'Unified calls, newest first, cursor-paginated and filterable; with Accept: text/csv (or format=csv) every matching call as one streamed CSV', query: listCallsQuery, response: callListResponse },
  { method: 'get', path: '/v1/calls/:id', operationId: 'getCall', tag: 'calls', auth: 'tenant', summary: 'One unified call', response: callResponse },
];
