import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * A provider's number → E.164, or null when it is not a phone number (SIP URI, `client:` identity,
 * "anonymous"). `internationalWithoutPlus`: Vonage sends international numbers as digits without
 * "+" (e.g. "14155550123"), so digits are read as international first.
 */
export function toE164(
  raw: string | null | undefined,
  opts: { defaultCountry?: string; internationalWithoutPlus?: boolean } = {},
): string | null {
  if (!raw) return null;
  // A pure function of its arguments, asked again for the same few numbers on every recompute of
  // a call (libphonenumber's parse was a visible share of the worker's CPU): remembered, bounded.
  const id = `${opts.defaultCountry ?? ''}\u0000${opts.internationalWithoutPlus ? 1 : 0}\u0000${raw}`;
  const known = e164Of.get(id);
  if (known !== undefined) return known;
  const value = parseE164(raw, opts);
  if (e164Of.size >= E164_REMEMBERED) e164Of.clear();
  e164Of.set(id, value);
  return value;
}

const e164Of = new Map<string, string | null>();
const E164_REMEMBERED = 10_000;

function parseE164(raw: string, opts: { defaultCountry?: string; internationalWithoutPlus?: boolean }): string | null {
  const trimmed = raw.trim();
  if (!trimmed || /^(client|sip|anonymous|private|restricted|unknown)/i.test(trimmed)) return null;
  const compact = trimmed.replace(/[\s().-]/g, '');
  const candidates: string[] = [];
  if (compact.startsWith('+')) candidates.push(compact);
  else if (compact.startsWith('00')) candidates.push(`+${compact.slice(2)}`);
  else if (opts.internationalWithoutPlus && /^\d{8,15}$/.test(compact)) candidates.push(`+${compact}`);
  candidates.push(compact);
  for (const candidate of candidates) {
    const parsed = candidate.startsWith('+')
      ? parsePhoneNumberFromString(candidate)
      : parsePhoneNumberFromString(candidate, opts.defaultCountry as CountryCode | undefined);
    if (parsed?.isPossible()) return parsed.number;
  }
  return null;
}
