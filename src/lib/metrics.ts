/**
 * Prometheus metrics (GET /metrics). Two registries, because they add up differently over the
 * processes of an API cluster (src/cluster.ts):
 * - `registry`: this process's own counters, histograms and runtime metrics. In a cluster the
 *   answering child asks the primary, which sums them over every child (prom-client's
 *   AggregatorRegistry), so a scrape counts every webhook whichever child took it.
 * - `shared`: gauges of shared state (queue depth, inbox rows), read from Redis and PostgreSQL at
 *   scrape time (src/modules/system/gauges.ts) by the process that answers. Summing them over the
 *   children would count the same queue once per child, so they are taken once, from that process.
 * A worker process serves its own on METRICS_PORT.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const registry = new Registry();
const shared = new Registry();
collectDefaultMetrics({ register: registry });

/** This process's own part of the exposition; a cluster child replaces it with the cluster's sum. */
let ownPart: () => Promise<string> = () => registry.metrics();

/** In a cluster child: the per-process metrics come from the primary's aggregation instead. */
export function useAggregatedMetrics(aggregated: () => Promise<string>): void {
  ownPart = aggregated;
}

/** The whole exposition (text format), as GET /metrics answers it. */
export async function metricsText(): Promise<string> {
  const [own, state] = await Promise.all([ownPart(), shared.metrics()]);
  return own.endsWith('\n') || own === '' ? `${own}${state}` : `${own}\n${state}`;
}

export const metricsContentType = registry.contentType;

export const metrics = {
  registry,
  webhooks: new Counter({
    name: 'callroi_webhooks_total',
    help: 'Webhook deliveries by provider and outcome (HTTP status)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  }),
  httpDuration: new Histogram({
    name: 'callroi_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  eventBatchEvents: new Histogram({
    name: 'callroi_event_batch_events',
    help: 'Stored deliveries per processing batch (one transaction) in a worker: small batches under load mean each event pays more of a batch\'s fixed cost',
    buckets: [1, 2, 5, 10, 20, 50, 100],
    registers: [registry],
  }),
  jobFailures: new Counter({
    name: 'callroi_job_failures_total',
    help: 'Job attempts that failed, by queue; final="true" when no attempt is left',
    labelNames: ['queue', 'final'] as const,
    registers: [registry],
  }),
  outboundDeliveries: new Counter({
    name: 'callroi_outbound_deliveries_total',
    help: 'Outbound webhook delivery attempts by outcome: delivered, retry (will be tried again), failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  queueJobs: new Gauge({
    name: 'callroi_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed), read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [shared],
  }),
  queueOldestWaiting: new Gauge({
    name: 'callroi_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits), read at scrape time',
    labelNames: ['queue'] as const,
    registers: [shared],
  }),
  inboxPruned: new Counter({
    name: 'callroi_inbox_pruned_total',
    help: 'Raw webhook deliveries deleted by retention, by status',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
  inboxEvents: new Gauge({
    name: 'callroi_inbox_events',
    help: 'Stored webhook deliveries by status (pending, processed, failed); refreshed at most once a minute',
    labelNames: ['status'] as const,
    registers: [shared],
  }),
};
