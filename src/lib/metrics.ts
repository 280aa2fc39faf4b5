import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  registry,
  webhooks: new Counter({
    name: 'callroi_webhooks_total',
    help: 'Webhook deliveries by provider and outcome',
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
};
