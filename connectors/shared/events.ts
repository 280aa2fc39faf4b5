import { createHash } from 'node:crypto';
import type { CallEvent } from '../contract.js';

/** Keys already quoted (JSON.stringify of a key): providers' payloads repeat the same few hundred. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 10_000;

function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(k, q);
  }
  return q;
}

/**
 * Stable JSON (keys sorted) so that equal payloads hash equally whatever their key order. Dedupe
 * and event keys are stored hashes of this text, so its output must never change; it is written
 * with plain loops, numbers, booleans and null written without JSON.stringify (the same text) and
 * keys quoted once, because it runs on every JSON delivery's accept path (bench/ingest: the top
 * own function of an Aircall delivery).
 */
export function stableStringify(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // What JSON.stringify writes: the number's own text, null when it is not finite.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return JSON.stringify(value) ?? 'null';
  }
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
    out += `${first ? '' : ','}${quotedKey(k)}:${stableStringify(v)}`;
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
