import { z } from 'zod';

export const RINGCENTRAL_PRODUCTION_SERVER = 'https://platform.ringcentral.com';
/** RingCentral's API servers (production, sandbox); a partner brand's needs OUTBOUND_ALLOWED_HOSTS. */
export const RINGCENTRAL_API_HOSTS = ['.ringcentral.com'] as const;

/** Bearer tokens and the JWT must never travel in clear text: https, except a local test server. */
function isSafeServerUrl(value: string): boolean {
  // zod runs refinements after a failed `.url()` too: an unparseable value must not throw here.
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * What a RingCentral connection holds (CONTRACT.md section 2).
 * - `clientId`/`clientSecret`: the REST app's credentials; `jwt`: a JWT credential of an admin user
 *   (JWT auth flow, https://developers.ringcentral.com/guide/authentication/jwt-flow) used for
 *   backfill and subscription renewal.
 * - `verificationToken`: the token given as `deliveryMode.verificationToken` when the webhook
 *   subscription was created; RingCentral sends it back on every notification.
 * - `serverUrl`: API server, production when absent (kept optional so that stored credentials are
 *   exactly what the user gave).
 */
export const credentialsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  jwt: z.string().min(1),
  serverUrl: z
    .url()
    .refine(isSafeServerUrl, { message: 'serverUrl must be an https URL' })
    .optional(),
  verificationToken: z.string().min(1),
});

export type RingCentralCredentials = z.infer<typeof credentialsSchema>;

export function serverUrlOf(creds: RingCentralCredentials): string {
  return (creds.serverUrl ?? RINGCENTRAL_PRODUCTION_SERVER).replace(/\/+$/, '');
}
