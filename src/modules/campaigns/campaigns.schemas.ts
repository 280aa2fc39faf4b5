import { z } from 'zod';

const instantString = z.iso.datetime({ offset: true });

/**
 * A tracking number, either a bare number (assigned from now on if the number already belongs to
 * another campaign, else for all time) or `{ number, from?, to? }` with an explicit validity period
 * ([from, to), each end open when absent).
 */
export const trackingNumberEntry = z.union([
  z.string().trim().min(3).max(40),
  z
    .object({ number: z.string().trim().min(3).max(40), from: instantString.nullish(), to: instantString.nullish() })
    .refine((a) => !a.from || !a.to || Date.parse(a.from) < Date.parse(a.to), { message: 'from must be before to', path: ['to'] }),
]);

export const createCampaignBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    channel: z.string().trim().min(1).max(100),
    trackingNumbers: z.array(trackingNumberEntry).max(1000).default([]),
  })
  .strict();

export const patchCampaignBody = z
  .object({
    name: createCampaignBody.shape.name.optional(),
    channel: createCampaignBody.shape.channel.optional(),
    /** Replaces the campaign's current numbers: numbers left out are closed now (history kept). */
    trackingNumbers: z.array(trackingNumberEntry).max(1000).optional(),
  })
  .strict();

export const listCampaignsQuery = z
  .object({ channel: z.string().max(100).optional() })
  .strict();

export type TrackingNumberEntry = z.infer<typeof trackingNumberEntry>;
export type CreateCampaignBody = z.infer<typeof createCampaignBody>;
export type PatchCampaignBody = z.infer<typeof patchCampaignBody>;
