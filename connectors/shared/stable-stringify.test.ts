/**
 * stableStringify's text is hashed into stored dedupe and event keys: it must stay byte for byte
 * what it was (the reference below is the first implementation), whatever the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableStringify } from './events.js';

function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

describe('stableStringify', () => {
  it('gives the same text as the first implementation for any JSON value, undefined members included', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.integer(), fc.constantFrom(-0, 1e21, 5e-324, Number.MAX_VALUE, NaN, -Infinity), fc.boolean(), fc.constant(null), fc.constant(undefined)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(fc.string({ unit: 'binary' }), tie('node'), { maxKeys: 6 })),
    })).node;
    fc.assert(fc.property(value, (v) => stableStringify(v) === reference(v)), { numRuns: 2000 });
  });

  it('gives the same text when object shapes repeat, in any key order, sharing first keys (the remembered key orders)', () => {
    // Few key names: the same shapes come back, and different shapes start with the same key.
    const key = fc.constantFrom('a', 'b', 'c', 'id', 'B', '0', '10', '__proto__', 'é', '');
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 5 })),
    })).node;
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    fc.assert(
      fc.property(fc.array(value, { maxLength: 8 }), (values) => {
        for (const v of values) {
          expect(stableStringify(v)).toBe(reference(v));
          expect(stableStringify(reversed(v))).toBe(reference(v));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('sorts keys and drops undefined members', () => {
    expect(stableStringify({ b: 1, a: [2, undefined, { d: undefined, c: 'x' }] })).toBe('{"a":[2,null,{"c":"x"}],"b":1}');
  });
});
