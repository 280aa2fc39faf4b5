/**
 * What every server child shares: listen on 127.0.0.1:0, tell the orchestrator, mark the start of
 * the measurement window on command, report its own CPU time and peak RSS on stop, then close.
 */
import type { Server } from 'node:http';
import { usageSince, type ServerCommand, type ServerReady, type ServerReport } from './protocol.js';

export async function listenLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Serve until the orchestrator says stop; `close` releases everything (sockets, pools, queues). */
export function serveUntilStopped(ready: ServerReady, close: () => Promise<void>): void {
  let mark = process.cpuUsage();
  process.on('message', (msg: ServerCommand) => {
    if (msg.type === 'mark') mark = process.cpuUsage();
    if (msg.type === 'stop') {
      const report: ServerReport = { type: 'report', ...usageSince(mark) };
      process.send?.(report);
      close().then(
        () => process.disconnect?.(),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
    }
  });
  process.send?.(ready);
}

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
