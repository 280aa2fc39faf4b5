import { z } from 'zod';
import { providerIds } from '../../../connectors/contract.js';

/**
 * One annotation (POST /v1/calls/annotations): names its call by callId or provider +
 * providerCallId and says something of it. A field left out keeps what an earlier annotation said;
 * null clears it.
 */
export const annotationRow = z
  .object({
    callId: z.uuid().optional(),
    provider: z.enum(providerIds).optional(),
    providerCallId: z.string().min(1).max(200).optional(),
    sentiment: z
      .object({
        label: z.enum(['positive', 'neutral', 'negative']),
        score: z.number().min(-1).max(1).nullable().optional(),
      })
      .strict()
      .nullable()
      .optional(),
    summary: z.string().max(10_000).nullable().optional(),
    topics: z.array(z.string().trim().min(1).max(200)).max(50).nullable().optional(),
    outcome: z.string().trim().min(1).max(200).nullable().optional(),
    handledBy: z.enum(['agent', 'automation']).nullable().optional(),
  })
  .strict()
  .refine((r) => r.callId !== undefined || (r.provider !== undefined && r.providerCallId !== undefined), {
    message: 'name the call by callId or by provider + providerCallId',
    path: ['callId'],
  })
  .refine((r) => ['sentiment', 'summary', 'topics', 'outcome', 'handledBy'].some((k) => k in r), {
    message: 'say something of the call: sentiment, summary, topics, outcome or handledBy',
    path: ['sentiment'],
  });
export type AnnotationRow = z.infer<typeof annotationRow>;

export const annotationsBody = z.object({ annotations: z.array(z.unknown()).min(1).max(10_000) }).strict();
