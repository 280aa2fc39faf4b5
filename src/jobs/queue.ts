/**
 * Jobs run on BullMQ when REDIS_URL is set (API and workers as separate processes), else in-process.
 * Both honour deterministic job ids: enqueueing an id that is already waiting or running is a no-op,
 * which is what lets the sweeper re-enqueue pending inbox events safely.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { metrics } from '../lib/metrics.js';
import { jobPayloads, queueSettings, type JobName, type JobPayload, type Processors } from './definitions.js';

export interface EnqueueOptions {
  jobId?: string;
  delayMs?: number;
}

export interface QueueStats {
  queue: JobName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  oldestWaitingSeconds: number;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'inline';
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts?: EnqueueOptions): Promise<void>;
  enqueueMany<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; jobId: string }[]): Promise<void>;
  /** Jobs waiting, delayed or running, over every queue. */
  pending(): Promise<number>;
  /** Per queue: jobs by state and the age of the oldest waiting one (metrics). */
  stats(): Promise<QueueStats[]>;
  ping(): Promise<void>;
  startWorkers(processors: Processors): Promise<void>;
  /** Stop taking jobs and wait for running ones to finish. */
  close(): Promise<void>;
}

const jobNames = Object.keys(jobPayloads) as JobName[];

function validate<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  return jobPayloads[name].parse(payload) as JobPayload<N>;
}

export class BullJobQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly queues = new Map<JobName, Queue>();
  private readonly workers: Worker[] = [];
  /** Producer connection: fails fast while Redis is down (the sweeper catches up later). */
  private readonly producer: Redis;

  constructor(
    private readonly redisUrl: string,
    private readonly logger: Logger,
    private readonly prefix = 'callroi',
    private readonly workerOptions: { lockDurationMs?: number; stalledIntervalMs?: number; concurrency?: number } = {},
  ) {
    this.producer = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      lazyConnect: false,
    });
    this.producer.on('error', (err) => this.logger.debug({ err: err.message }, 'redis producer error'));
    for (const name of jobNames) {
      const queue = new Queue(name, { connection: this.producer as unknown as ConnectionOptions, prefix });
      queue.on('error', (err) => this.logger.debug({ err: err.message, queue: name }, 'queue error'));
      this.queues.set(name, queue);
    }
  }

  private queue(name: JobName): Queue {
    const q = this.queues.get(name);
    if (!q) throw new Error(`unknown queue ${name}`);
    return q;
  }

  private jobOptions(name: JobName, opts: EnqueueOptions = {}) {
    const s = queueSettings[name];
    return {
      jobId: opts.jobId,
      delay: opts.delayMs,
      attempts: s.attempts,
      backoff: { type: 'exponential', delay: s.backoffMs },
      // Completed jobs are removed so that the same deterministic id can be enqueued again later.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts?: EnqueueOptions): Promise<void> {
    await this.queue(name).add(name, validate(name, payload), this.jobOptions(name, opts));
  }

  async enqueueMany<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; jobId: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue(name).addBulk(
      jobs.map((j) => ({ name, data: validate(name, j.payload), opts: this.jobOptions(name, { jobId: j.jobId }) })),
    );
  }

  async pending(): Promise<number> {
    let total = 0;
    for (const q of this.queues.values()) {
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
      total += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return total;
  }

  async ping(): Promise<void> {
    await this.producer.ping();
  }

  async stats(): Promise<QueueStats[]> {
    const now = Date.now();
    return Promise.all(
      [...this.queues.entries()].map(async ([name, q]) => {
        const c = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
        // The oldest waiting job is at the head of the wait list (FIFO).
        const [oldest] = await q.getJobs(['waiting'], 0, 0, true);
        return {
          queue: name,
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
          oldestWaitingSeconds: oldest ? Math.max(0, (now - oldest.timestamp) / 1000) : 0,
        };
      }),
    );
  }

  async startWorkers(processors: Processors): Promise<void> {
    for (const name of jobNames) {
      const s = queueSettings[name];
      const worker = new Worker(
        name,
        async (job: Job) => {
          const payload = validate(name, job.data);
          await (processors[name] as (p: unknown, j: unknown) => Promise<void>)(payload, {
            id: job.id ?? '',
            attempt: job.attemptsMade + 1,
            updateProgress: (p: number) => job.updateProgress(p),
          });
        },
        {
          // Workers block on Redis: they need their own connection that retries forever.
          connection: { url: this.redisUrl, maxRetriesPerRequest: null } as ConnectionOptions,
          prefix: this.prefix,
          concurrency: name === 'process-event' ? (this.workerOptions.concurrency ?? s.concurrency) : s.concurrency,
          // A worker killed mid-job: its lock expires and another worker takes the job again.
          lockDuration: this.workerOptions.lockDurationMs ?? 30_000,
          stalledInterval: this.workerOptions.stalledIntervalMs ?? 30_000,
          maxStalledCount: 5,
        },
      );
      worker.on('failed', (job, err) => {
        const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
        metrics.jobFailures.inc({ queue: name, final: String(final) });
        this.logger.warn({ queue: name, jobId: job?.id, err: err.message }, 'job failed');
      });
      worker.on('error', (err) => this.logger.debug({ queue: name, err: err.message }, 'worker error'));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.producer.disconnect();
  }
}

/**
 * The embedded default: jobs run in this process. Nothing is lost on a crash because the source of
 * truth is the database (pending inbox rows, persisted backfill cursors); the sweeper re-enqueues
 * them on start.
 */
export class InlineJobQueue implements JobQueue {
  readonly kind = 'inline' as const;
  private processors: Processors | null = null;
  private readonly known = new Set<string>();
  private readonly waiting: { name: JobName; payload: unknown; id: string; attempt: number; enqueuedAt: number }[] = [];
  private readonly runningByQueue = new Map<JobName, number>();
  /** Jobs that failed for good since start (BullMQ keeps them in Redis; here they are only counted). */
  private readonly failedByQueue = new Map<JobName, number>();
  private running = 0;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly logger: Logger,
    private readonly concurrency = 4,
  ) {}

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts: EnqueueOptions = {}): Promise<void> {
    const data = validate(name, payload);
    const id = `${name}:${opts.jobId ?? crypto.randomUUID()}`;
    if (this.known.has(id)) return;
    this.known.add(id);
    if (opts.delayMs) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.push(name, data, id, 1);
      }, opts.delayMs);
      this.timers.add(t);
    } else this.push(name, data, id, 1);
  }

  async enqueueMany<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; jobId: string }[]): Promise<void> {
    for (const j of jobs) await this.enqueue(name, j.payload, { jobId: j.jobId });
  }

  private push(name: JobName, payload: unknown, id: string, attempt: number): void {
    if (this.closed) return;
    this.waiting.push({ name, payload, id, attempt, enqueuedAt: Date.now() });
    this.drain();
  }

  private drain(): void {
    if (!this.processors) return;
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.running++;
      this.runningByQueue.set(next.name, (this.runningByQueue.get(next.name) ?? 0) + 1);
      const p = this.run(next).finally(() => {
        this.running--;
        this.runningByQueue.set(next.name, (this.runningByQueue.get(next.name) ?? 1) - 1);
        this.inflight.delete(p);
        this.drain();
      });
      this.inflight.add(p);
    }
  }

  private async run(job: { name: JobName; payload: unknown; id: string; attempt: number }): Promise<void> {
    const processors = this.processors!;
    try {
      await (processors[job.name] as (p: unknown, j: unknown) => Promise<void>)(validate(job.name, job.payload), {
        id: job.id,
        attempt: job.attempt,
        updateProgress: async () => undefined,
      });
      this.known.delete(job.id);
    } catch (err) {
      const s = queueSettings[job.name];
      metrics.jobFailures.inc({ queue: job.name, final: String(job.attempt >= s.attempts) });
      if (job.attempt < s.attempts && !this.closed) {
        const delay = s.backoffMs * 2 ** (job.attempt - 1);
        this.logger.warn({ queue: job.name, jobId: job.id, err: (err as Error).message, delay }, 'job failed, retrying');
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.push(job.name, job.payload, job.id, job.attempt + 1);
        }, delay);
        this.timers.add(t);
      } else {
        this.known.delete(job.id);
        this.failedByQueue.set(job.name, (this.failedByQueue.get(job.name) ?? 0) + 1);
        this.logger.error({ queue: job.name, jobId: job.id, err: (err as Error).message }, 'job failed for good');
      }
    }
  }

  async pending(): Promise<number> {
    return this.waiting.length + this.running + this.timers.size;
  }

  async ping(): Promise<void> {}

  async stats(): Promise<QueueStats[]> {
    const now = Date.now();
    return jobNames.map((name) => {
      const waiting = this.waiting.filter((j) => j.name === name);
      return {
        queue: name,
        waiting: waiting.length,
        active: this.runningByQueue.get(name) ?? 0,
        // Retries wait on timers here (counted together, whatever their queue).
        delayed: 0,
        failed: this.failedByQueue.get(name) ?? 0,
        oldestWaitingSeconds: waiting[0] ? (now - waiting[0].enqueuedAt) / 1000 : 0,
      };
    });
  }

  async startWorkers(processors: Processors): Promise<void> {
    this.processors = processors;
    this.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting.length = 0;
    await Promise.allSettled([...this.inflight]);
  }
}
