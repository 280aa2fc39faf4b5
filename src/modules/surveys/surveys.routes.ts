import { Router } from 'express';
import type { Database } from '../../db/client.js';
import { tenantOf } from '../../http/auth.js';
import { parseWith } from '../../http/validate.js';
import { surveysBody } from './surveys.schemas.js';
import { upsertSurveys } from './surveys.service.js';

export function surveyRoutes(db: Database): Router {
  const router = Router();
  router.post('/v1/surveys', async (req, res) => {
    const body = parseWith(surveysBody, req.body);
    res.json(await upsertSurveys(db, tenantOf(req).id, body.responses));
  });
  return router;
}
