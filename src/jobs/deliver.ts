/** Job `deliver`: one attempt of an outbound webhook delivery (Standard Webhooks) to a CRM. */
import { z } from 'zod';
import type { SubscriptionsService } from '../modules/subscriptions/subscriptions.service.js';
import type { JobProcessor, JobSettings } from './job.js';

export const payload = z.object({ deliveryId: z.uuid() });

export const settings: JobSettings = {
  // Receivers may be slow (15 s timeout each): eight at once per worker.
  concurrency: 8,
  // Retries follow the delivery's own schedule (the delivery sweep), so the job itself is tried
  // again only when our database failed.
  attempts: 3,
  backoffMs: 2_000,
};

export function processor(deps: { subscriptions: SubscriptionsService }): JobProcessor<typeof payload> {
  return async ({ deliveryId }) => deps.subscriptions.deliver(deliveryId);
}
