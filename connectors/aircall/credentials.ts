import { z } from 'zod';

export const AIRCALL_DEFAULT_BASE_URL = 'https://api.aircall.io';
/** Where Aircall's REST API lives; another `baseUrl` needs the operator's OUTBOUND_ALLOWED_HOSTS. */
export const AIRCALL_API_HOSTS = ['api.aircall.io'] as const;

/** The Basic credentials must never travel in clear text: https, except a local test server. */
function isSafeBaseUrl(value: string): boolean {
  // zod runs refinements after a failed `.url()` too: an unparseable value must not throw here.
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * An Aircall connection: the API ID + API token pair (HTTP Basic auth for the REST API,
 * https://developer.aircall.io/api-references/#basic-auth) and the token Aircall puts in the body
 * of every webhook it sends (shown on the webhook's page in the Aircall dashboard).
 * `webhookToken` is optional because Aircall shows it only once the webhook exists, and the webhook
 * needs the connection's URL first: until it is set, `verify` refuses every webhook (401).
 */
export const credentialsSchema = z.object({
  apiId: z.string().trim().min(1).max(200),
  apiToken: z.string().trim().min(1).max(500),
  webhookToken: z.string().min(1).max(500).optional(),
  /** Override of https://api.aircall.io (tests, proxies). */
  baseUrl: z.url().max(500).refine(isSafeBaseUrl, { message: 'baseUrl must be an https URL' }).optional(),
});

export type AircallCredentials = z.infer<typeof credentialsSchema>;
