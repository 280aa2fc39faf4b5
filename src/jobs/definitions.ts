/**
 * The jobs, one file each (payload schema, commented settings, processor). Payloads are validated
 * when enqueued and again when processed (a job written by an older version must not crash a newer
 * worker silently). A new job fails to compile until src/deps.ts gives it a processor.
 */
import type { z } from 'zod';
import * as backfill from './backfill.js';
import * as deliver from './deliver.js';
import type { JobContext, JobSettings } from './job.js';
import * as kpiRefresh from './kpi-refresh.js';
import * as processEvent from './process-event.js';
import * as roiRefresh from './roi-refresh.js';

const jobs = {
  /** Turn one stored webhook delivery into call events and recompute the calls it touches. */
  'process-event': processEvent,
  /** Import historical calls through a provider's REST API (resumable); also the reconciliation. */
  backfill,
  /** Rebuild a tenant's dirty KPI rollup hours (coalesced per tenant). */
  'kpi-refresh': kpiRefresh,
  /** Recompute a tenant's changed deals' credits and rebuild its marked ROI days. */
  'roi-refresh': roiRefresh,
  /** One attempt of an outbound webhook delivery. */
  deliver,
} as const;

export type JobName = keyof typeof jobs;
export const jobNames = Object.keys(jobs) as JobName[];
export const jobPayloads: { [N in JobName]: (typeof jobs)[N]['payload'] } = Object.fromEntries(jobNames.map((n) => [n, jobs[n].payload])) as never;
export const queueSettings: Record<JobName, JobSettings> = Object.fromEntries(jobNames.map((n) => [n, jobs[n].settings])) as Record<JobName, JobSettings>;

export type JobPayload<N extends JobName> = z.infer<(typeof jobs)[N]['payload']>;
export type Processor<N extends JobName> = (payload: JobPayload<N>, job: JobContext) => Promise<void>;
export type Processors = { [N in JobName]: Processor<N> };
