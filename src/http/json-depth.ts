/**
 * Nesting depth of a JSON text, read from its bytes before anything parses it. A valid body 5 000
 * levels deep parses fine, then overflows the stack of every recursive walk after it (hashing for
 * dedupe keys, redaction, validation): answered 500, never stored, and retried forever by the
 * provider. No provider or API body comes near the limit: refuse it as bad input instead.
 */
export const MAX_JSON_DEPTH = 64;

/** True when arrays/objects nest deeper than `max` (strings, escapes included, are skipped). */
export function jsonTooDeep(body: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
