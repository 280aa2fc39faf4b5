/**
 * Nesting depth of a JSON text, read from its bytes before anything parses it. A valid body 5 000
 * levels deep parses fine, then overflows the stack of every recursive walk after it (hashing for
 * dedupe keys, redaction, validation): answered 500, never stored, and retried forever by the
 * provider. No provider or API body comes near the limit: refuse it as bad input instead.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * At most `max` bytes `{` and `[` in all (inside strings too): nothing can nest deeper than that.
 * Counted with the native indexOf, a few calls for a usual body, where the byte walk below cost a
 * JSON delivery about as much as parsing it (bench/ingest, Aircall's accept path).
 */
function fewOpeners(buf: Buffer, max: number): boolean {
  let count = 0;
  for (const opener of [0x7b, 0x5b]) {
    for (let at = buf.indexOf(opener); at >= 0; at = buf.indexOf(opener, at + 1)) if (++count > max) return false;
  }
  return true;
}

/** True when arrays/objects nest deeper than `max` (strings, escapes included, are skipped). */
export function jsonTooDeep(body: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (fewOpeners(buf, max)) return false;
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
