/**
 * The static half of the outbound guard: what a URL may look like before any name is resolved.
 * The other half (the address a name resolves to, checked as the socket connects) is in fetch.ts.
 */
import { forbiddenRange, isIpLiteral } from './address.js';

export interface OutboundPolicy {
  /** Plain http allowed (ALLOW_HTTP_TARGETS): local development and tests only. */
  allowHttp: boolean;
  /** Operator-named hosts (OUTBOUND_ALLOWED_HOSTS), `host` or `host:port`, lower case. These skip
   *  the address check, loopback included: a self-hosted CRM on the same machine, a dev receiver. */
  allowedHosts: readonly string[];
}

/** Names that reach the machine itself or the cloud's metadata service whatever DNS says. */
const FORBIDDEN_NAMES = [/^localhost$/, /\.localhost$/, /^metadata\.google\.internal$/, /^metadata\.goog$/, /^metadata$/, /^instance-data(\.ec2\.internal)?$/];

export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
  readonly code = 'outbound_refused';
}

/** "a.example.com, 127.0.0.1:4000, [::1]:8080" → normalised entries. */
export function parseAllowedHosts(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((h) => h.trim().toLowerCase().replace(/\.$/, ''))
    .filter(Boolean);
}

function defaultPort(protocol: string): string {
  return protocol === 'http:' ? '80' : '443';
}

/** Host without brackets or trailing dot, lower case; WHATWG URL has already turned `2130706433`,
 *  `0x7f.1` or `0` into dotted IPv4 and compressed IPv6. */
export function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** Whether the operator named this URL's host (with any port, or with this port). */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  const host = hostOf(url);
  const port = url.port || defaultPort(url.protocol);
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return allowedHosts.some((entry) => entry === host || entry === bracketed || entry === `${bracketed}:${port}` || entry === `${host}:${port}`);
}

/**
 * Why `raw` may not be requested before resolution, or null. `trusted` tells the caller whether the
 * connect-time address check applies (it does not for operator-allowed hosts).
 */
export function checkUrl(raw: string | URL, policy: OutboundPolicy): { refused: string } | { trusted: boolean; url: URL } {
  let url: URL;
  try {
    url = typeof raw === 'string' ? new URL(raw) : raw;
  } catch {
    return { refused: 'not a URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return { refused: policy.allowHttp ? 'only http(s) targets are allowed' : 'only https targets are allowed' };
  }
  if (isAllowedHost(url, policy.allowedHosts)) return { trusted: true, url };
  const host = hostOf(url);
  if (isIpLiteral(host)) {
    const range = forbiddenRange(host);
    return range ? { refused: `${host} is not a public address (${range})` } : { trusted: false, url };
  }
  if (FORBIDDEN_NAMES.some((re) => re.test(host))) return { refused: `${host} is an internal name` };
  return { trusted: false, url };
}
