/**
 * The express app factory (no listen): routes, auth, parsers, the one error handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import type { Deps } from './deps.js';
import { requireTenant } from './http/auth.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from './http/json-depth.js';
import { AppError } from './lib/errors.js';
import { errorHandler, notFoundHandler } from './http/errors.js';
import { requestMetrics } from './http/request-metrics.js';
import { docsOperations, docsRoutes, type Operation } from './http/openapi.js';
import { callOperations, callRoutes } from './modules/calls/index.js';
import { connectionOperations, connectionRoutes } from './modules/connections/connections.routes.js';
import { healthRoutes, statusRoutes, systemOperations } from './modules/system/system.routes.js';
import { adminTenantRoutes, tenantOperations, tenantRoutes } from './modules/tenants/index.js';
import { mountWebhookRoute, webhookOperations } from './modules/webhooks/webhooks.routes.js';
import { subscriptionOperations, subscriptionRoutes } from './modules/subscriptions/subscriptions.routes.js';
import { alertOperations, alertRoutes } from './modules/alerts/alerts.routes.js';
import { dashboardOperations, dashboardRoutes } from './modules/dashboard/dashboard.routes.js';
import { agentOperations, agentRoutes } from './modules/agents/index.js';
import { inefficiencyRows, kpiOperations, kpiRoutes, pendingDirtyHours } from './modules/kpis/index.js';
import { markAgentCallsDirty } from './modules/kpis/invalidate.js';
import { surveyRoutes } from './modules/surveys/surveys.routes.js';
import { surveyOperations } from './modules/surveys/surveys.openapi.js';
import { campaignOperations, campaignRoutes, CampaignsService } from './modules/campaigns/index.js';
import { costOperations, costRoutes, CostsService } from './modules/costs/index.js';
import { crmOperations, crmRoutes, CrmService } from './modules/crm/index.js';
import { agentLinksChanged, pendingRoiWork, roiOperations, roiRoutes } from './modules/roi/index.js';
import { targetOperations, targetRoutes, TargetsService } from './modules/targets/index.js';
import { initiativeOperations, initiativeRoutes, InitiativesService } from './modules/initiatives/index.js';
import { reportOperations, reportRoutes } from './modules/reports/index.js';
import { automationOperations, automationRoutes, AutomationService } from './modules/automation/index.js';
import { annotationOperations, annotationRoutes, AnnotationsService } from './modules/annotations/index.js';

/** Every documented route (GET /openapi.json). */
export const operations: Operation[] = [
  ...systemOperations,
  ...docsOperations,
  ...webhookOperations,
  ...tenantOperations,
  ...connectionOperations,
  ...callOperations,
  ...kpiOperations,
  ...agentOperations,
  ...surveyOperations,
  ...campaignOperations,
  ...crmOperations,
  ...costOperations,
  ...roiOperations,
  ...subscriptionOperations,
  ...alertOperations,
  ...targetOperations,
  ...initiativeOperations,
  ...reportOperations,
  ...automationOperations,
  ...annotationOperations,
  ...dashboardOperations,
];

export function createApp(deps: Deps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.set('query parser', 'simple');

  app.use(requestMetrics());

  // Webhooks first: the hot path crosses no other router. They read their raw bytes (signatures
  // are over the exact body), so they are mounted before any JSON parser.
  const webhooks = mountWebhookRoute(app, {
    connections: deps.connections,
    inbox: deps.inbox,
    queue: deps.queue,
    logger: deps.logger,
    publicBaseUrl: deps.config.PUBLIC_BASE_URL,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    context: deps.context,
  });
  app.use(healthRoutes(deps));
  app.use(docsRoutes(() => operations, deps.config.PUBLIC_BASE_URL));
  app.use(dashboardRoutes());

  app.use(
    '/v1',
    express.json({
      limit: Math.max(deps.config.BODY_LIMIT_BYTES, 10 * 1024 * 1024),
      // Refused before parsing: recursive walks of a 5 000-deep body overflow the stack (500).
      verify: (_req, _res, buf) => {
        if (jsonTooDeep(buf)) throw new AppError(400, 'too_deeply_nested', `The body nests deeper than ${MAX_JSON_DEPTH} levels.`);
      },
    }),
  );
  app.use(adminTenantRoutes(deps.tenants, deps.adminToken));
  app.use('/v1', requireTenant((key) => deps.tenants.findByApiKey(key)));
  app.use(tenantRoutes(deps.tenants, (id) => deps.onSettingsChanged(id)));
  app.use(connectionRoutes(deps.connections, deps.queue, deps.context));
  app.use(callRoutes(deps.database.db));
  app.use(subscriptionRoutes(deps.subscriptions));
  app.use(alertRoutes(deps.database.db));
  app.use(campaignRoutes(new CampaignsService(deps.database.db, deps.listeners)));
  app.use(crmRoutes(new CrmService(deps.database.db, deps.queue)));
  app.use(costRoutes(new CostsService(deps.database.db, deps.queue)));
  // ROI rows carry the KPI rows' cost of inefficiency (the ROI module reads no KPI itself).
  app.use(roiRoutes(deps.database.db, (tenant, req) => inefficiencyRows(deps.database.db, tenant, req, req.groupBy)));
  app.use(kpiRoutes(deps.database.db));
  // A link changes the id an agent's calls count under: KPI hours and ROI days are marked in the
  // link's transaction (the workers' 1-second sweeps pick the marks up).
  app.use(
    agentRoutes(deps.database.db, async (tx, tenantId, agentIds) => {
      await markAgentCallsDirty(tx, tenantId, agentIds);
      await agentLinksChanged(tx, tenantId, agentIds);
    }),
  );
  app.use(surveyRoutes(deps.database.db));
  app.use(targetRoutes(new TargetsService(deps.database.db)));
  app.use(initiativeRoutes(new InitiativesService(deps.database.db)));
  app.use(reportRoutes(deps.database.db));
  app.use(automationRoutes(new AutomationService(deps.database.db, deps.listeners)));
  app.use(annotationRoutes(new AnnotationsService(deps.database.db, deps.listeners)));
  // Dirty KPI hours count as pending work: a client waiting for zero sees up-to-date KPIs.
  // Dirty deals and ROI days too: a client waiting for zero sees up-to-date ROI.
  app.use(
    statusRoutes(deps, [(tenantId) => pendingDirtyHours(deps.database.db, tenantId), (tenantId) => pendingRoiWork(deps.database.db, tenantId)]),
  );

  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger, deps.config.BODY_LIMIT_BYTES));

  // The accept path before express's own dispatch (see WebhookRoute.take): a usual delivery never
  // enters the router; what it leaves, and the errors it hands over, go through the app as before.
  // `app.handle` is what the app function, a server and supertest all call.
  const routed = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void };
  const dispatch = routed.handle.bind(app);
  routed.handle = (req, res, next) => {
    if (!webhooks.take(req, res, () => dispatch(req, res, next))) dispatch(req, res, next);
  };
  return app;
}
