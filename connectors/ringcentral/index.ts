/**
 * RingCentral connector: account-level telephony session notifications (webhooks), the company
 * call log (backfill), subscription upkeep. See README.md in this folder.
 */
import type { Connector } from '../contract.js';
import { backfillCallLog } from './client.js';
import { ringcentralCredentialsSchema, type RingCentralCredentials } from './credentials.js';
import { maintain } from './maintain.js';
import { merge } from './merge.js';
import { dedupeKey, handshake, parse, verify } from './webhook.js';

export const ringcentralConnector: Connector<RingCentralCredentials> = {
  id: 'ringcentral',
  credentials: ringcentralCredentialsSchema,
  bodyFormat: 'json',
  handshake,
  verify,
  dedupeKey,
  parse,
  merge,
  backfill: backfillCallLog,
  maintain,
};

// Called by the hub's scheduled job, outside the Connector interface.
export { getSubscription, renewSubscription, type SubscriptionState } from './client.js';
export { ringcentralCredentialsSchema, type RingCentralCredentials } from './credentials.js';
