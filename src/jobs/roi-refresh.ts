/**
 * Job `roi-refresh`: bring a tenant's derived ROI figures up to date — the stored credits of its
 * changed deals, then its marked ROI days (src/modules/roi refreshRoi). Asked for after every CRM
 * or cost upload (its own id each time, src/modules/roi/changes.ts) and woken, coalesced, by call
 * changes (./coalesce.ts).
 */
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { refreshRoi } from '../modules/roi/index.js';
import type { JobProcessor, JobSettings } from './job.js';

export const payload = z.object({ tenantId: z.uuid() });

export const settings: JobSettings = {
  // Batches of 1000 deals per transaction; concurrent jobs split the dirty deals with SKIP LOCKED
  // and take the days one after the other (a per-tenant lock).
  concurrency: 2,
  // 1 s doubling over 8 tries; the marks stay in the database for the sweep's next job.
  attempts: 8,
  backoffMs: 1_000,
};

export function processor(deps: { db: Database }): JobProcessor<typeof payload> {
  return async ({ tenantId }) => refreshRoi(deps.db, tenantId);
}
