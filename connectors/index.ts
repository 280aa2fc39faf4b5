/**
 * The registry. `satisfies Record<ProviderId, Connector>` makes a new provider fail to compile until
 * it has a connector here: adding a provider is adding a folder and one line.
 */
import type { Connector, ProviderId } from './contract.js';
import { aircallConnector } from './aircall/index.js';
import { ringcentralConnector } from './ringcentral/index.js';
import { twilioConnector } from './twilio/index.js';
import { vonageConnector } from './vonage/index.js';

export const connectors = {
  twilio: twilioConnector,
  ringcentral: ringcentralConnector,
  vonage: vonageConnector,
  aircall: aircallConnector,
} satisfies Record<ProviderId, Connector<Record<string, unknown>>>;

export type AnyConnector = Connector<unknown>;

export function connectorFor(provider: ProviderId): AnyConnector {
  return connectors[provider] as unknown as AnyConnector;
}

export * from './contract.js';
export { bodyText, jsonBody } from './shared/body.js';
