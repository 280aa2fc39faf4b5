import type { ConnectorContext } from '../contract.js';

/** A host of the provider's own (`api.aircall.io`), or any subdomain of a `.suffix` entry. */
function isOwnHost(host: string, ownHosts: readonly string[]): boolean {
  return ownHosts.some((h) => (h.startsWith('.') ? host.endsWith(h) : host === h));
}

/**
 * The API base a connection's credentials name (Aircall `baseUrl`, RingCentral `serverUrl`, Vonage
 * `apiHost`), refused unless it is one of the provider's own hosts or one the operator allowed
 * (`ctx.allowedHosts`): the hub sends the account's credentials there, so a tenant must not be able
 * to point it at another server. Without `ctx.allowedHosts` (a connector driven alone, as in its own
 * tests) there is no operator policy to apply.
 */
export function providerBase(base: string, ownHosts: readonly string[], ctx: ConnectorContext): string {
  if (!ctx.allowedHosts) return base;
  const url = new URL(base);
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  const allowed = ctx.allowedHosts.some((h) => h === host || h === `${host}:${port}` || h === url.host.toLowerCase());
  if (!allowed && !isOwnHost(host, ownHosts)) {
    throw new Error(`refused ${url.origin}: not one of the provider's API hosts (an operator can allow it in OUTBOUND_ALLOWED_HOSTS)`);
  }
  return base;
}

/** A page link is followed only on the host the first page came from: it carries the credentials. */
export function sameHost(link: string, base: string): string | null {
  try {
    const next = new URL(link, base);
    return next.origin === new URL(base).origin ? next.toString() : null;
  } catch {
    return null;
  }
}
