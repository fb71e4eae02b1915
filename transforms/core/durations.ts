import { CallhouseError } from '../../runtime/errors.js';

/**
 * Whole seconds from any vendor form: a number, a numeric string ("29"), `H:MM:SS`, `HH:MM:SS`,
 * `MM:SS`, or the clock-like `hh:mm:ss AM|PM` that one Yeastar guide shows (12 AM is hour 0).
 * Anything else throws: a duration is never silently zero.
 */
export function parseDuration(value: unknown, field = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value < 1e9) return Math.round(value);
    throw invalid(field, value);
  }
  if (typeof value !== 'string') throw invalid(field, value);
  const s = value.trim();
  if (/^\d{1,9}(\.\d+)?$/.test(s)) return Math.round(Number(s));
  const clock = /^(\d{1,2}):([0-5]\d):([0-5]\d)\s*([AaPp][Mm])$/.exec(s);
  if (clock) {
    let h = Number(clock[1]);
    if (h < 1 || h > 12) throw invalid(field, value);
    const pm = clock[4]!.toUpperCase() === 'PM';
    if (h === 12) h = 0;
    if (pm) h += 12;
    return h * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  }
  const hms = /^(\d{1,4}):([0-5]\d):([0-5]\d)$/.exec(s);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  const ms = /^(\d{1,4}):([0-5]\d)$/.exec(s);
  if (ms) return Number(ms[1]) * 60 + Number(ms[2]);
  throw invalid(field, value);
}

/** Like parseDuration, but an absent value (undefined, null, '' or ' ') is `fallback`. */
export function parseOptionalDuration(value: unknown, field: string, fallback: number): number;
export function parseOptionalDuration(value: unknown, field: string, fallback: null): number | null;
export function parseOptionalDuration(value: unknown, field: string, fallback: number | null): number | null {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && value.trim() === '') return fallback;
  return parseDuration(value, field);
}

function invalid(field: string, value: unknown): CallhouseError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : String(value);
  return new CallhouseError('INVALID_VALUE', `${field}: not a duration: ${shown}`, {
    details: { field },
  });
}
