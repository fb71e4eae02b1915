/**
 * Which PABX days a read covers. The PABX reports by local calendar day (year/month/day), so days
 * are counted in the connector's `timezone`. Only complete days are read on schedule: a report
 * locks the billing engine, so a day is read once it is over and again during the lookback.
 */
import { DateTime } from 'luxon';
import type { Cursor, PollWindow } from '../core/contract.js';

export const DAY_FORMAT = 'yyyy-MM-dd';

/**
 * Scheduled read: from the day after the cursor (the last fully read day) minus `lookbackDays`, up
 * to yesterday. No cursor reads as if the day before yesterday had been read; a cursor later than
 * yesterday (in the future) reads nothing.
 */
export function scheduledDays(cursor: Cursor | null, lookbackDays: number, zone: string, now: Date): string[] {
  const yesterday = localDate(now, zone).minus({ days: 1 });
  const last = cursorDay(cursor) ?? yesterday.minus({ days: 1 });
  if (last > yesterday) return [];
  return daysBetween(last.plus({ days: 1 - lookbackDays }), yesterday);
}

/** Backfill: every local day touched by [from, to), up to today (which may be partial). */
export function windowDays(window: PollWindow, zone: string, now: Date): string[] {
  if (window.to.getTime() <= window.from.getTime()) return [];
  const first = localDate(window.from, zone);
  const lastInWindow = localDate(new Date(window.to.getTime() - 1), zone);
  const today = localDate(now, zone);
  return daysBetween(first, lastInWindow < today ? lastInWindow : today);
}

export function cursorDay(cursor: Cursor | null): DateTime | undefined {
  const day = cursor?.day;
  if (typeof day !== 'string') return undefined;
  const dt = DateTime.fromFormat(day, DAY_FORMAT, { zone: 'UTC' });
  return dt.isValid ? dt : undefined;
}

/** The request scope of one day. */
export function dayScope(day: string): { year: number; month: number; day: number; days: number } {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return { year: y, month: m, day: d, days: 1 };
}

/** Calendar date of an instant in `zone`, as a UTC-midnight DateTime (plain date arithmetic). */
function localDate(at: Date, zone: string): DateTime {
  const local = DateTime.fromJSDate(at, { zone });
  return DateTime.utc(local.year, local.month, local.day);
}

function daysBetween(from: DateTime, to: DateTime): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = d.plus({ days: 1 })) out.push(d.toFormat(DAY_FORMAT));
  return out;
}
