import { z } from 'zod';

export const VONAGE_API_HOST = 'https://api.nexmo.com';
/** Vonage's API hosts, regional ones included (api-us.vonage.com, api-eu.nexmo.com…). */
export const VONAGE_API_HOSTS = ['.nexmo.com', '.vonage.com'] as const;
/** Vonage bills in EUR unless the account was set up in another currency. */
export const VONAGE_DEFAULT_CURRENCY = 'EUR';
/** Signed webhooks older than this are refused (replays). */
export const VONAGE_DEFAULT_MAX_AGE_SECONDS = 300;
/** `GET /v1/calls` accepts at most 100 records per page. */
export const VONAGE_MAX_PAGE_SIZE = 100;

/** Tokens must never travel in clear text: https, except a local test server. */
function isSafeApiHost(value: string): boolean {
  // zod runs refinements after a failed `.url()` too: an unparseable value must not throw here.
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * What a Vonage connection holds (CONTRACT.md section 2).
 * - `apiKey`/`apiSecret`: the account's key pair (the `api_key` claim of signed webhooks is checked
 *   against `apiKey`).
 * - `applicationId`/`privateKey`: the Voice application; the private key signs the RS256 JWT that
 *   the REST API wants (backfill). Optional: without it, webhooks still work but backfill cannot.
 * - `signatureSecret`: the account's signature secret; Vonage signs every webhook with it (HS256 JWT
 *   in `Authorization`), https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks
 * Optional extras, read through the helpers below so that the stored object is what the user gave:
 * - `currency`: the account's billing currency; Vonage's `price` fields carry no currency (EUR
 *   unless the account says otherwise).
 * - `webhookMaxAgeSeconds`: freshness window for the JWT `iat` (default 300).
 * - `apiHost`: REST API base (a regional host such as https://api-us.vonage.com, or a test server).
 * - `backfillPageSize`: records per REST page (1..100, default 100).
 */
export const credentialsSchema = z.object({
  apiKey: z.string().min(1),
  apiSecret: z.string().min(1),
  applicationId: z.string().min(1),
  privateKey: z.string().min(1).optional(),
  signatureSecret: z.string().min(1),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .optional(),
  webhookMaxAgeSeconds: z.number().int().positive().optional(),
  apiHost: z.url().refine(isSafeApiHost, { message: 'apiHost must be an https URL' }).optional(),
  backfillPageSize: z.number().int().min(1).max(VONAGE_MAX_PAGE_SIZE).optional(),
});

export type VonageCredentials = z.infer<typeof credentialsSchema>;

export function currencyOf(creds: Pick<VonageCredentials, 'currency'> | undefined): string {
  return creds?.currency ?? VONAGE_DEFAULT_CURRENCY;
}

export function apiHostOf(creds: VonageCredentials): string {
  return (creds.apiHost ?? VONAGE_API_HOST).replace(/\/+$/, '');
}
