/** Outbound requests made on a tenant's behalf go through this guard (SSRF). */
export { forbiddenRange } from './address.js';
export { checkUrl, isAllowedHost, OutboundRefusedError, parseAllowedHosts, type OutboundPolicy } from './policy.js';
export { createOutboundGuard, systemResolver, type OutboundGuard, type Resolver } from './fetch.js';
