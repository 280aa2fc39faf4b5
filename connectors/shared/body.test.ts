/**
 * formEntries parses form bodies by hand on the accept path: what it returns must be exactly what
 * URLSearchParams returns (signatures and stored dedupe keys are computed over it), whatever the body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formEntries, parseForm } from './body.js';

const reference = (text: string) => [...new URLSearchParams(text)];

/** Form-ish text: the characters that matter to the parser, percent escapes (valid or not), and any text. */
const formText = fc
  .array(
    fc.oneof(
      fc.constantFrom('&', '=', '+', '%', '?', '%2B', '%26', '%3D', '%20', '%25', '%C3%A9', '%E2%82%AC', '%F0%9F%98%80', '%FF', '%C3', '%ED%A0%80', '%C0%80', '%EF%BB%BF', '%zz', '%4', 'é', '€', '😀'),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
      fc.integer({ min: 0, max: 255 }).map((n) => `%${n.toString(16).padStart(2, '0')}`),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('form bodies', () => {
  it('parse exactly as URLSearchParams does, for any text', () => {
    fc.assert(
      fc.property(formText, (text) => {
        const fast = parseForm(text);
        // null means "not decodable here": the caller then uses URLSearchParams itself.
        if (fast !== null) expect(fast).toEqual(reference(text));
        expect(formEntries(Buffer.from(text))).toEqual(reference(Buffer.from(text).toString('utf8')));
      }),
      { numRuns: 3000 },
    );
  });

  it('parse a Twilio callback by hand (no fallback), repeated names and a leading ? included', () => {
    const body = new URLSearchParams([
      ['CallSid', 'CA0123'],
      ['From', '+14155550100'],
      ['Caller', 'Zoë & co = 100%'],
      ['Timestamp', 'Mon, 10 Mar 2025 14:00:14 +0000'],
      ['StirVerstat', ''],
      ['CallSid', 'CA4567'],
    ]).toString();
    for (const text of [body, `?${body}`, `${body}&&`, `&${body}&x`]) {
      expect(parseForm(text)).not.toBeNull();
      expect(parseForm(text)).toEqual(reference(text));
    }
    expect(parseForm('a=%zz')).toBeNull();
    expect(formEntries(Buffer.from('a=%zz&b=%C3'))).toEqual([['a', '%zz'], ['b', '\uFFFD']]);
  });
});
