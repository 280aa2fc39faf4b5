import type { ConnectorContext, ProviderId } from '../../connectors/index.js';
import type { Logger } from '../lib/logger.js';

export type ConnectorContextFactory = (provider: ProviderId) => ConnectorContext;

export function connectorContextFactory(
  logger: Logger,
  overrides: Partial<Pick<ConnectorContext, 'fetch' | 'now' | 'sleep'>> = {},
  /** The outbound guard's fetch (SSRF checks, timeout) and the operator's allowed hosts. */
  outbound: { fetch: typeof fetch; allowedHosts: readonly string[] } = { fetch: (...args) => fetch(...args), allowedHosts: [] },
): ConnectorContextFactory {
  // One per provider, made on first use: every webhook asks for one (a child logger per request
  // was measurable on the accept path), and nothing in a context belongs to a single request.
  const made = new Map<ProviderId, ConnectorContext>();
  return (provider) => {
    let ctx = made.get(provider);
    if (!ctx) {
      ctx = {
        logger: logger.child({ provider }),
        fetch: overrides.fetch ?? outbound.fetch,
        allowedHosts: outbound.allowedHosts,
        now: overrides.now ?? (() => new Date()),
        sleep: overrides.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      };
      made.set(provider, ctx);
    }
    return ctx;
  };
}
