/**
 * The one way the hub opens a connection on a tenant's behalf (outbound webhooks, provider APIs,
 * followed page links, redirects). Two halves:
 * - before the request: the URL's scheme, IP literal or internal name (policy.ts);
 * - as the socket connects: every address the name resolved to. The check runs inside undici's
 *   `connect.lookup`, and the socket connects to the address that was checked, so a name that
 *   answers a public address to a first lookup and 127.0.0.1 to the next (DNS rebinding) gains
 *   nothing: there is no second lookup.
 * Redirects are followed here, hop by hop, each hop checked like the first; credentials are not
 * carried to another origin.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { Agent } from 'undici';
import { forbiddenRange } from './address.js';
import { checkUrl, OutboundRefusedError, type OutboundPolicy } from './policy.js';

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function lookupWith(resolver: Resolver, check: boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    resolver(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        if (check) {
          for (const a of addresses) {
            const range = forbiddenRange(a.address);
            // One bad answer refuses the name: connecting to "the other one" would let a rebinding
            // name choose for us.
            if (range) return callback(new OutboundRefusedError(`${hostname} resolves to ${a.address}, not a public address (${range})`), []);
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };
}

export interface OutboundGuard {
  readonly policy: OutboundPolicy;
  /** Why this URL is refused now (scheme, literal address, internal name, or what the name resolves
   *  to), or null. For creation-time answers; delivery checks again at connect time. */
  vet(url: string): Promise<string | null>;
  /** A fetch bound to the guard, giving up after `timeoutMs` (each hop). */
  fetch(opts: { timeoutMs: number }): typeof fetch;
  close(): Promise<void>;
}

export function createOutboundGuard(
  policy: OutboundPolicy,
  opts: {
    resolver?: Resolver;
    /** The fetch underneath, read at call time (tests' HTTP mocks replace the global one). */
    fetchImpl?: () => typeof fetch;
    /** How long vet() waits for DNS before accepting the URL (delivery checks it again). */
    vetTimeoutMs?: number;
  } = {},
): OutboundGuard {
  const resolver = opts.resolver ?? systemResolver;
  const fetchImpl = opts.fetchImpl ?? (() => globalThis.fetch);
  const guarded = new Agent({ connect: { lookup: lookupWith(resolver, true) as never } });
  const trusted = new Agent({ connect: { lookup: lookupWith(resolver, false) as never } });

  const refuse = (url: string): { trusted: boolean } => {
    const verdict = checkUrl(url, policy);
    if ('refused' in verdict) throw new OutboundRefusedError(`refused ${new URL(url).origin}: ${verdict.refused}`);
    return verdict;
  };

  return {
    policy,
    async vet(url) {
      const verdict = checkUrl(url, policy);
      if ('refused' in verdict) return verdict.refused;
      if (verdict.trusted || verdict.url.hostname.startsWith('[') || /^[\d.]+$/.test(verdict.url.hostname)) return null;
      const host = verdict.url.hostname.replace(/\.$/, '');
      let timer: NodeJS.Timeout | undefined;
      try {
        const addresses = await Promise.race([
          resolver(host),
          new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), opts.vetTimeoutMs ?? 2000))),
        ]);
        for (const a of addresses ?? []) {
          const range = forbiddenRange(a.address);
          if (range) return `${host} resolves to ${a.address}, not a public address (${range})`;
        }
        return null;
      } catch {
        // Unresolvable today is not forbidden: the receiver may not be in DNS yet.
        return null;
      } finally {
        clearTimeout(timer);
      }
    },
    fetch({ timeoutMs }) {
      const guardedFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
        const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])]);
        let request = new Request(input, { ...init, signal });
        const follow = (init.redirect ?? 'follow') === 'follow';
        for (let hop = 0; ; hop++) {
          const { trusted: isTrusted } = refuse(request.url);
          let res: Response;
          try {
            res = await fetchImpl()(request.clone(), { dispatcher: isTrusted ? trusted : guarded, redirect: 'manual' } as RequestInit);
          } catch (err) {
            // undici wraps connect errors in "fetch failed": surface the refusal itself.
            const cause = (err as { cause?: unknown }).cause;
            if (cause instanceof OutboundRefusedError) throw cause;
            throw err;
          }
          const location = res.headers.get('location');
          if (!follow || !REDIRECTS.has(res.status) || !location) return res;
          if (hop >= MAX_REDIRECTS) throw new OutboundRefusedError(`more than ${MAX_REDIRECTS} redirects from ${new URL(request.url).origin}`);
          await res.arrayBuffer().catch(() => undefined);
          const next = new URL(location, request.url);
          const headers = new Headers(request.headers);
          if (next.origin !== new URL(request.url).origin) {
            headers.delete('authorization');
            headers.delete('cookie');
          }
          const keepBody = res.status === 307 || res.status === 308;
          const method = keepBody ? request.method : request.method === 'HEAD' ? 'HEAD' : 'GET';
          if (!keepBody) headers.delete('content-type');
          request = new Request(next, { method, headers, body: keepBody ? await request.arrayBuffer() : undefined, signal });
        }
      };
      return guardedFetch as typeof fetch;
    },
    async close() {
      await Promise.allSettled([guarded.close(), trusted.close()]);
    },
  };
}
