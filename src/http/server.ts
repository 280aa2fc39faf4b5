/**
 * The HTTP server around the app, with the limits a public endpoint needs: a client must send its
 * headers within `headersTimeout` and its whole request within `requestTimeout` (slow-body clients
 * otherwise hold a socket for minutes), and at most `maxConnections` sockets are open at once
 * (beyond that new ones are closed on accept, so one flood cannot exhaust file descriptors).
 */
import http from 'node:http';
import type { Express } from 'express';

export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
}

export function createHttpServer(app: Express, limits: ServerLimits): http.Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for requests past those timeouts (its default, 30 s, would let a
      // 10 s header timeout run to 40 s).
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 4))),
      // Idle keep-alive sockets count against the cap: let them go soon (proxies reuse theirs).
      keepAliveTimeout: 5_000,
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

export function serverLimits(config: { HTTP_HEADERS_TIMEOUT_SECONDS: number; HTTP_REQUEST_TIMEOUT_SECONDS: number; HTTP_MAX_CONNECTIONS: number }): ServerLimits {
  return {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
}
