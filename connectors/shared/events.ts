import { createHash } from 'node:crypto';
import type { CallEvent } from '../contract.js';

/**
 * Stable JSON (keys sorted) so that equal payloads hash equally whatever their key order. Dedupe
 * and event keys are stored hashes of this text, so its output must never change; it is written
 * with plain loops because it runs on every JSON delivery's accept path (bench/ingest).
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + stableStringify(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Object.keys(…).sort() orders by UTF-16 code units, as `a < b` does.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${stableStringify(v)}`;
    first = false;
  }
  return `${out}}`;
}

export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex');
}

/** Key of an event from its content: the same payload delivered twice gets the same key. */
export function contentKey(prefix: string, data: unknown): string {
  return `${prefix}:${sha256Hex(stableStringify(data)).slice(0, 32)}`;
}

/**
 * Drop duplicate events (same key) and sort the rest deterministically by `orderOf`, then by key,
 * so that `merge` sees the same sequence whatever the arrival order.
 */
export function uniqueSorted<T extends CallEvent>(
  events: readonly T[],
  orderOf: (e: T) => number,
): T[] {
  const byKey = new Map<string, T>();
  for (const e of events) if (!byKey.has(e.key)) byKey.set(e.key, e);
  return [...byKey.values()].sort((a, b) => orderOf(a) - orderOf(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Whole seconds between two ISO instants (rounded), never negative. */
export function secondsBetween(from: string | null | undefined, to: string | null | undefined): number {
  if (!from || !to) return 0;
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
}

export function iso(date: Date | number): string {
  return new Date(date).toISOString();
}
