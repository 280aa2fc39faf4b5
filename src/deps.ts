/**
 * The one composition root: configuration in, every long-lived object out. Entry points (API,
 * worker, tests) build their processes from this and close it in order on shutdown.
 */
import type { Config } from './config/env.js';
import { loadSecrets } from './config/secrets.js';
import { describeError, StartupError } from './config/startup.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import { connectorContextFactory, type ConnectorContextFactory } from './jobs/context.js';
import type { Processors } from './jobs/definitions.js';
import { startMaintenance } from './jobs/maintenance.js';
import { backfillProcessor } from './jobs/processors/backfill.js';
import { processEventProcessor } from './jobs/processors/process-event.js';
import { BullJobQueue, InlineJobQueue, type JobQueue } from './jobs/queue.js';
import { SecretBox } from './lib/crypto.js';
import { SubscriptionsService } from './modules/subscriptions/subscriptions.service.js';
import { raiseAlerts } from './modules/alerts/alerts.service.js';
import { createLogger, type Logger } from './lib/logger.js';
import type { PresenceSink } from './modules/calls/presence.js';
import { presenceStore } from './modules/agents/agents.repo.js';
import { kpiCallListener } from './modules/kpis/invalidate.js';
import { dirtyNotifier, refreshProcessor, startKpiSweep } from './modules/kpis/refresh.js';
import type { CallChangeListener } from './modules/calls/recompute.js';
import { attributionProcessor } from './modules/attribution/attribution.job.js';
import { attributionListener } from './modules/attribution/attribution.listener.js';
import { roiDayNotifier, startRoiSweep } from './modules/attribution/sweep.js';
import { roiDayListener } from './modules/costs/daily.js';
import { campaignListener } from './modules/campaigns/campaigns.listener.js';
import { ConnectionsService } from './modules/connections/connections.service.js';
import { TenantsService } from './modules/tenants/tenants.service.js';
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
  /** Called when a tenant's settings change (recompute what depends on them). */
  onSettingsChanged(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

export interface DepsOptions {
  logger?: Logger;
  /** Tests: a BullMQ key prefix of their own, fast stalled-job detection, a fake sleep. */
  queuePrefix?: string;
  workerOptions?: { lockDurationMs?: number; stalledIntervalMs?: number; concurrency?: number };
  contextOverrides?: Parameters<typeof connectorContextFactory>[1];
  /** Tests: outbound webhook retry delays × this factor. */
  deliveryRetryScale?: number;
}

export async function createDeps(config: Config, opts: DepsOptions = {}): Promise<Deps> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const secrets = loadSecrets(
    { dataDir: config.DATA_DIR, adminToken: config.ADMIN_TOKEN, encryptionKey: config.ENCRYPTION_KEY },
    logger,
  );
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, migrate: true }).catch(
    (err: unknown) => {
      throw new StartupError(config.DATABASE_URL ? 'DATABASE_URL' : 'DATA_DIR', describeError(err));
    },
  );
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
  // After each committed batch: one enqueue for all its events. If Redis is down the events stay
  // pending and the sweeper enqueues them later; the providers already have their 2xx.
  const inbox = new InboxWriter(database, (ids) => {
    queue
      .enqueueMany('process-event', ids.map((id) => ({ payload: { eventId: id }, jobId: id })))
      .catch((err: Error) => logger.warn({ events: ids.length, err: err.message }, 'enqueue failed; the sweeper will retry'));
  });
  const context = connectorContextFactory(logger, opts.contextOverrides);
  const listeners: CallChangeListener[] = [];
  // KPI rollups: dirty hours and agent/queue names, inside each call transaction.
  listeners.push(kpiCallListener(dirtyNotifier(queue, logger)));
  // Campaign enrich sets campaignId before the write; attribution recomputes the deals a call touches.
  listeners.push(campaignListener, attributionListener);
  // ROI days (materialised cost allocation, call counts): marked dirty in the call's transaction.
  listeners.push(roiDayListener(roiDayNotifier(queue, logger)));
  // Outbound webhooks: call.enriched rows written in the call's own transaction (outbox).
  const subscriptions = new SubscriptionsService(database.db, box, logger, opts.deliveryRetryScale);
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
    onSettingsChanged: async (tenantId) => {
      await queue.enqueue('refresh', { tenantId }, { jobId: `refresh-${tenantId}-${Date.now()}` });
    },
    close: async () => {
      await inbox.drain();
      await queue.close();
      await database.close();
    },
  };
  return deps;
}

export function processors(deps: Deps): Processors {
  const base = { db: deps.database.db, logger: deps.logger, listeners: deps.listeners };
  return {
    'process-event': processEventProcessor({ ...base, presence: deps.presence, connections: deps.connections }),
    backfill: backfillProcessor({ ...base, connections: deps.connections, context: deps.context }),
    refresh: refreshProcessor({ db: deps.database.db, queue: deps.queue, logger: deps.logger }),
    attribution: attributionProcessor({ db: deps.database.db }),
    deliver: async ({ deliveryId }) => deps.subscriptions.deliver(deliveryId),
  };
}

/** Start this process's workers and the periodic maintenance; returns a stopper. */
export async function startWorkers(deps: Deps): Promise<() => void> {
  await deps.queue.startWorkers(processors(deps));
  // KPI safety net: dirty hours whose refresh notification was lost get a refresh.
  const stopKpiSweep = startKpiSweep({ db: deps.database.db, queue: deps.queue, logger: deps.logger });
  // ROI safety net: dirty deals and days whose attribution job was never enqueued (or ran too early).
  const stopRoiSweep = startRoiSweep({ db: deps.database.db, queue: deps.queue, logger: deps.logger });
  const stopMaintenance = startMaintenance({
    db: deps.database.db,
    queue: deps.queue,
    logger: deps.logger,
    sweepAfterSeconds: deps.config.SWEEP_AFTER_SECONDS,
    reconcileEveryMinutes: deps.config.RECONCILE_EVERY_MINUTES,
    reconcileLookbackHours: deps.config.RECONCILE_LOOKBACK_HOURS,
    connectionCheckMinutes: deps.config.CONNECTION_CHECK_MINUTES,
    checkConnections: () => deps.connections.checkAll(deps.context),
    dueDeliveries: () => deps.subscriptions.due(),
    raiseAlerts: () => raiseAlerts(deps.database.db, deps.subscriptions, deps.logger),
    inboxRetentionDays: deps.config.INBOX_RETENTION_DAYS,
  });
  return () => {
    stopKpiSweep();
    stopRoiSweep();
    stopMaintenance();
  };
}
