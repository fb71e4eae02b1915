import { CallhouseError } from '../../runtime/errors.js';

/**
 * Money as exact decimal strings (6 places at most): no float arithmetic touches a cost.
 * `scaleDown(4350, 2)` is "43.5" (Voicenter agorot to ILS).
 */
export function decimalString(value: unknown, field = 'cost'): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(field, value);
    return trimDecimal(value.toFixed(6));
  }
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    const [i, f = ''] = value.trim().split('.');
    return trimDecimal(`${i}.${(f + '000000').slice(0, 6)}`);
  }
  throw invalid(field, value);
}

/** Divides a decimal by 10^places exactly, e.g. minor units to major units. */
export function scaleDown(value: unknown, places: number, field = 'cost'): string {
  const s = decimalString(value, field);
  const negative = s.startsWith('-');
  const [i = '0', f = ''] = (negative ? s.slice(1) : s).split('.');
  const padded = i.padStart(places + 1, '0');
  const whole = padded.slice(0, padded.length - places);
  const frac = (padded.slice(padded.length - places) + f).slice(0, 6);
  const out = trimDecimal(`${whole.replace(/^0+(?=\d)/, '')}.${frac}`);
  return negative && out !== '0' ? `-${out}` : out;
}

function trimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  const t = s.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

function invalid(field: string, value: unknown): CallhouseError {
  return new CallhouseError('INVALID_VALUE', `${field}: not an amount: ${String(value).slice(0, 64)}`);
}
