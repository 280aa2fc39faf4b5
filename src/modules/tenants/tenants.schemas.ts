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
    // KPI definitions (src/domain/kpis/definitions.ts documents each formula).
    serviceLevelFormula: z.enum(['answered_over_offered', 'answered_over_answered_and_abandoned', 'answered_over_answered']),
    creditShortAbandons: z.boolean(),
    /** Whole local hours [startHour, endHour) on ISO weekdays (1 = Monday); KPIs are kept per hour. */
    businessHours: z
      .object({
        days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
        startHour: z.number().int().min(0).max(23),
        endHour: z.number().int().min(1).max(24),
      })
      .strict()
      .refine((b) => b.startHour < b.endHour, { message: 'startHour must be before endHour', path: ['endHour'] })
      .nullable(),
    /** Default of GET /v1/kpis `businessHoursOnly`. */
    kpisBusinessHoursOnly: z.boolean(),
    /** What an hour of a caller's waiting costs, in the tenant's currency (a decimal string, ≤ 2 places); null: waitCost is null. */
    waitCostPerHour: z
      .string()
      .regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a decimal string with at most 2 places, such as "30.00"')
      .nullable(),
    /** A call is a lead when its number has not called or been called in this many days before it. */
    leadLookbackDays: z.number().int().min(1).max(3650),
    /** Thresholds of the alerts judged within the hour (src/domain/alerts.ts `intradayRules`); unset = the defaults. */
    alertRules: z
      .object({
        minOffered: z.number().int().min(1).max(100_000),
        sigmas: z.number().min(0).max(10),
        abandonmentFloor: z.number().min(0).max(1),
        waitFloorSeconds: z.number().min(0).max(3600),
        volumeDropShare: z.number().min(0).max(1),
        volumeSurgeFactor: z.number().min(1).max(100),
      })
      .partial()
      .strict()
      .nullable(),
    /** Margin of deals that carry none, in percent of their amount (GET /v1/roi `basis=margin`); null: none assumed. */
    defaultMarginPercent: z.number().min(-100).max(100).nullable(),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

export const defaultSettings: Settings = {
  shortAbandonSeconds: 5,
  serviceLevelSeconds: 20,
  fcrWindowDays: 7,
  defaultAfterCallWorkSeconds: 0,
  countProviderPrices: false,
  serviceLevelFormula: 'answered_over_offered',
  creditShortAbandons: false,
  businessHours: null,
  kpisBusinessHoursOnly: false,
  waitCostPerHour: null,
  leadLookbackDays: 90,
  alertRules: null,
  defaultMarginPercent: null,
};

/** Built once: `.partial()` makes a new schema, and a new schema compiles its parser anew on first use (most of a GET /v1/roi's zod time, bench/roi.ts). */
const storedSettingsSchema = settingsSchema.partial();

export function effectiveSettings(stored: Record<string, unknown> | null | undefined): Settings {
  return { ...defaultSettings, ...(storedSettingsSchema.safeParse(stored ?? {}).data ?? {}) };
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

/** Seconds the replaced key keeps working after a rotation (default one day; 0 revokes it at once). */
export const API_KEY_GRACE_SECONDS = 86_400;

export const rotateKeyBody = z
  .object({ graceSeconds: z.number().int().min(0).max(7 * 86_400).default(API_KEY_GRACE_SECONDS) })
  .strict();
