/**
 * One map from queue name to payload schema. Payloads are validated when enqueued and again when
 * processed (a job written by an older version must not crash a newer worker silently).
 */
import { z } from 'zod';

export const jobPayloads = {
  /** Turn one stored webhook delivery into call events and recompute the calls it touches. */
  'process-event': z.object({ eventId: z.uuid() }),
  /** Import historical calls through a provider's REST API (resumable). */
  backfill: z.object({ backfillId: z.uuid() }),
  /** Recompute derived figures (rollups, attribution) for a tenant: coalesced per tenant. */
  refresh: z.object({ tenantId: z.uuid() }),
  /** Recompute the stored attribution credits of the tenant's dirty deals (attribution_dirty_deals). */
  attribution: z.object({ tenantId: z.uuid() }),
  /** One attempt of an outbound webhook delivery (Standard Webhooks) to a CRM. */
  deliver: z.object({ deliveryId: z.uuid() }),
} as const;

export type JobName = keyof typeof jobPayloads;
export type JobPayload<N extends JobName> = z.infer<(typeof jobPayloads)[N]>;
export type Processor<N extends JobName> = (
  payload: JobPayload<N>,
  job: { id: string; attempt: number; updateProgress(p: number): Promise<void> },
) => Promise<void>;
export type Processors = { [N in JobName]: Processor<N> };

/** Settings per queue, each number with its reason. */
export const queueSettings: Record<JobName, { concurrency: number; attempts: number; backoffMs: number }> = {
  // Events are small DB transactions; the pool (20) is shared with the API in the embedded mode.
  'process-event': { concurrency: 8, attempts: 8, backoffMs: 500 },
  // Providers cap REST calls (RingCentral ~10 call-log requests/min): one backfill at a time per worker.
  backfill: { concurrency: 1, attempts: 5, backoffMs: 5_000 },
  // Refreshes are coalesced per tenant; two in parallel keep one slow tenant from blocking others.
  refresh: { concurrency: 2, attempts: 5, backoffMs: 1_000 },
  // Batches of 1000 deals per transaction; concurrent jobs split the dirty rows with SKIP LOCKED.
  attribution: { concurrency: 2, attempts: 8, backoffMs: 1_000 },
  // Receivers may be slow (15 s timeout each); retries follow the delivery's own schedule, so the
  // job itself is tried again only when our database failed.
  deliver: { concurrency: 8, attempts: 3, backoffMs: 2_000 },
};
