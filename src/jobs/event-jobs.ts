/**
 * The jobs of committed deliveries: the API gathers the ids its inbox commits (InboxWriter's
 * `onStored`) into jobs of up to a worker's batch (EVENTS_PER_BATCH) for at most JOB_GATHER_MS, and
 * enqueues each once (named by its first event, so an enqueue repeated is a no-op).
 *
 * Why not one job per commit: a commit holds up to 48 deliveries (fewer when traffic is light), and
 * a worker batches events only from the jobs it holds. With one job per commit, two workers take
 * a burst's commits in turns, so each worker's batches were smaller (78–79 events against 100 with
 * one worker) and the callbacks of one call, which arrive close together, were split between the
 * workers and recomputed once by each (held diagnostic: 948–973 updates of the calls table against
 * 494–504 with one worker). A job of a batch's worth of consecutive deliveries is one batch for
 * whichever worker takes it. Measured (bench/process.ts, burst rows, same machine and day): two
 * workers 0.25–0.27 ms of worker CPU per event against one worker's 0.18 with a job per commit;
 * 0.17–0.19 against 0.14–0.17 with these jobs, 98–99 events per batch (BENCHMARKS.md: 1.22× in the
 * burst, 1.14× at a steady rate; what remains is per worker process, not per event: V8's
 * optimising compiler, which each process runs for itself on its own threads, the process section's
 * split of the workers' CPU).
 * Fewer jobs also cost Redis and both processes fewer round trips (the API's CPU per delivery in
 * the same rows: 0.10 ms before, 0.08 after).
 *
 * If Redis is down the events stay pending and the sweeper enqueues them later
 * (src/jobs/maintenance.ts); the providers already have their 2xx.
 */
import type { Logger } from '../lib/logger.js';
import { MicroBatcher } from '../lib/micro-batch.js';
import { EVENTS_PER_BATCH } from './process-event.js';
import type { JobQueue } from './queue.js';

/**
 * How long the first committed id waits for others (a full job goes at once). It is spent from the
 * worker's own gathering time (process-event's BATCH_WAIT_MS, counted from the job's `gatheredAt`), so
 * a quiet hub shows a call no later than with a job per commit. 50 ms: a burst accepted at ~4,000/s
 * fills a job of 100 in 25 ms only at its peak (jobs of 86–88 with 25 ms in the two-worker burst
 * row, 99 with 50 ms).
 */
export const JOB_GATHER_MS = 50;

export class EventJobs {
  private readonly gather: MicroBatcher<string, void>;

  constructor(queue: JobQueue, logger: Logger) {
    this.gather = new MicroBatcher<string, void>(
      async (ids, oldestAt) => {
        const gatheredAt = Math.round(Date.now() - (performance.now() - oldestAt));
        await queue
          .enqueue('process-event', { eventIds: ids, gatheredAt }, { jobId: ids[0]! })
          .catch((err: Error) => logger.warn({ events: ids.length, err: err.message }, 'enqueue failed; the sweeper will retry'));
        return ids.map(() => undefined);
      },
      EVENTS_PER_BATCH,
      JOB_GATHER_MS,
    );
  }

  /** The ids of one committed inbox batch. */
  add(ids: readonly string[]): void {
    // Their outcomes are not awaited: an enqueue that fails is logged above and swept later.
    this.gather.submitAll(ids);
  }

  /** Enqueues what is gathered now, and waits for every enqueue under way (shutdown). */
  async flush(): Promise<void> {
    await this.gather.drain();
  }
}
