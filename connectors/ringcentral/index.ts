/**
 * RingCentral connector: account-level telephony session notifications (webhooks), the company
 * call log (backfill), subscription upkeep. See README.md in this folder.
 */
import type { Connector } from '../contract.js';
import { backfill } from './client.js';
import { credentialsSchema, type RingCentralCredentials } from './credentials.js';
import { maintain } from './maintain.js';
import { merge } from './merge.js';
import { dedupeKey, handshake, parse, verify } from './webhook.js';

export type { RingCentralCredentials } from './credentials.js';

export const ringcentralConnector: Connector<RingCentralCredentials> = {
  id: 'ringcentral',
  credentials: credentialsSchema,
  bodyFormat: 'json',
  handshake,
  verify,
  dedupeKey,
  parse,
  merge,
  backfill,
  maintain,
};
