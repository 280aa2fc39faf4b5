/**
 * A webhook body parsed once per request. The hub's validity check, `verify`, `dedupeKey` and
 * `redact` all read the same delivery; parsing it again in each was a large part of a JSON
 * delivery's accept CPU (bench/ingest, Aircall: four JSON.parse of one body).
 *
 * The values are shared between those readers: treat them as read-only.
 */
import { createHash } from 'node:crypto';

/**
 * What was derived from the last body asked about, by the body's identity. The hub asks about one
 * delivery from its validity check to its redaction without yielding, so one entry is enough: a
 * WeakMap entry per body (and per derivation) cost more than the parse it saved, and a buffer
 * asked about again after another one is simply derived again.
 */
export class BodyCache<T> {
  private body: Buffer | null = null;
  private value: T | undefined;

  constructor(private readonly derive: (rawBody: Buffer) => T) {}

  get(rawBody: Buffer): T {
    if (this.body !== rawBody) {
      this.value = this.derive(rawBody);
      this.body = rawBody;
    }
    return this.value as T;
  }
}

const texts = new BodyCache((rawBody) => rawBody.toString('utf8'));
const hashes = new BodyCache((rawBody) => createHash('sha256').update(rawBody).digest('hex'));
const jsons = new BodyCache((rawBody): { value: unknown } | null => {
  try {
    return { value: JSON.parse(bodyText(rawBody)) as unknown };
  } catch {
    return null;
  }
});
const forms = new BodyCache((rawBody): readonly (readonly [string, string])[] => formFields(bodyText(rawBody)));

/** The body as UTF-8 text. */
export function bodyText(rawBody: Buffer): string {
  return texts.get(rawBody);
}

/** SHA-256 of the body's bytes, hex (Vonage signs it, and it is its dedupe key too). */
export function bodySha256Hex(rawBody: Buffer): string {
  return hashes.get(rawBody);
}

/** The body parsed as JSON, or null when it is not JSON. */
export function jsonBody(rawBody: Buffer): { value: unknown } | null {
  return jsons.get(rawBody);
}

/** The body's form fields (application/x-www-form-urlencoded), in order, repeats included. */
export function formEntries(rawBody: Buffer): readonly (readonly [string, string])[] {
  return forms.get(rawBody);
}

/** A form's fields (application/x-www-form-urlencoded text), in order, repeats included: `[...new URLSearchParams(text)]`, fast. */
export function formFields(text: string): [string, string][] {
  return parseForm(text) ?? [...new URLSearchParams(text)];
}

/**
 * `[...new URLSearchParams(text)]` without its iterator (a third of a Twilio delivery's verify in
 * the ingest profile): split on `&`, then at the first `=`, `+` is a space, then percent-decoding.
 * decodeURIComponent decodes a part exactly as the URL standard does whenever it succeeds (valid
 * %XX sequences making valid UTF-8); when it throws (a stray `%`, bytes that are not UTF-8, which
 * the standard turns into U+FFFD) this returns null and the caller parses with URLSearchParams.
 */
export function parseForm(text: string): [string, string][] | null {
  const out: [string, string][] = [];
  // URLSearchParams drops one leading '?' of a string it is given.
  let start = text.charCodeAt(0) === 0x3f ? 1 : 0;
  const n = text.length;
  // The next '=' at or after `start` (-1: none left), searched again only once passed: linear in
  // the body's length whatever it holds ("a&a&a&…" must not rescan the rest for every field).
  let eq = text.indexOf('=', start);
  while (start < n) {
    let end = text.indexOf('&', start);
    if (end < 0) end = n;
    if (eq >= 0 && eq < start) eq = text.indexOf('=', start);
    if (end > start) {
      const named = eq >= 0 && eq < end;
      const name = formPart(text.slice(start, named ? eq : end));
      const value = named ? formPart(text.slice(eq + 1, end)) : '';
      if (name === null || value === null) return null;
      out.push([name, value]);
    }
    start = end + 1;
  }
  return out;
}

function formPart(part: string): string | null {
  // '+' first: a %2B decodes to a '+' that stays one.
  const spaced = part.includes('+') ? part.replaceAll('+', ' ') : part;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return null;
  }
}
