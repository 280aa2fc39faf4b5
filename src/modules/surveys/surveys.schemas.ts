import { z } from 'zod';

/** One survey response (contract section 5): names its call by callId or provider + providerCallId. */
export const surveyRow = z
  .object({
    callId: z.uuid().optional(),
    provider: z.enum(['twilio', 'ringcentral', 'vonage', 'aircall']).optional(),
    providerCallId: z.string().min(1).max(200).optional(),
    csat: z.number().int().min(1).max(5).nullable().optional(),
    nps: z.number().int().min(0).max(10).nullable().optional(),
    respondedAt: z.iso.datetime({ offset: true }),
  })
  .refine((r) => r.callId !== undefined || (r.provider !== undefined && r.providerCallId !== undefined), {
    message: 'name the call by callId or by provider + providerCallId',
    path: ['callId'],
  })
  .refine((r) => (r.csat ?? null) !== null || (r.nps ?? null) !== null, { message: 'give csat, nps or both', path: ['csat'] });

export type SurveyRow = z.infer<typeof surveyRow>;

/** Rows are validated one by one (a bad row never drops the good ones). */
export const surveysBody = z.object({ responses: z.array(z.unknown()).min(1).max(10_000) });

export const bulkAnswer = z.object({
  upserted: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), error: z.string() })),
});
