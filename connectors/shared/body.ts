/**
 * A webhook body parsed once per request. The hub's validity check, `verify`, `dedupeKey` and
 * `redact` all read the same delivery; parsing it again in each was a large part of a JSON
 * delivery's accept CPU (bench/ingest, Aircall: four JSON.parse of one body). Memoised by the
 * request's own body Buffer, so the parse lives exactly as long as the request.
 *
 * The values are shared between those readers: treat them as read-only.
 */
import { createHash } from 'node:crypto';

const texts = new WeakMap<Buffer, string>();
const jsons = new WeakMap<Buffer, { value: unknown } | null>();
const forms = new WeakMap<Buffer, readonly (readonly [string, string])[]>();
const hashes = new WeakMap<Buffer, string>();

/** The body as UTF-8 text. */
export function bodyText(rawBody: Buffer): string {
  let text = texts.get(rawBody);
  if (text === undefined) {
    text = rawBody.toString('utf8');
    texts.set(rawBody, text);
  }
  return text;
}

/** SHA-256 of the body's bytes, hex (Vonage signs it, and it is its dedupe key too). */
export function bodySha256Hex(rawBody: Buffer): string {
  let hash = hashes.get(rawBody);
  if (hash === undefined) {
    hash = createHash('sha256').update(rawBody).digest('hex');
    hashes.set(rawBody, hash);
  }
  return hash;
}

/** The body parsed as JSON, or null when it is not JSON. */
export function jsonBody(rawBody: Buffer): { value: unknown } | null {
  let parsed = jsons.get(rawBody);
  if (parsed === undefined) {
    try {
      parsed = { value: JSON.parse(bodyText(rawBody)) as unknown };
    } catch {
      parsed = null;
    }
    jsons.set(rawBody, parsed);
  }
  return parsed;
}

/** The body's form fields (application/x-www-form-urlencoded), in order, repeats included. */
export function formEntries(rawBody: Buffer): readonly (readonly [string, string])[] {
  let entries = forms.get(rawBody);
  if (entries === undefined) {
    entries = [...new URLSearchParams(bodyText(rawBody))];
    forms.set(rawBody, entries);
  }
  return entries;
}
