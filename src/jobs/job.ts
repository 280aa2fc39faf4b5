/** What every job file under src/jobs/ declares: its payload schema, its settings, its processor. */
import type { z } from 'zod';

export interface JobSettings {
  /** Jobs run in parallel per worker process: a number, or the WORKER_CONCURRENCY setting. */
  concurrency: number | 'WORKER_CONCURRENCY';
  /** Tries before the job is failed for good (a permanent error stops earlier: UnrecoverableError). */
  attempts: number;
  /** First retry delay; each next one doubles. */
  backoffMs: number;
}

export interface JobContext {
  id: string;
  /** 1 on the first try. */
  attempt: number;
  updateProgress(p: number): Promise<void>;
}

export type JobProcessor<S extends z.ZodType> = (payload: z.infer<S>, job: JobContext) => Promise<void>;
