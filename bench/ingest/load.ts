/**
 * The load generator (a child process; never in the server's process). Closed loop: `connections`
 * keep-alive sockets to 127.0.0.1, each sends its next pre-serialised request as soon as the previous
 * response is complete. Bounded twice: by the number of pre-signed deliveries and by time
 * (warm-up + window + at most DRAIN_MS for the requests in flight). Raw sockets rather than
 * node:http's client so that the generator spends as little of the 2 cores as it can.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { deliveryFactory, serialise } from './deliveries.js';
import { frameResponse, percentile } from './http-response.js';
import { usageSince, type LoadEvent, type LoadJob, type LoadResult } from './protocol.js';

const DRAIN_MS = 5_000;

function send(msg: LoadEvent): void {
  process.send?.(msg);
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const presignStart = performance.now();
  const factory = deliveryFactory(job.provider, job.connectionId, job.runTag, Math.floor(Date.now() / 1000));
  const requests: Buffer[] = new Array<Buffer>(job.count);
  for (let i = 0; i < job.count; i++) requests[i] = serialise(factory.make(i), job.port);
  const presignMs = performance.now() - presignStart;

  const latencies = new Float64Array(job.count);
  let recorded = 0;
  const windowStatuses: Record<string, number> = {};
  let next = 0;
  let totalAccepted = 0;
  let socketErrors = 0;
  let inFlight = 0;

  const startedAt = performance.now();
  const windowStart = startedAt + job.warmupMs;
  let windowEnd = windowStart + job.durationMs;
  let inWindow = false;
  let stopped = false;
  let cpuAtWindowStart = process.cpuUsage();

  let onIdle: () => void = () => undefined;
  const idle = new Promise<void>((resolve) => (onIdle = resolve));

  const tick = setInterval(() => {
    const now = performance.now();
    if (!inWindow && now >= windowStart && now < windowEnd) {
      inWindow = true;
      cpuAtWindowStart = process.cpuUsage();
      send({ type: 'window-start' });
    }
    if (!stopped && now >= windowEnd) stop(now);
  }, 5);

  let cpuWindow = usageSince(cpuAtWindowStart);
  function stop(now: number): void {
    if (stopped) return;
    stopped = true;
    windowEnd = Math.min(windowEnd, now);
    cpuWindow = usageSince(cpuAtWindowStart);
    if (inWindow) send({ type: 'window-end' });
    inWindow = false;
    if (inFlight === 0) onIdle();
    setTimeout(onIdle, DRAIN_MS).unref();
  }

  function open(): Socket {
    const socket = connect({ port: job.port, host: '127.0.0.1', noDelay: true });
    let pending: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    let busy = false;

    const fire = () => {
      if (stopped || busy) return;
      if (next >= job.count) {
        stop(performance.now());
        return;
      }
      const i = next++;
      busy = true;
      inFlight++;
      sentAt = performance.now();
      socket.write(requests[i]!);
    };

    socket.on('connect', fire);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const framed = frameResponse(pending);
      if (!framed) return;
      pending = pending.subarray(framed.length);
      const doneAt = performance.now();
      busy = false;
      inFlight--;
      if (framed.status >= 200 && framed.status < 300) totalAccepted++;
      if (doneAt >= windowStart && doneAt <= windowEnd && sentAt >= windowStart) {
        latencies[recorded++] = doneAt - sentAt;
        windowStatuses[framed.status] = (windowStatuses[framed.status] ?? 0) + 1;
      }
      if (stopped && inFlight === 0) onIdle();
      if (framed.close) socket.end();
      else fire();
    });
    socket.on('error', () => {
      socketErrors++;
    });
    socket.on('close', () => {
      if (busy) {
        busy = false;
        inFlight--;
      }
      sockets.delete(socket);
      // A server that closes a keep-alive socket (timeout, Connection: close) gets a fresh one.
      if (!stopped) sockets.add(open());
      else if (inFlight === 0) onIdle();
    });
    return socket;
  }

  const sockets = new Set<Socket>();
  for (let c = 0; c < job.connections; c++) sockets.add(open());
  await idle;
  clearInterval(tick);
  for (const s of sockets) s.destroy();

  const sorted = latencies.subarray(0, recorded).sort();
  return {
    type: 'result',
    presignMs,
    windowMs: Math.max(0, windowEnd - windowStart),
    windowStatuses,
    totalAccepted,
    totalSent: next,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: percentile(sorted, 100),
    exhausted: next >= job.count,
    socketErrors,
    ...cpuWindow,
  };
}

process.once('message', (msg: LoadJob) => {
  runJob(msg).then(
    (result) => {
      send(result);
      process.disconnect?.();
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
