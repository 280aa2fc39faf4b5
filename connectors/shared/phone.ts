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
