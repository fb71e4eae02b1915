import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export interface PhoneParts {
  /** The number as the vendor gave it. */
  raw: string;
  /** E.164 when it is a phone number outside the PBX, else ''. */
  e164: string;
  /** The extension when it is an internal number, else ''. */
  ext: string;
}

/**
 * Extensions are short digit strings (by default up to 6 digits) or SIP-style names; they stay as
 * they are and get no E.164. Anything longer is parsed with the connector's default country.
 * Voicenter's "Name<number>" and P-Series "Client<+33…>" forms are unwrapped first.
 */
export function phoneParts(
  value: unknown,
  country: string | undefined,
  opts: { maxExtensionDigits?: number } = {},
): PhoneParts {
  const raw = value === undefined || value === null ? '' : String(value).trim();
  const number = unwrapNamed(raw);
  if (number === '') return { raw, e164: '', ext: '' };
  const maxExt = opts.maxExtensionDigits ?? 6;
  const digits = number.replace(/[\s\-().]/g, '');
  if (/^\d+$/.test(digits) && digits.length <= maxExt) return { raw, e164: '', ext: digits };
  if (/^[*#]/.test(digits)) return { raw, e164: '', ext: '' };
  if (!/^\+?\d{7,17}$/.test(digits) && !/^00\d{7,17}$/.test(digits)) {
    // A SIP name or anything that is not a dialable number (e.g. "SIPSIP1", "anonymous").
    return /^[A-Za-z][\w.-]*$/.test(number) && number.length <= 32
      ? { raw, e164: '', ext: number }
      : { raw, e164: '', ext: '' };
  }
  return { raw, e164: toE164(digits, country), ext: '' };
}

/** Numbers recur (the same callers, the same trunks): parsed once per number and country. */
const e164Cache = new Map<string, string>();

export function toE164(digits: string, country: string | undefined): string {
  const key = `${country ?? ''}|${digits}`;
  let e164 = e164Cache.get(key);
  if (e164 === undefined) {
    if (e164Cache.size >= 50_000) e164Cache.clear();
    e164Cache.set(key, (e164 = parseE164(digits, country)));
  }
  return e164;
}

function parseE164(digits: string, country: string | undefined): string {
  const cc = (country?.toUpperCase() || undefined) as CountryCode | undefined;
  let candidate = digits;
  if (candidate.startsWith('00')) candidate = `+${candidate.slice(2)}`;
  const tries = candidate.startsWith('+') ? [candidate] : [candidate, `+${candidate}`];
  for (const t of tries) {
    const parsed = t.startsWith('+') ? parsePhoneNumberFromString(t) : parsePhoneNumberFromString(t, cc);
    if (parsed && parsed.isValid()) return parsed.number;
  }
  // Not valid by the numbering plan, but a plausible international number: keep its digits.
  const loose = cc ? parsePhoneNumberFromString(candidate, cc) : undefined;
  if (loose && loose.isPossible()) return loose.number;
  return '';
}

function unwrapNamed(s: string): string {
  const m = /<([^<>]*)>\s*$/.exec(s);
  return (m ? m[1]! : s).trim();
}
