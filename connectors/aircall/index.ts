import type { Connector } from '../contract.js';
import { backfillAircall } from './client.js';
import { aircallCredentialsSchema, type AircallCredentials } from './credentials.js';
import { maintain } from './maintain.js';
import { mergeAircall } from './merge.js';
import { dedupeKeyAircall, parseAircall, verifyAircall } from './webhook.js';

export type { AircallCredentials } from './credentials.js';

/** Aircall: JSON webhooks authenticated by their body `token`; backfill through GET /v1/calls. */
export const aircallConnector: Connector<AircallCredentials> = {
  id: 'aircall',
  credentials: aircallCredentialsSchema,
  bodyFormat: 'json',
  verify: (req, creds) => verifyAircall(req, creds),
  dedupeKey: dedupeKeyAircall,
  // The webhook token travels in every body: drop it before the delivery is stored.
  redact: (rawBody) => {
    const { token: _token, ...rest } = JSON.parse(rawBody) as Record<string, unknown>;
    return JSON.stringify(rest);
  },
  parse: parseAircall,
  merge: mergeAircall,
  backfill: backfillAircall,
  maintain,
};
