/**
 * POST /webhooks/{provider}/{connectionId}: handshake → verify → store with a dedupe key → 2xx →
 * enqueue. Everything provider-specific after the acknowledgement happens in a job.
 */
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../http/json-depth.js';
import express, { type Express } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { labelRoute, timeRequest } from '../../http/request-metrics.js';
import { bodyText, connectorFor, jsonBody, providerIds, type ProviderId, type WebhookRequest } from '../../../connectors/index.js';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { ConnectorContextFactory } from '../../jobs/context.js';
import type { ConnectionsService } from '../connections/index.js';
import type { Operation } from '../../http/openapi.js';
import type { InboxWriter } from './inbox-writer.js';
import { z } from 'zod';

/** Headers kept with a stored delivery: what parsing may need, never credentials. */
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'verification-token', 'validation-token', 'x-twilio-signature']);

function storedHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || DROPPED_HEADERS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The request's headers as connectors read them (one string per name). Node already joins repeated
 * headers into one string, except Set-Cookie (an array, and never in a provider's delivery): the
 * request's own object is used as it is unless one is there.
 */
function requestHeaders(headers: IncomingMessage['headers']): Record<string, string | undefined> {
  if (headers['set-cookie'] === undefined) return headers as Record<string, string | undefined>;
  const out: Record<string, string | undefined> = {};
  for (const k in headers) {
    const v = headers[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function flatQuery(url: string): Record<string, string> {
  const q: Record<string, string> = {};
  // Most callbacks have no query: no URL to parse for them (this is the accept path).
  const at = url.indexOf('?');
  if (at < 0) return q;
  for (const [k, v] of new URLSearchParams(url.slice(at + 1))) q[k] = v;
  return q;
}

export const WEBHOOK_ROUTE = '/webhooks/:provider/:connectionId';

/** The route's path as express would match it (case-insensitive, an optional trailing slash). */
const WEBHOOK_PATH = /^\/webhooks\/([^/]+)\/([^/]+)\/?$/i;

/** A path parameter, percent-decoded as express decodes it; null when it does not decode. */
function pathParam(raw: string): string | null {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/**
 * A string body written as express's res.send writes it for a POST (status, Content-Type with its
 * charset, Content-Length), without the ETag nobody revalidates a webhook answer with. Plain node:
 * the fast path's response has no express methods.
 */
function sendText(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const out: Record<string, string | number> = {};
  for (const k in headers) {
    const v = headers[k]!;
    out[k] = k.toLowerCase() === 'content-type' && !/;\s*charset=/i.test(v) ? `${v}; charset=utf-8` : v;
  }
  out['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(status, out);
  res.end(body);
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

/** An error of the fast path, handed to express to answer (see `take`). */
const PENDING = Symbol('webhookError');
type Handed = IncomingMessage & { [PENDING]?: { error: unknown } };

/** What raw-body calls a body that ended early (the client went away); express answers it as before. */
const aborted = () => Object.assign(new Error('request aborted'), { status: 400, statusCode: 400, type: 'request.aborted' });

export interface WebhookRoute {
  /**
   * The accept path without express (src/app.ts runs it before the app's router): true when it took
   * the request, a POST to a webhook URL with a plain body of a declared length within the limit.
   * It then answers the request itself, or calls `fail` with the error for express to answer
   * (through the app's error handler, exactly as on the express route). Anything else (another
   * method or path, a compressed or chunked body, one over the limit) is left to express: false.
   */
  take(req: IncomingMessage, res: ServerResponse, fail: (error: unknown) => void): boolean;
}

/**
 * POST /webhooks/:provider/:connectionId. The usual delivery goes through `take`, outside express:
 * express's own dispatch (app.handle's prototype swaps and final handler, the router's walk, a
 * Route with its parameter decoding, body-parser's raw reader, res.send) was a large share of a
 * delivery's CPU against bare express (bench/ingest), for nothing a webhook uses. The same route is
 * also the app's first handler after the metrics, for the requests `take` leaves (compressed or
 * chunked bodies, bodies over the limit) and for the errors it hands over. Both run `accept`.
 * Other methods on a webhook URL pass through to the 404 handler, as before.
 */
export function mountWebhookRoute(app: Express, deps: {
  connections: ConnectionsService;
  inbox: InboxWriter;
  queue: JobQueue;
  logger: Logger;
  publicBaseUrl: string;
  bodyLimit: number;
  context: ConnectorContextFactory;
}): WebhookRoute {
  const raw = express.raw({ type: () => true, limit: deps.bodyLimit });

  /** Once the body is read: handshake → verify → store with a dedupe key → 2xx. Errors are thrown. */
  async function accept(req: IncomingMessage, res: ServerResponse, url: string, rawBody: Buffer, providerParam: string | null, idParam: string | null): Promise<void> {
    const provider = providerParam ?? '';
    if (!(providerIds as readonly string[]).includes(provider)) throw new NotFoundError('Provider');
    const connectionId = idParam ?? '';
    // Cached (the usual case): no await before the signature check.
    const cached = deps.connections.cachedForWebhook(provider, connectionId);
    const connection = cached !== undefined ? cached : await deps.connections.forWebhook(provider, connectionId);
    if (!connection) throw new NotFoundError('Connection');
    const connector = connectorFor(provider as ProviderId);

    const request: WebhookRequest = {
      method: req.method ?? 'POST',
      rawBody,
      headers: requestHeaders(req.headers),
      // The URL as the provider requested it: our public base + the path and query it called.
      publicUrl: `${deps.publicBaseUrl}${url}`,
      query: flatQuery(url),
    };

    const handshake = connector.handshake?.(request, connection.credentials);
    if (handshake) {
      sendText(res, handshake.status, handshake.headers, handshake.body);
      return;
    }
    if (connector.bodyFormat === 'json') {
      if (jsonTooDeep(rawBody)) {
        throw new BadRequestError(`The body nests deeper than ${MAX_JSON_DEPTH} levels.`, undefined, 'too_deeply_nested');
      }
      // Parsed once here; verify, dedupeKey and redact read the same parse (connectors/shared/body.ts).
      if (!jsonBody(rawBody)) {
        throw new BadRequestError(`The body is not valid JSON (${provider} webhooks are JSON).`, undefined, 'invalid_json');
      }
    }
    const verdict = connector.verify(request, connection.credentials, deps.context(connection.provider));
    if (!verdict.ok) throw new UnauthorizedError(`Webhook signature check failed: ${verdict.reason}.`, 'invalid_signature');

    const stored = await deps.inbox.write({
      tenantId: connection.tenantId,
      connectionId: connection.id,
      provider,
      dedupeKey: connector.dedupeKey(request),
      headers: storedHeaders(req.headers),
      query: request.query,
      body: connector.redact ? connector.redact(request) : bodyText(rawBody),
    });

    deps.connections.noteDelivery(connection.id);

    const ack = connector.acknowledge?.(request);
    if (ack) sendText(res, ack.status, ack.headers, ack.body);
    else sendText(res, 200, JSON_TYPE, JSON.stringify({ received: true, eventId: stored.id, duplicate: !stored.inserted }));
    // The inbox writer enqueues each committed batch (src/deps.ts).
  }

  function matchPath(url: string): RegExpExecArray | null {
    const at = url.indexOf('?');
    return WEBHOOK_PATH.exec(at < 0 ? url : url.slice(0, at));
  }

  app.use(function webhookRoute(req, res, next) {
    const handed = (req as Handed)[PENDING];
    if (handed) {
      (req as Handed)[PENDING] = undefined;
      return next(handed.error);
    }
    if (req.method !== 'POST') return next();
    const match = matchPath(req.url);
    if (!match) return next();
    labelRoute(res, WEBHOOK_ROUTE);
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      accept(req, res, req.originalUrl, body, pathParam(match[1]!), pathParam(match[2]!)).catch(next);
    });
  });

  function take(req: IncomingMessage, res: ServerResponse, fail: (error: unknown) => void): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const match = matchPath(url);
    if (!match) return false;
    const headers = req.headers;
    // What body-parser would inflate, read in chunks or refuse (413) stays with it.
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    const declared = headers['content-length'];
    if (declared === undefined || headers['transfer-encoding'] !== undefined || !(Number(declared) <= deps.bodyLimit)) return false;

    timeRequest(res, WEBHOOK_ROUTE);
    let handed = false;
    const handOver = (error: unknown) => {
      if (handed) return;
      handed = true;
      (req as Handed)[PENDING] = { error };
      fail(error);
    };
    // node's parser ends the body after exactly Content-Length bytes; most fit in one chunk.
    let first: Buffer | null = null;
    let more: Buffer[] | null = null;
    req.on('data', (chunk: Buffer) => {
      if (first === null) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      const body = more ? Buffer.concat(more) : (first ?? Buffer.alloc(0));
      accept(req, res, url, body, pathParam(match[1]!), pathParam(match[2]!)).catch(handOver);
    });
    // The client went away before the whole body came (after it, there is nobody to answer either).
    req.on('error', () => {
      if (!ended) handOver(aborted());
    });
    return true;
  }

  return { take };
}

export const webhookOperations: Operation[] = [
  {
    method: 'post',
    path: '/webhooks/:provider/:connectionId',
    operationId: 'receiveWebhook',
    tag: 'webhooks',
    auth: 'provider',
    status: 200,
    response: z.object({ received: z.literal(true), eventId: z.uuid(), duplicate: z.boolean() }),
    summary: "A provider's webhook delivery, checked with the provider's own scheme",
    description:
      'Answered 2xx only once the raw delivery is durably stored; 401 on a failed check (nothing stored); 503 when storage is down (the provider retries). Where a provider expects another answer it gets it instead of this JSON (a RingCentral Validation-Token handshake, TwiML for Twilio action callbacks).',
  },
];
