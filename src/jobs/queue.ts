/**
 * Jobs run on BullMQ when REDIS_URL is set (API and workers as separate processes), else in-process.
 * Both honour deterministic job ids: enqueueing an id that is already waiting or running is a no-op,
 * which is what lets the sweeper re-enqueue pending inbox events safely.
 */
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { metrics } from '../lib/metrics.js';
import { jobNames, jobPayloads, queueSettings, type JobName, type JobPayload, type Processors } from './definitions.js';

export interface EnqueueOptions {
  jobId?: string;
  delayMs?: number;
  /** 1 runs first; equal priorities run in order. Fair schedulers give a tenant's n-th job priority n. */
  priority?: number;
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
  /**
   * `restartFailed`: a job of the same id that failed for good is removed first, so the id starts
   * a new round of attempts (the sweeper's way back for events stranded by a long outage).
   * Returns how many failed jobs were restarted.
   */
  enqueueMany<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; jobId: string; priority?: number }[], opts?: { restartFailed?: boolean }): Promise<number>;
  /** Jobs waiting, delayed or running, over every queue. */
  pending(): Promise<number>;
  /** This tenant's jobs waiting, delayed or running (payloads that name the tenant). */
  pendingFor(tenantId: string): Promise<number>;
  /** Per queue: jobs by state and the age of the oldest waiting one (metrics). */
  stats(): Promise<QueueStats[]>;
  /**
   * Seconds since the oldest job of `name` still waiting or running was enqueued (0 when none): what
   * was stored before then is in no job of that queue (the sweeper, src/jobs/maintenance.ts).
   */
  oldestUnfinishedSeconds(name: JobName): Promise<number>;
  ping(): Promise<void>;
  startWorkers(processors: Processors): Promise<void>;
  /** Stop taking jobs and wait for running ones to finish. */
  close(): Promise<void>;
}

/** Settings of this process's workers (src/deps.ts from the configuration; tests shorten them). */
export interface WorkerOptions {
  /** WORKER_CONCURRENCY: the concurrency of the jobs whose settings say so. */
  concurrency: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Tests: every job's first retry delay instead of its own. */
  backoffMs?: number;
}

/** Queues whose payload names the tenant; the others' work is counted from the database (pending
 *  events, due deliveries, unfinished backfills). */
const tenantQueues = jobNames.filter((n) => 'tenantId' in jobPayloads[n].shape);

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
    private readonly workerOptions: WorkerOptions = { concurrency: 8 },
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
      priority: opts.priority === undefined ? undefined : Math.min(Math.max(1, Math.round(opts.priority)), 2_097_151),
      attempts: s.attempts,
      backoff: { type: 'exponential', delay: this.workerOptions.backoffMs ?? s.backoffMs },
      // Completed jobs are removed so that the same deterministic id can be enqueued again later.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts?: EnqueueOptions): Promise<void> {
    await this.queue(name).add(name, validate(name, payload), this.jobOptions(name, opts));
  }

  async enqueueMany<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; jobId: string; priority?: number }[], opts: { restartFailed?: boolean } = {}): Promise<number> {
    if (jobs.length === 0) return 0;
    const queue = this.queue(name);
    let restarted = 0;
    if (opts.restartFailed) {
      // BullMQ ignores an add whose id exists, failed ones included (kept 7 days for inspection).
      const states = await Promise.all(jobs.map((j) => queue.getJobState(j.jobId)));
      for (const [i, state] of states.entries()) {
        if (state !== 'failed') continue;
        await queue.remove(jobs[i]!.jobId);
        restarted++;
      }
    }
    await queue.addBulk(jobs.map((j) => ({ name, data: validate(name, j.payload), opts: this.jobOptions(name, { jobId: j.jobId, priority: j.priority }) })));
    return restarted;
  }

  async pendingFor(tenantId: string): Promise<number> {
    let total = 0;
    for (const name of tenantQueues) {
      // Coalesced per tenant and second: these queues stay short, so reading them is cheap.
      const jobs = await this.queue(name).getJobs(['waiting', 'active', 'delayed', 'prioritized', 'paused'], 0, 999);
      total += jobs.filter((j) => (j?.data as { tenantId?: string } | undefined)?.tenantId === tenantId).length;
    }
    return total;
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

  async oldestUnfinishedSeconds(name: JobName): Promise<number> {
    const q = this.queue(name);
    // The head of the wait list is its oldest (FIFO); running jobs are few (concurrency × workers).
    const [[oldestWaiting], active] = await Promise.all([q.getJobs(['waiting'], 0, 0, true), q.getJobs(['active'])]);
    const oldest = Math.min(...[oldestWaiting, ...active].filter((j) => j !== undefined).map((j) => j.timestamp));
    return Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0;
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
          concurrency: s.concurrency === 'WORKER_CONCURRENCY' ? this.workerOptions.concurrency : s.concurrency,
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
  /** Job id → payload of every job waiting, delayed or running. */
  private readonly known = new Map<string, unknown>();
  private readonly waiting: { name: JobName; payload: unknown; id: string; attempt: number; enqueuedAt: number }[] = [];
  private readonly runningByQueue = new Map<JobName, number>();
  /** The jobs running now. */
  private readonly runningJobs = new Set<{ name: JobName; enqueuedAt: number }>();
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
    this.known.set(id, data);
    if (opts.delayMs) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.push(name, data, id, 1);
      }, opts.delayMs);
      this.timers.add(t);
    } else this.push(name, data, id, 1);
  }

  /** A job failed for good is forgotten here, so its id can always be enqueued again. */
  async enqueueMany<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; jobId: string; priority?: number }[]): Promise<number> {
    for (const j of jobs) await this.enqueue(name, j.payload, { jobId: j.jobId });
    return 0;
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
      this.runningJobs.add(next);
      this.runningByQueue.set(next.name, (this.runningByQueue.get(next.name) ?? 0) + 1);
      const p = this.run(next).finally(() => {
        this.running--;
        this.runningJobs.delete(next);
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
      metrics.jobFailures.inc({ queue: job.name, final: String(job.attempt >= s.attempts || err instanceof UnrecoverableError) });
      if (job.attempt < s.attempts && !this.closed && !(err instanceof UnrecoverableError)) {
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

  async pendingFor(tenantId: string): Promise<number> {
    let n = 0;
    for (const payload of this.known.values()) if ((payload as { tenantId?: string }).tenantId === tenantId) n++;
    return n;
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

  async oldestUnfinishedSeconds(name: JobName): Promise<number> {
    const oldest = Math.min(...[...this.waiting, ...this.runningJobs].filter((j) => j.name === name).map((j) => j.enqueuedAt));
    return Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0;
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
