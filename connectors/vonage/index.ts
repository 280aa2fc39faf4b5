/**
 * Vonage connector: Voice API signed event webhooks, and the call list for backfill.
 * See README.md in this folder.
 */
import type { Connector } from '../contract.js';
import { backfill } from './client.js';
import { credentialsSchema, type VonageCredentials } from './credentials.js';
import { merge } from './merge.js';
import { dedupeKey, parse, verify } from './webhook.js';

export const vonageConnector: Connector<VonageCredentials> = {
  id: 'vonage',
  credentials: credentialsSchema,
  bodyFormat: 'json',
  verify,
  dedupeKey,
  // `parse(delivery, creds?)`: the hub may pass the credentials so the account currency is kept.
  parse,
  merge,
  // A `transfer` moves a leg into another conversation: the two conversations are one call.
  joinsCalls: true,
  backfill,
};

export type { VonageCredentials } from './credentials.js';
