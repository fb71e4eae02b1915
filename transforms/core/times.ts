import { DateTime, IANAZone } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';

/** ClickHouse's DateTime64(3) text form. */
export const CH_FORMAT = 'yyyy-MM-dd HH:mm:ss.SSS';

export interface Instant {
  utc: DateTime;
}

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * An IANA zone whose offsets are remembered per quarter hour. Luxon asks Intl for the offset of
 * every instant it converts (the transform's largest single cost); offsets change only at
 * transitions, which fall on quarter hours. A quarter hour whose two ends disagree (a transition
 * at some other minute, in old tz data) is never remembered, so the answer is always Intl's.
 */
class QuarterHourZone extends IANAZone {
  private readonly offsets = new Map<number, number>();

  override offset(ts: number): number {
    if (!this.isValid || !Number.isFinite(ts)) return super.offset(ts);
    const q = Math.floor(ts / QUARTER_HOUR_MS);
    let o = this.offsets.get(q);
    if (o === undefined) {
      o = super.offset(q * QUARTER_HOUR_MS);
      if (super.offset(q * QUARTER_HOUR_MS + QUARTER_HOUR_MS - 1) !== o) return super.offset(ts);
      if (this.offsets.size >= 100_000) this.offsets.clear();
      this.offsets.set(q, o);
    }
    return o;
  }
}

const zones = new Map<string, QuarterHourZone>();

/** The zone object for an IANA name (one per name). */
export function zoneOf(name: string): QuarterHourZone {
  let z = zones.get(name);
  if (!z) zones.set(name, (z = new QuarterHourZone(name)));
  return z;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** CH_FORMAT by hand: luxon's toFormat re-reads the format string on every call. */
function formatCh(dt: DateTime): string {
  if (!dt.isValid) return dt.toString(); // "Invalid DateTime", as toFormat gives
  const ms = dt.millisecond;
  return (
    `${String(dt.year).padStart(4, '0')}-${pad2(dt.month)}-${pad2(dt.day)} ` +
    `${pad2(dt.hour)}:${pad2(dt.minute)}:${pad2(dt.second)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`
  );
}

export function toChUtc(dt: DateTime): string {
  return formatCh(dt.toUTC());
}

/** The same instant as wall-clock time in `zone`. */
export function toChLocal(dt: DateTime, zone: string): string {
  return formatCh(dt.setZone(zoneOf(zone)));
}

/**
 * `dt.plus({ seconds })` for whole seconds, without luxon's duration arithmetic (ten times the
 * cost). Fractions and invalid instants go through luxon itself.
 */
export function plusSeconds(dt: DateTime, seconds: number): DateTime {
  if (!Number.isInteger(seconds) || !dt.isValid) return dt.plus({ seconds });
  return DateTime.fromMillis(dt.toMillis() + seconds * 1000, { zone: dt.zone, locale: dt.locale ?? undefined });
}

export function nowCh(): string {
  return chUtcOfMillis(Date.now());
}

/** An epoch-milliseconds instant as ClickHouse UTC time text (toChUtc without luxon: one per report received). */
export function chUtcOfMillis(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.length === 24 ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : toChUtc(DateTime.fromMillis(ms));
}

/** The Yeastar P-Series display formats, named as the PBX names them. */
export const DISPLAY_FORMATS = {
  'MM/DD/YYYY': 'MM/dd/yyyy',
  'DD/MM/YYYY': 'dd/MM/yyyy',
  'YYYY/MM/DD': 'yyyy/MM/dd',
  'YYYY-MM-DD': 'yyyy-MM-dd',
} as const;
export type DisplayFormat = keyof typeof DISPLAY_FORMATS;
export const DISPLAY_FORMAT_NAMES = Object.keys(DISPLAY_FORMATS) as DisplayFormat[];

export interface ParseTimeOptions {
  /** IANA zone of local times that carry no offset. */
  zone: string;
  /** Date order for slash-separated dates; without it, YYYY/MM/DD is tried, then MM/DD/YYYY. */
  displayFormat?: DisplayFormat;
  field?: string;
  /**
   * An absolute time the vendor gives for the same moment (epoch ms), such as the epoch in a
   * Yeastar `callid`: in a repeated hour, the reading nearer to it is taken.
   */
  near?: number;
  /** Told when a local time fell in a daylight-saving gap or repeated hour, and how it was read. */
  onDst?: (seen: DstReading) => void;
}

/**
 * A local time at a daylight-saving change. `overlap`: the wall clock showed it twice (autumn);
 * `gap`: it never showed it (spring). `vendor_time`: the vendor's absolute time chose the reading;
 * `rule`: the documented rule did (the earlier reading of a repeated hour; a time in a gap moved
 * forward by the gap, as the PBX clock itself moved).
 */
export interface DstReading {
  kind: 'overlap' | 'gap';
  resolved_by: 'vendor_time' | 'rule';
}

/**
 * An instant from any vendor form: epoch seconds or milliseconds (number or numeric string),
 * ISO 8601 with or without offset (without: local time in `zone`), `YYYY-MM-DD HH:MM:SS`, and the
 * P-Series display formats in 24-hour or 12-hour clocks.
 *
 * Local times in a daylight-saving gap (which never happened on the wall clock) are moved forward
 * by the gap, as the PBX clock itself would have; in a repeated hour the reading nearer to
 * `opts.near` is taken when the vendor gives an absolute time, else the earlier one.
 */
export function parseTime(value: unknown, opts: ParseTimeOptions): DateTime {
  const field = opts.field ?? 'time';
  if (typeof value === 'number') return fromEpoch(value, field);
  if (typeof value !== 'string') throw invalid(field, value);
  const s = value.trim();
  if (/^\d{9,13}(\.\d+)?$/.test(s)) return fromEpoch(Number(s), field);

  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(s);
    if (hasZone) {
      const dt = DateTime.fromISO(s, { setZone: true });
      if (dt.isValid) return dt.toUTC();
      throw invalid(field, value);
    }
    const naive = DateTime.fromISO(s, { zone: 'UTC' });
    if (naive.isValid) return localInstant(naive.toMillis(), opts);
    throw invalid(field, value);
  }

  const wall = WALL_CLOCK.exec(s);
  if (wall) {
    // The most common vendor form, read without luxon's format parser (which builds its
    // matcher from the format string on every call). Fields that make no valid date fall
    // through to the parser below, for the same answer and the same error.
    const y = +wall[1]!;
    const mo = +wall[2]!;
    const d = +wall[3]!;
    const h = +wall[4]!;
    const mi = +wall[5]!;
    const sec = +wall[6]!;
    const naive = Date.UTC(y, mo - 1, d, h, mi, sec);
    const check = new Date(naive);
    if (
      y >= 100 &&
      check.getUTCMonth() === mo - 1 &&
      check.getUTCDate() === d &&
      check.getUTCHours() === h &&
      check.getUTCMinutes() === mi &&
      check.getUTCSeconds() === sec
    ) {
      return localInstant(naive, opts);
    }
  }

  const formats = candidateFormats(s, opts.displayFormat);
  for (const f of formats) {
    const naive = DateTime.fromFormat(s, f, { zone: 'UTC', locale: 'en-US' });
    if (naive.isValid) return localInstant(naive.toMillis(), opts);
  }
  throw invalid(field, value);
}

/** `YYYY-MM-DD HH:MM:SS`: what `yyyy-MM-dd HH:mm:ss`, the first format tried for it, reads. */
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function candidateFormats(s: string, display: DisplayFormat | undefined): string[] {
  const times = ['HH:mm:ss', 'H:mm:ss', 'hh:mm:ss a', 'h:mm:ss a', 'HH:mm', 'hh:mm a', 'h:mm a'];
  const dates: string[] = [];
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) dates.push('yyyy-MM-dd');
  else if (/^\d{4}\/\d{1,2}\/\d{1,2}/.test(s)) dates.push('yyyy/MM/dd', 'yyyy/M/d');
  else if (/^\d{1,2}\/\d{1,2}\/\d{4}/.test(s)) {
    if (display === 'DD/MM/YYYY') dates.push('dd/MM/yyyy', 'd/M/yyyy');
    else dates.push('MM/dd/yyyy', 'M/d/yyyy');
  }
  const out: string[] = [];
  for (const d of dates) {
    for (const t of times) out.push(`${d} ${t}`);
    out.push(d);
  }
  return out;
}

const HOUR_MS = 3_600_000;

/** The readings of a wall-clock time in a zone: one, two (a repeated hour) or none (a gap). */
export interface LocalReadings {
  /** Epoch ms of each reading, earliest first; empty in a gap. */
  readings: number[];
  /** In a gap: the wall time moved forward by the gap (read with the offset before the change). */
  forward: number;
}

/**
 * Every instant whose wall clock in `zone` shows `naive` (wall-clock fields as if UTC, in ms).
 * Offsets reach ±14 h, so the offsets in force 14 h either side are the only candidates; luxon's
 * own guess picks one of two readings of a repeated hour by accident of its first estimate.
 */
export function localReadings(naive: number, zone: string): LocalReadings {
  const z = zoneOf(zone);
  if (!z.isValid) throw new CallhouseError('CONFIG_INVALID', `unknown time zone ${JSON.stringify(zone)}`);
  const before = z.offset(naive - 14 * HOUR_MS);
  const after = z.offset(naive + 14 * HOUR_MS);
  const readings: number[] = [];
  for (const o of before === after ? [before, z.offset(naive)] : [before, after]) {
    const t = naive - o * 60_000;
    if (z.offset(t) === o && !readings.includes(t)) readings.push(t);
  }
  readings.sort((a, b) => a - b);
  return { readings, forward: naive - before * 60_000 };
}

/** The instant of a local time: gap and repeated hour read as `parseTime` documents. */
function localInstant(naive: number, opts: ParseTimeOptions): DateTime {
  const { readings, forward } = localReadings(naive, opts.zone);
  let ms: number;
  if (readings.length === 1) ms = readings[0]!;
  else {
    const kind = readings.length === 0 ? 'gap' : 'overlap';
    const near = opts.near;
    if (kind === 'gap') ms = forward;
    else if (near === undefined) ms = readings[0]!;
    else ms = readings.reduce((a, b) => (Math.abs(b - near) < Math.abs(a - near) ? b : a));
    opts.onDst?.({ kind, resolved_by: kind === 'overlap' && near !== undefined ? 'vendor_time' : 'rule' });
  }
  return DateTime.fromMillis(ms, { zone: 'UTC' });
}

function fromEpoch(n: number, field: string): DateTime {
  if (!Number.isFinite(n) || n <= 0) throw invalid(field, n);
  // Seconds until the year 5138; anything larger is milliseconds.
  const ms = n >= 1e11 ? n : n * 1000;
  const dt = DateTime.fromMillis(Math.round(ms), { zone: 'UTC' });
  if (!dt.isValid || dt.year < 1990 || dt.year > 2200) throw invalid(field, n);
  return dt;
}

/** Formats an instant for a vendor request in a P-Series display format, 12- or 24-hour. */
export function formatDisplay(dt: DateTime, zone: string, display: DisplayFormat, clock: '12' | '24'): string {
  const time = clock === '12' ? 'hh:mm:ss a' : 'HH:mm:ss';
  return dt.setZone(zone).toFormat(`${DISPLAY_FORMATS[display]} ${time}`, { locale: 'en-US' });
}

export function isValidZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

function invalid(field: string, value: unknown): CallhouseError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : String(value);
  return new CallhouseError('INVALID_VALUE', `${field}: not a time: ${shown}`, {
    details: { field },
  });
}
