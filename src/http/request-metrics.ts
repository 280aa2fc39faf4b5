/**
 * Per-request HTTP metrics (duration by route and status; webhook outcomes by provider), recorded
 * when the response finishes. Every request of the accept path crosses this, so it allocates no
 * closure per request: the start time and the route label ride on the response, and one shared
 * listener reads them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { providerIds } from '../../connectors/index.js';
import { metrics } from '../lib/metrics.js';

const START = Symbol('requestStart');
const ROUTE = Symbol('metricsRoute');
type Timed = ServerResponse<IncomingMessage> & { [START]?: number; [ROUTE]?: string };

/** The route label of a request that a handler routes itself (not through an express Route). */
export function labelRoute(res: ServerResponse, route: string): void {
  (res as Timed)[ROUTE] = route;
}

/** `/webhooks/{provider}/…` → the provider, or "unknown" (a label never takes arbitrary input). */
export function webhookProvider(url: string): string {
  const from = '/webhooks/'.length;
  let to = from;
  while (to < url.length && url[to] !== '/' && url[to] !== '?') to++;
  const segment = url.slice(from, to);
  return (providerIds as readonly string[]).includes(segment) ? segment : 'unknown';
}

function onFinish(this: Timed): void {
  // An express request, or one the webhook fast path answered without express (no route, no originalUrl).
  const req = this.req as Partial<Request> & IncomingMessage;
  const route = this[ROUTE] ?? (req.route?.path ? `${req.baseUrl ?? ''}${req.route.path as string}` : 'unmatched');
  const status = String(this.statusCode);
  metrics.httpDuration.observe({ route, status }, (performance.now() - this[START]!) / 1000);
  // The provider from the URL itself: on an error (a failed signature) nothing else names it.
  const url = req.originalUrl ?? req.url ?? '';
  if (url.startsWith('/webhooks/')) metrics.webhooks.inc({ provider: webhookProvider(url), outcome: status });
}

/** Times a request from now until its response finishes (once: a request handed on keeps its start). */
export function timeRequest(res: ServerResponse, route?: string): void {
  const timed = res as Timed;
  if (timed[START] !== undefined) return;
  timed[START] = performance.now();
  if (route !== undefined) timed[ROUTE] = route;
  res.on('finish', onFinish);
}

export function requestMetrics(): RequestHandler {
  return (_req, res, next) => {
    timeRequest(res);
    next();
  };
}
