/**
 * A worker process serves no API, but its counters (job failures, outbound deliveries) live in it:
 * with METRICS_PORT set it answers GET /metrics on that port, for Prometheus to scrape each worker.
 */
import { createServer, type Server } from 'node:http';
import { metricsContentType, metricsText } from './metrics.js';

export function serveMetrics(port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsText().then(
      (body) => res.writeHead(200, { 'content-type': metricsContentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
