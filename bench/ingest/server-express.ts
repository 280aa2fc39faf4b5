/**
 * Ceiling (2), the framework's limit: a bare express 5 app with the hub's body parser
 * (express.raw, same limit) on the same route shape, answering 200 with the same TwiML without
 * storing or verifying anything.
 */
import { createServer } from 'node:http';
import express from 'express';
import { listenLoopback, serveUntilStopped } from './server-child.js';

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

async function main(): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  app.post('/webhooks/:provider/:connectionId', express.raw({ type: () => true, limit: 1024 * 1024 }), (req, res) => {
    res.status(200).set('content-type', 'text/xml').send(Buffer.isBuffer(req.body) && req.body.length > 0 ? TWIML : '');
  });
  const server = createServer(app);
  const port = await listenLoopback(server);
  serveUntilStopped({ type: 'ready', port, connections: {} }, async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
