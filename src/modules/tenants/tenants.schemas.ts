import { IANAZone } from 'luxon';
import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';

export const settingsSchema = z
  .object({
    shortAbandonSeconds: z.number().int().min(0).max(3600),
    serviceLevelSeconds: z.number().int().min(0).max(3600),
    fcrWindowDays: z.number().int().min(1).max(90),
    defaultAfterCallWorkSeconds: z.number().int().min(0).max(86_400),
    countProviderPrices: z.boolean(),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

export const defaultSettings: Settings = {
  shortAbandonSeconds: 5,
  serviceLevelSeconds: 20,
  fcrWindowDays: 7,
  defaultAfterCallWorkSeconds: 0,
  countProviderPrices: false,
};

export function effectiveSettings(stored: Record<string, unknown> | null | undefined): Settings {
  return { ...defaultSettings, ...(settingsSchema.partial().safeParse(stored ?? {}).data ?? {}) };
}

export const createTenantBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .default('EUR'),
    timezone: z
      .string()
      .max(64)
      .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA timezone such as Europe/Paris')
      .default('Europe/Paris'),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as FR')
      .refine((c) => isSupportedCountry(c), 'is not a country with a numbering plan')
      .default('FR'),
  })
  .strict();

export const patchTenantBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    timezone: createTenantBody.shape.timezone.unwrap().optional(),
    country: createTenantBody.shape.country.unwrap().optional(),
    settings: settingsSchema.partial().optional(),
  })
  .strict();
