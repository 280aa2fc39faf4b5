/**
 * Which IP addresses the hub may connect to on a tenant's behalf: public unicast only. Loopback,
 * private (RFC 1918), link-local (169.254/16, where cloud metadata lives), CGNAT (100.64/10, where
 * Alibaba's metadata lives), unique-local (fc00::/7, AWS's IPv6 metadata fd00:ec2::254), unspecified
 * (0.0.0.0, which reaches loopback), multicast, reserved and the IPv6 forms that embed an IPv4
 * address (IPv4-mapped, 6to4, NAT64) are refused. ipaddr.js names every special range; anything it
 * does not call `unicast` is refused, so a range added to it later is refused too.
 */
import ipaddr from 'ipaddr.js';

/** The range name when `ip` may not be reached, null when it is a public unicast address. */
export function forbiddenRange(ip: string): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip.replace(/^\[|\]$/g, ''));
  } catch {
    return 'unparseable';
  }
  // ::ffff:169.254.169.254 reaches 169.254.169.254: judge the IPv4 address it carries.
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  return range === 'unicast' ? null : range;
}

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}
