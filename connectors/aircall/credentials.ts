import { z } from 'zod';

export const AIRCALL_DEFAULT_BASE_URL = 'https://api.aircall.io';

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
  baseUrl: z.url().max(500).optional(),
});

export type AircallCredentials = z.infer<typeof credentialsSchema>;
