/**
 * The one composition root: configuration in, every long-lived object out. Entry points (API,
 * worker, tests) build their processes from this and close it in order on shutdown.
 */
import type { Config } from './config/env.js';
import { loadSecrets } from './config/secrets.js';
import { describeError, StartupError } from './config/startup.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import { connectorContextFactory, type ConnectorContextFactory } from './jobs/context.js';
import * as backfill from './jobs/backfill.js';
import { coalescingEnqueuer, type CoalescingEnqueuer } from './jobs/coalesce.js';
import type { Processors } from './jobs/definitions.js';
import * as deliver from './jobs/deliver.js';
import * as kpiRefresh from './jobs/kpi-refresh.js';
import { startMaintenance } from './jobs/maintenance.js';
import { EventJobs } from './jobs/event-jobs.js';
import * as processEvent from './jobs/process-event.js';
import { BullJobQueue, InlineJobQueue, type JobQueue, type WorkerOptions } from './jobs/queue.js';
import * as roiRefresh from './jobs/roi-refresh.js';
import { SecretBox } from './lib/crypto.js';
import { SubscriptionsService } from './modules/subscriptions/subscriptions.service.js';
import { evaluateIntraday } from './modules/alerts/intraday.js';
import { sendMonthlyReports } from './modules/reports/index.js';
import { raiseAlerts } from './modules/alerts/alerts.service.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createOutboundGuard, parseAllowedHosts, type OutboundGuard, type Resolver } from './lib/outbound/index.js';
import { presenceStore } from './modules/agents/agents.repo.js';
import type { CallChangeListener, PresenceSink } from './modules/calls/index.js';
import { campaignListener } from './modules/campaigns/index.js';
import { automationListener } from './modules/automation/index.js';
import { annotationListener } from './modules/annotations/index.js';
import { leadListener } from './modules/leads/index.js';
import { kpiCallListener, tenantsWithStaleDirtyHours } from './modules/kpis/index.js';
import { roiCallListener, tenantsWithWaitingRoiWork } from './modules/roi/index.js';
import { ConnectionsService } from './modules/connections/connections.service.js';
import { TenantsService } from './modules/tenants/index.js';
import { InboxWriter } from './modules/webhooks/inbox-writer.js';

export interface Deps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  queue: JobQueue;
  box: SecretBox;
  adminToken: string;
  tenants: TenantsService;
  connections: ConnectionsService;
  inbox: InboxWriter;
  context: ConnectorContextFactory;
  listeners: CallChangeListener[];
  presence: PresenceSink;
  subscriptions: SubscriptionsService;
  /** The per-tenant coalesced jobs: woken by changes, swept when a wake-up was lost. */
  kpiRefresh: CoalescingEnqueuer;
  roiRefresh: CoalescingEnqueuer;
  /** Every outbound request made on a tenant's behalf goes through it (SSRF). */
  outbound: OutboundGuard;
  /** Called when a tenant's settings change (recompute what depends on them). */
  onSettingsChanged(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

export interface DepsOptions {
  logger?: Logger;
  /** Tests: a BullMQ key prefix of their own, fast stalled-job detection, a fake sleep. */
  queuePrefix?: string;
  workerOptions?: Partial<WorkerOptions>;
  contextOverrides?: Parameters<typeof connectorContextFactory>[1];
  /** Tests: outbound webhook retry delays × this factor. */
  deliveryRetryScale?: number;
  /** Tests: the outbound guard's DNS, so no test resolves (or connects to) a real private name. */
  outboundResolver?: Resolver;
  /** False in an API cluster's children: their primary has migrated before forking them. */
  migrate?: boolean;
}

export async function createDeps(config: Config, opts: DepsOptions = {}): Promise<Deps> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const secrets = loadSecrets(
    { dataDir: config.DATA_DIR, adminToken: config.ADMIN_TOKEN, encryptionKey: config.ENCRYPTION_KEY },
    logger,
  );
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    migrate: opts.migrate ?? true,
    onConnectionError: (err) => logger.warn({ err: err.message, code: (err as { code?: string }).code }, 'database connection lost; reconnecting on next use'),
  }).catch((err: unknown) => {
    throw new StartupError(config.DATABASE_URL ? 'DATABASE_URL' : 'DATA_DIR', describeError(err));
  });
  const queue: JobQueue = config.REDIS_URL
    ? new BullJobQueue(config.REDIS_URL, logger, opts.queuePrefix ?? config.QUEUE_PREFIX, {
        concurrency: config.WORKER_CONCURRENCY,
        lockDurationMs: config.JOB_LOCK_SECONDS * 1000,
        stalledIntervalMs: Math.min(30_000, config.JOB_LOCK_SECONDS * 1000),
        ...opts.workerOptions,
      })
    : new InlineJobQueue(logger, Math.min(config.WORKER_CONCURRENCY, 4));
  const box = SecretBox.fromString(secrets.encryptionKey);
  const tenants = new TenantsService(database.db);
  const connections = new ConnectionsService(database.db, box, config.PUBLIC_BASE_URL);
  // Committed deliveries become jobs of a worker's batch (src/jobs/event-jobs.ts).
  const eventJobs = new EventJobs(queue, logger);
  const inbox = new InboxWriter(database, (ids) => eventJobs.add(ids));
  const outbound = createOutboundGuard(
    { allowHttp: config.ALLOW_HTTP_TARGETS === 'true', allowedHosts: parseAllowedHosts(config.OUTBOUND_ALLOWED_HOSTS) },
    { resolver: opts.outboundResolver },
  );
  const context = connectorContextFactory(logger, opts.contextOverrides, {
    fetch: outbound.fetch({ timeoutMs: config.PROVIDER_TIMEOUT_SECONDS * 1000 }),
    allowedHosts: outbound.policy.allowedHosts,
  });
  const kpiRefresh = coalescingEnqueuer(queue, 'kpi-refresh', logger);
  // ROI days are rebuilt at most every ROI_REFRESH_EVERY_MS per tenant (a hot day's rebuild reads
  // all its calls; readers compute marked days themselves meanwhile).
  const roiRefresh = coalescingEnqueuer(queue, 'roi-refresh', logger, config.ROI_REFRESH_EVERY_MS);
  const listeners: CallChangeListener[] = [];
  // KPI rollups: dirty hours and agent/queue names, inside each call transaction.
  listeners.push(kpiCallListener(kpiRefresh.wake));
  // Campaign enrich sets campaignId before the write.
  listeners.push(campaignListener);
  // Automation endpoints: the evidence recompute derives self_served and handledBy from.
  listeners.push(automationListener);
  // Annotations (sentiment, summary, handledBy…) re-applied by every recompute of the call.
  listeners.push(annotationListener);
  // firstTimeCaller; a late call marks its number for the kpi-refresh job (order-independent).
  listeners.push(leadListener);
  // ROI: the credits of the deals a call touches recomputed now; its days marked for the job.
  listeners.push(roiCallListener(roiRefresh.wake));
  // Outbound webhooks: call.enriched rows written in the call's own transaction (outbox).
  const subscriptions = new SubscriptionsService(database.db, box, logger, outbound, opts.deliveryRetryScale);
  listeners.push(subscriptions.listener());
  const deps: Deps = {
    config,
    logger,
    database,
    queue,
    box,
    adminToken: secrets.adminToken,
    tenants,
    connections,
    inbox,
    context,
    listeners,
    presence: presenceStore,
    subscriptions,
    kpiRefresh,
    roiRefresh,
    outbound,
    onSettingsChanged: async (tenantId) => {
      await queue.enqueue('kpi-refresh', { tenantId }, { jobId: `kpi-refresh-${tenantId}-${Date.now()}` });
    },
    close: async () => {
      // Committed deliveries are enqueued before the queue closes (else the sweeper finds them later).
      await inbox.drain();
      await eventJobs.flush();
      await queue.close();
      await database.close();
      await outbound.close();
    },
  };
  return deps;
}

export function processors(deps: Deps): Processors {
  const base = { db: deps.database.db, logger: deps.logger, listeners: deps.listeners };
  return {
    'process-event': processEvent.processor({ ...base, presence: deps.presence, connections: deps.connections, context: deps.context }),
    backfill: backfill.processor({ ...base, connections: deps.connections, context: deps.context }),
    'kpi-refresh': kpiRefresh.processor({ ...base, enqueuer: deps.kpiRefresh }),
    'roi-refresh': roiRefresh.processor({ db: deps.database.db }),
    deliver: deliver.processor({ subscriptions: deps.subscriptions }),
  };
}

/** Start this process's workers and the periodic maintenance; returns a stopper. */
export async function startWorkers(deps: Deps): Promise<() => void> {
  await deps.queue.startWorkers(processors(deps));
  const db = deps.database.db;
  return startMaintenance({
    db,
    queue: deps.queue,
    logger: deps.logger,
    sweepAfterSeconds: deps.config.SWEEP_AFTER_SECONDS,
    reconcileEveryMinutes: deps.config.RECONCILE_EVERY_MINUTES,
    reconcileLookbackHours: deps.config.RECONCILE_LOOKBACK_HOURS,
    connectionCheckMinutes: deps.config.CONNECTION_CHECK_MINUTES,
    checkConnections: () => deps.connections.checkAll(deps.context),
    dueDeliveries: () => deps.subscriptions.due(),
    raiseAlerts: () => raiseAlerts(db, deps.subscriptions, deps.logger),
    kpiRefresh: { stale: (ms) => tenantsWithStaleDirtyHours(db, ms), enqueuer: deps.kpiRefresh },
    roiRefresh: { stale: (ms) => tenantsWithWaitingRoiWork(db, ms), enqueuer: deps.roiRefresh },
    judgeIntraday: () => evaluateIntraday(db, deps.subscriptions, deps.logger),
    intradayAlertMinutes: deps.config.ALERT_CHECK_MINUTES,
    announceReports: () => sendMonthlyReports(db, deps.subscriptions, deps.logger),
    inboxRetentionDays: deps.config.INBOX_RETENTION_DAYS,
  });
}
