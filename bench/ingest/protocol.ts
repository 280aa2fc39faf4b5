/**
 * Messages between the benchmark's orchestrator and its child processes (node IPC). Every child is
 * its own process so that the server's event loop, the load generator's and the orchestrator's are
 * never shared, and so that each one's CPU time and peak RSS can be read alone.
 */
import type { BenchProvider } from './deliveries.js';

/** What a server child tells once it listens on 127.0.0.1. */
export interface ServerReady {
  type: 'ready';
  port: number;
  /** Connection id per provider (the hub); the bare servers accept any id. */
  connections: Partial<Record<BenchProvider, string>>;
}

/** A process's own resource use over the measurement window (from process.cpuUsage/resourceUsage). */
export interface ProcessUsage {
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Peak resident set size over the process's life, MiB. */
  maxRssMiB: number;
}

export interface ServerReport extends ProcessUsage {
  type: 'report';
}

/** Orchestrator → server child. */
export type ServerCommand = { type: 'mark' } | { type: 'stop' };

export interface LoadJob {
  type: 'job';
  port: number;
  provider: BenchProvider;
  connectionId: string;
  runTag: string;
  /** Distinct deliveries pre-signed before the clock starts: the run's hard bound on requests. */
  count: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult extends ProcessUsage {
  type: 'result';
  presignMs: number;
  /** Wall time of the measurement window (shorter than asked when the deliveries ran out). */
  windowMs: number;
  /** Responses completed inside the window, by status code. */
  windowStatuses: Record<string, number>;
  /** 2xx responses over the whole run (warm-up and drain included): what must be stored. */
  totalAccepted: number;
  totalSent: number;
  /** Latencies (ms) of the window's responses. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  exhausted: boolean;
  socketErrors: number;
}

/** Load child → orchestrator, in order: presigned, window-start, window-end, result. */
export type LoadEvent = { type: 'window-start' } | { type: 'window-end' } | LoadResult;

export function usageSince(startCpu: NodeJS.CpuUsage): ProcessUsage {
  const cpu = process.cpuUsage(startCpu);
  return {
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}
