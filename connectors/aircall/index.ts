/** Aircall: JSON webhooks authenticated by their body `token`; backfill through GET /v1/calls. */
import type { Connector } from '../contract.js';
import { backfill } from './client.js';
import { credentialsSchema, type AircallCredentials } from './credentials.js';
import { maintain } from './maintain.js';
import { merge } from './merge.js';
import { dedupeKey, parse, redact, verify } from './webhook.js';

export type { AircallCredentials } from './credentials.js';

export const aircallConnector: Connector<AircallCredentials> = {
  id: 'aircall',
  credentials: credentialsSchema,
  bodyFormat: 'json',
  verify,
  dedupeKey,
  redact,
  parse,
  merge,
  backfill,
  maintain,
};
