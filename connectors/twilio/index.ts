import type { Connector } from '../contract.js';
import { backfill } from './client.js';
import { credentialsSchema, type TwilioCredentials } from './credentials.js';
import { follow } from './intelligence.js';
import { merge } from './merge.js';
import { acknowledge, dedupeKey, parse, verify } from './webhook.js';

export const twilioConnector: Connector<TwilioCredentials> = {
  id: 'twilio',
  credentials: credentialsSchema,
  bodyFormat: 'form',
  verify,
  dedupeKey,
  acknowledge,
  parse,
  follow,
  merge,
  backfill,
};
