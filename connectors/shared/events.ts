import { createHash } from 'node:crypto';
import type { CallEvent } from '../contract.js';

/** An object's own keys as Object.keys lists them, that list sorted, and each sorted key quoted. */
interface KeyOrder {
  keys: readonly string[];
  sorted: readonly string[];
  /** `"key":` for each key of `sorted`. */
  heads: readonly string[];
}

/**
 * Key orders already sorted, by the object's first key. Providers' payloads repeat the same few
 * object shapes, so sorting and quoting their keys again for every delivery (and looking each
 * quoted key up in a map) was most of what stableStringify cost beyond writing the text. A shape
 * is recognised by comparing its whole key list, so a hit is always the same list: cheap, as
 * JSON.parse hands out the same internalised key strings every time.
 */
const keyOrders = new Map<string, KeyOrder[]>();
let keyOrdersSize = 0;
const KEY_ORDERS_MAX = 2_000;
const SHAPES_PER_FIRST_KEY = 8;

function keyOrder(keys: string[]): KeyOrder {
  const candidates = keyOrders.get(keys[0]!);
  if (candidates) {
    search: for (const c of candidates) {
      if (c.keys.length !== keys.length) continue;
      for (let i = 1; i < keys.length; i++) if (c.keys[i] !== keys[i]) continue search;
      return c;
    }
  }
  // Object.keys(…).sort() orders by UTF-16 code units, as `a < b` does.
  const sorted = [...keys].sort();
  const order: KeyOrder = { keys, sorted, heads: sorted.map((k) => `${JSON.stringify(k)}:`) };
  // Bounded: bodies with ever new keys (or a sender's random ones) are sorted every time, as before.
  if (keyOrdersSize < KEY_ORDERS_MAX && (candidates?.length ?? 0) < SHAPES_PER_FIRST_KEY) {
    if (candidates) candidates.push(order);
    else keyOrders.set(keys[0]!, [order]);
    keyOrdersSize++;
  }
  return order;
}

/**
 * Stable JSON (keys sorted) so that equal payloads hash equally whatever their key order. Dedupe
 * and event keys are stored hashes of this text, so its output must never change; it is written
 * with plain loops, numbers, booleans and null written without JSON.stringify (the same text) and
 * each object shape's keys sorted and quoted once (see keyOrders), because it runs on every JSON
 * delivery's accept path (bench/ingest: the top own function of an Aircall delivery).
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
  const keys = Object.keys(record);
  if (keys.length === 0) return '{}';
  const { sorted, heads } = keyOrder(keys);
  let out = '{';
  for (let i = 0; i < sorted.length; i++) {
    const v = record[sorted[i]!];
    if (v === undefined) continue;
    // out is '{' until the first member is written.
    out += (out.length === 1 ? heads[i]! : `,${heads[i]!}`) + stableStringify(v);
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
