/** What the connection routes answer (OpenAPI): the shapes of ConnectionsService.view and friends. */
import { z } from 'zod';
import { providerIds } from '../../../connectors/index.js';
import { connectionHealths } from './health.js';

const instant = z.string().describe('ISO 8601, UTC');

export const connectionResponse = z.object({
  id: z.uuid(),
  provider: z.enum(providerIds),
  name: z.string().nullable(),
  webhookUrl: z.string().describe('give this URL to the provider'),
  health: z.enum(connectionHealths),
  healthDetail: z.record(z.string(), z.unknown()).nullable().describe('what the last check found, in words (message) and the provider’s answer'),
  healthCheckedAt: instant.nullable(),
  lastEventAt: instant.nullable(),
  createdAt: instant,
});

export const connectionListResponse = z.object({ data: z.array(connectionResponse) });

export const backfillStatuses = ['queued', 'running', 'retrying', 'completed', 'failed'] as const;

export const backfillResponse = z.object({
  jobId: z.uuid(),
  connectionId: z.uuid(),
  kind: z.enum(['backfill', 'reconcile']),
  from: instant,
  to: instant,
  status: z.enum(backfillStatuses),
  attempts: z.number().int(),
  progress: z.number(),
  pages: z.number().int(),
  events: z.number().int(),
  error: z.string().nullable(),
  createdAt: instant,
  updatedAt: instant,
});

export const backfillListResponse = z.object({ data: z.array(backfillResponse) });
export const backfillStarted = z.object({ jobId: z.uuid(), status: z.enum(backfillStatuses) });

export const eventListResponse = z.object({
  data: z.array(
    z.object({
      id: z.uuid(),
      status: z.enum(['pending', 'processed', 'failed']),
      attempts: z.number().int(),
      error: z.string().nullable(),
      receivedAt: instant,
      processedAt: instant.nullable(),
      dedupeKey: z.string(),
      body: z.string().describe('the raw delivery as stored (secrets redacted)'),
    }),
  ),
});

export const reprocessResponse = z.object({ eventId: z.uuid(), status: z.literal('pending') });
