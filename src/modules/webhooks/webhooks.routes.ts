/**
 * POST /webhooks/{provider}/{connectionId}: handshake → verify → store with a dedupe key → 2xx →
 * enqueue. Everything provider-specific after the acknowledgement happens in a job.
 */
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../http/json-depth.js';
import express, { type Express, type Request } from 'express';
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

function storedHeaders(headers: Request['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (DROPPED_HEADERS.has(k) || v === undefined) continue;
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

/**
 * Mounted on the app itself rather than through a Router of its own: a nested router costs every
 * delivery a second dispatch (path trimming, its own layer walk), measurable on the accept path.
 */
export function mountWebhookRoute(app: Express, deps: {
  connections: ConnectionsService;
  inbox: InboxWriter;
  queue: JobQueue;
  logger: Logger;
  publicBaseUrl: string;
  bodyLimit: number;
  context: ConnectorContextFactory;
}): void {
  const raw = express.raw({ type: () => true, limit: deps.bodyLimit });

  app.post('/webhooks/:provider/:connectionId', raw, async (req, res) => {
    const provider = req.params.provider as string;
    const connectionId = req.params.connectionId as string;
    if (!(providerIds as readonly string[]).includes(provider)) throw new NotFoundError('Provider');
    const connection = await deps.connections.forWebhook(provider, connectionId);
    if (!connection) throw new NotFoundError('Connection');
    const connector = connectorFor(provider as ProviderId);

    // The URL as the provider requested it: our public base + the path and query it called.
    const publicUrl = `${deps.publicBaseUrl}${req.originalUrl}`;
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const request: WebhookRequest = {
      method: req.method,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      headers,
      publicUrl,
      query: flatQuery(req.originalUrl),
    };

    const handshake = connector.handshake?.(request, connection.credentials);
    if (handshake) {
      res.status(handshake.status).set(handshake.headers).send(handshake.body);
      return;
    }
    if (connector.bodyFormat === 'json') {
      if (jsonTooDeep(request.rawBody)) {
        throw new BadRequestError(`The body nests deeper than ${MAX_JSON_DEPTH} levels.`, undefined, 'too_deeply_nested');
      }
      // Parsed once here; verify, dedupeKey and redact read the same parse (connectors/shared/body.ts).
      if (!jsonBody(request.rawBody)) {
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
      body: connector.redact ? connector.redact(request) : bodyText(request.rawBody),
    });

    deps.connections.noteDelivery(connection.id);

    const ack = connector.acknowledge?.(request);
    if (ack) res.status(ack.status).set(ack.headers).send(ack.body);
    else res.status(200).json({ received: true, eventId: stored.id, duplicate: !stored.inserted });
    // The inbox writer enqueues each committed batch (src/deps.ts).
  });
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
