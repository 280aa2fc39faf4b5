/**
 * The periodic loops of a worker (sweeps, schedules): `task` every `ms`, never two runs of one
 * loop at once (a slow run makes the next tick skip), a failure logged and the loop kept.
 * Returns the stopper. Failures log at debug by default: a sweep fails while the database or
 * Redis is away, which /readyz already says; scheduled work that must not fail silently says warn.
 */
import type { Logger } from '../lib/logger.js';

export function every(ms: number, what: string, task: () => Promise<unknown>, logger: Logger, opts: { now?: boolean; failureLevel?: 'debug' | 'warn' } = {}): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    task()
      .catch((err: Error) => logger[opts.failureLevel ?? 'debug']({ err: err.message, loop: what }, `${what} failed`))
      .finally(() => {
        running = false;
      });
  };
  if (opts.now) tick();
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}
