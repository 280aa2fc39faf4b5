import type { ConnectorContext, ProviderId } from '../../connectors/index.js';
import type { Logger } from '../lib/logger.js';

export type ConnectorContextFactory = (provider: ProviderId) => ConnectorContext;

export function connectorContextFactory(
  logger: Logger,
  overrides: Partial<Pick<ConnectorContext, 'fetch' | 'now' | 'sleep'>> = {},
): ConnectorContextFactory {
  return (provider) => ({
    logger: logger.child({ provider }),
    fetch: overrides.fetch ?? ((...args) => fetch(...args)),
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  });
}
