/**
 * Report periods: whole hours, days, months or years of the PBX's local calendar, and how a
 * period is written in a request (the PBX's display format, never ISO: a wrong format returns an
 * empty report without any error).
 */
import { DateTime } from 'luxon';
import nodeCron from 'node-cron';
import { DISPLAY_FORMATS, formatDisplay, type DisplayFormat } from '../../transforms/core/times.js';
import type { YeastarPConfig, ReportConfig } from './config.js';
import { REPORT_TYPES, type Granularity } from './report-types.js';

export interface Period {
  /** Local start and end (end exclusive) in the PBX zone. */
  start: DateTime;
  end: DateTime;
}

/** At most this many periods of one report in one read; the next read continues. */
export const MAX_PERIODS_PER_READ = 1000;

function unit(g: Granularity): 'hour' | 'day' | 'month' | 'year' {
  return g;
}

export function periodAt(instant: DateTime, g: Granularity, zone: string): Period {
  const start = instant.setZone(zone).startOf(unit(g));
  return { start, end: start.plus({ [`${unit(g)}s`]: 1 }) };
}

/**
 * Periods to read after the cursor (the end of the last period read) that have ended by `limit`.
 * Without a cursor, only the last period that has ended.
 */
export function duePeriods(g: Granularity, zone: string, cursorEnd: DateTime | undefined, limit: DateTime): Period[] {
  let p = cursorEnd
    ? periodAt(cursorEnd, g, zone)
    : periodAt(periodAt(limit, g, zone).start.minus({ seconds: 1 }), g, zone);
  const out: Period[] = [];
  while (p.end <= limit && out.length < MAX_PERIODS_PER_READ) {
    out.push(p);
    p = periodAt(p.end, g, zone);
  }
  return out;
}

/** Periods of a backfill window [from, to), whole periods only, none that has not ended by `now`. */
export function windowPeriods(g: Granularity, zone: string, from: DateTime, to: DateTime, now: DateTime): Period[] {
  let p = periodAt(from, g, zone);
  const out: Period[] = [];
  while (p.start < to && p.end <= now && out.length < 100_000) {
    out.push(p);
    p = periodAt(p.end, g, zone);
  }
  return out;
}

const MONTH_FORMATS: Record<DisplayFormat, string> = {
  'MM/DD/YYYY': 'MM/yyyy',
  'DD/MM/YYYY': 'MM/yyyy',
  'YYYY/MM/DD': 'yyyy/MM',
  'YYYY-MM-DD': 'yyyy-MM',
};

/** The request parameters that say which period a report covers. */
export function periodParams(report: ReportConfig, period: Period, cfg: YeastarPConfig): Record<string, string> {
  const display = cfg.display_format as DisplayFormat;
  if (REPORT_TYPES[report.type].time === 'range') {
    // end_time is inclusive on the PBX: the last second of the period.
    return {
      start_time: formatDisplay(period.start, cfg.timezone, display, cfg.clock),
      end_time: formatDisplay(period.end.minus({ seconds: 1 }), cfg.timezone, display, cfg.clock),
    };
  }
  // `time` names one day (rows per hour), one month (rows per day) or one year (rows per month).
  const local = period.start.setZone(cfg.timezone);
  const format =
    report.granularity === 'year'
      ? 'yyyy'
      : report.granularity === 'month'
        ? MONTH_FORMATS[display]
        : DISPLAY_FORMATS[display];
  return { time: local.toFormat(format) };
}

/**
 * The last time at or before `now` that a cron schedule fired, in `zone`, or undefined when it
 * has not fired in the past year. Minute resolution (a seconds field is ignored).
 */
export function lastFire(pattern: string, now: DateTime, zone: string): DateTime | undefined {
  const f = nodeCron.parse(pattern);
  const minutes = new Set(f.minute);
  const hours = new Set(f.hour);
  const months = new Set(f.month);
  const doms = new Set(f.dayOfMonth.map(Number));
  const dows = new Set(f.dayOfWeek.map((d) => Number(d) % 7));
  const anyDom = doms.size >= 31;
  const anyDow = dows.size >= 7;
  const local = now.setZone(zone);
  for (let d = 0; d <= 366; d++) {
    const day = local.minus({ days: d }).startOf('day');
    const domOk = doms.has(day.day);
    const dowOk = dows.has(day.weekday % 7);
    // Standard cron: when both day fields are restricted, either one matching is enough.
    const dayOk = anyDom || anyDow ? domOk && dowOk : domOk || dowOk;
    if (!months.has(day.month) || !dayOk) continue;
    for (let h = 23; h >= 0; h--) {
      if (!hours.has(h)) continue;
      for (let m = 59; m >= 0; m--) {
        if (!minutes.has(m)) continue;
        const t = day.set({ hour: h, minute: m });
        if (t <= local) return t;
      }
    }
  }
  return undefined;
}
