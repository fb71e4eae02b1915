/**
 * Builds report files as the simulated PBX exports them: a title row, a "Time:" row, a blank
 * line, the header, the data rows and (for summary reports) a "Total" row; UTF-8 with a BOM and
 * CRLF line ends. Times in requests are read strictly in the PBX display format: like the real
 * PBX, a request in another format gets an empty report, not an error. The data depends only on
 * the seed, the report's parameters and the period's instants, never on how they were written.
 */
import { DateTime } from 'luxon';
import { DISPLAY_FORMATS, type DisplayFormat } from '../../transforms/core/times.js';
import { REPORT_TYPES, type ReportType } from '../../connectors/yeastar-p/report-types.js';
import { REPORT_LAYOUTS, type Column } from '../../transforms/yeastar-p/report-columns.js';
import {
  EXTENSIONS,
  IVRS,
  QUEUES,
  RING_GROUPS,
  TRUNKS,
  hash32,
  intBetween,
  pick,
  prng,
  type Entity,
} from './directory.js';

export interface PbxSettings {
  displayFormat: DisplayFormat;
  clock: '12' | '24';
  timezone: string;
  durationFormat: 'seconds' | 'hhmmss';
  seed: number;
  /** Mean calls per hour in detail reports (one row per call). */
  detailRowsPerHour: number;
}

export interface BuiltReport {
  csv: Buffer;
  columns: string[];
  rows: string[][];
  summary: string[] | null;
}

const TIME_KEYS = new Set(['start_time', 'end_time', 'time', 'access_token', 'is_async', 'type']);
const MONTH_FORMATS: Record<DisplayFormat, string> = {
  'MM/DD/YYYY': 'MM/yyyy',
  'DD/MM/YYYY': 'MM/yyyy',
  'YYYY/MM/DD': 'yyyy/MM',
  'YYYY-MM-DD': 'yyyy-MM',
};

type Span = 'hour' | 'day' | 'month' | 'year';
interface Period {
  start: DateTime;
  end: DateTime;
  /** How a `time` request split its period into rows. */
  slots?: Span;
  label: string;
}

function dateTimeFormat(s: PbxSettings): string {
  return `${DISPLAY_FORMATS[s.displayFormat]} ${s.clock === '12' ? 'hh:mm:ss a' : 'HH:mm:ss'}`;
}

/** The period a request names, or null when its times are not in the PBX's display format. */
export function requestedPeriod(type: ReportType, params: Record<string, string>, s: PbxSettings): Period | null {
  const opts = { zone: s.timezone, locale: 'en-US' };
  if (REPORT_TYPES[type].time === 'range') {
    if (!params.start_time || !params.end_time) return null;
    const start = DateTime.fromFormat(params.start_time, dateTimeFormat(s), opts);
    const endIncl = DateTime.fromFormat(params.end_time, dateTimeFormat(s), opts);
    if (!start.isValid || !endIncl.isValid || endIncl < start) return null;
    return { start, end: endIncl.plus({ seconds: 1 }), label: `${params.start_time} - ${params.end_time}` };
  }
  const t = params.time ?? '';
  const day = DateTime.fromFormat(t, DISPLAY_FORMATS[s.displayFormat], opts);
  if (day.isValid) return { start: day, end: day.plus({ days: 1 }), slots: 'hour', label: t };
  const month = DateTime.fromFormat(t, MONTH_FORMATS[s.displayFormat], opts);
  if (month.isValid) return { start: month, end: month.plus({ months: 1 }), slots: 'day', label: t };
  if (/^\d{4}$/.test(t)) {
    const year = DateTime.fromObject({ year: Number(t) }, opts);
    return { start: year, end: year.plus({ years: 1 }), slots: 'month', label: t };
  }
  return null;
}

function duration(seconds: number, s: PbxSettings): string {
  if (s.durationFormat === 'seconds') return String(seconds);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [h, m, seconds % 60].map((n) => String(n).padStart(2, '0')).join(':');
}

function slotLabel(t: DateTime, span: Span, s: PbxSettings): string {
  if (span === 'hour') {
    const f = s.clock === '12' ? 'hh:mm a' : 'HH:mm';
    return `${t.toFormat(f, { locale: 'en-US' })} - ${t.plus({ hours: 1 }).toFormat(f, { locale: 'en-US' })}`;
  }
  if (span === 'day') return t.toFormat(DISPLAY_FORMATS[s.displayFormat]);
  return t.toFormat(MONTH_FORMATS[s.displayFormat]);
}

interface RowSubject {
  entity?: Entity;
  label?: string;
  time?: DateTime;
}

function subjects(
  type: ReportType,
  params: Record<string, string>,
  period: Period,
  rand: () => number,
  s: PbxSettings,
): RowSubject[] {
  const layout = REPORT_LAYOUTS[type];
  switch (layout.unit) {
    case 'ext':
      return pick(EXTENSIONS, params.ext_id_list).map((entity) => ({ entity }));
    case 'agent':
      return pick(EXTENSIONS, params.agent_id_list).map((entity) => ({ entity }));
    case 'queue':
      return pick(QUEUES, params.queue_id_list).map((entity) => ({ entity }));
    case 'ivr':
      return pick(IVRS, params.ivr_id_list).map((entity) => ({ entity }));
    case 'rg':
      return pick(RING_GROUPS, params.ring_group_id_list).map((entity) => ({ entity }));
    case 'did': {
      const trunk = TRUNKS.find((t) => String(t.id) === params.trunk_id);
      return (trunk?.dids ?? []).map((d) => ({ entity: { id: 0, number: d, name: '' } }));
    }
    case 'slot': {
      const span = period.slots ?? 'hour';
      const out: RowSubject[] = [];
      for (let t = period.start; t < period.end; t = t.plus({ [`${span}s`]: 1 })) {
        out.push({ label: slotLabel(t, span, s), time: t });
      }
      return out;
    }
    case 'call': {
      const out: RowSubject[] = [];
      for (let h = period.start; h < period.end; h = h.plus({ hours: 1 })) {
        const n = intBetween(rand, 0, 2 * s.detailRowsPerHour);
        const times = Array.from({ length: n }, () => intBetween(rand, 0, 3599)).sort((a, b) => a - b);
        for (const sec of times) {
          out.push({ time: h.plus({ seconds: sec }), entity: EXTENSIONS[intBetween(rand, 0, EXTENSIONS.length - 1)]! });
        }
      }
      return out;
    }
  }
}

function externalNumber(rand: () => number): string {
  return `+4930${String(intBetween(rand, 1_000_000, 9_999_999))}`;
}

function cell(
  col: Column,
  subject: RowSubject,
  row: string[],
  cols: Column[],
  rand: () => number,
  s: PbxSettings,
): string {
  const e = subject.entity;
  switch (col.role) {
    case 'slot':
      return subject.label ?? '';
    case 'ext.number':
    case 'queue.number':
    case 'ivr.number':
    case 'rg.number':
    case 'did':
      return e?.number ?? '';
    case 'ext.name':
    case 'ivr.name':
    case 'rg.name':
      return e?.name ?? '';
    case 'queue.name':
      return e && QUEUES.includes(e) ? e.name : QUEUES[intBetween(rand, 0, QUEUES.length - 1)]!.name;
    case 'trunk.name':
      return TRUNKS[intBetween(rand, 0, TRUNKS.length - 1)]!.name;
    case 'caller':
    case 'callee':
      return externalNumber(rand);
    case 'datetime':
      return (subject.time ?? DateTime.fromMillis(0)).toFormat(dateTimeFormat(s), { locale: 'en-US' });
    case 'count': {
      const before = cols.slice(0, row.length).filter((c) => c.role === 'count' && c.name !== 'Attempts');
      if (col.name === 'Total Calls' && before.length > 0) {
        return String(before.reduce((n, c) => n + Number(row[cols.indexOf(c)] ?? 0), 0));
      }
      return String(intBetween(rand, 0, col.name === 'Attempts' ? 3 : 25));
    }
    case 'duration':
      return duration(intBetween(rand, 0, 5400), s);
    case 'percent':
      return `${(intBetween(rand, 5000, 10000) / 100).toFixed(2)}%`;
    case 'score':
      return (intBetween(rand, 10, 50) / 10).toFixed(1);
    case 'money':
      return (intBetween(rand, 0, 5000) / 100).toFixed(2);
    case 'result':
      return rand() < 0.8 ? 'success' : 'fail';
    case 'reason':
      return ['Lunch', 'Break', 'Meeting'][intBetween(rand, 0, 2)]!;
  }
}

function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',') + '\r\n';
}

function summaryRow(cols: Column[], rows: string[][], s: PbxSettings): string[] {
  return cols.map((col, i) => {
    if (i === 0) return 'Total';
    if (col.role === 'count') return String(rows.reduce((n, r) => n + Number(r[i]), 0));
    if (col.role === 'duration' && !/^Average|^Max/.test(col.name)) {
      return duration(
        rows.reduce((n, r) => n + toSeconds(r[i]!), 0),
        s,
      );
    }
    return '';
  });
}

function toSeconds(v: string): number {
  if (/^\d+$/.test(v)) return Number(v);
  const [h = 0, m = 0, sec = 0] = v.split(':').map(Number);
  return h * 3600 + m * 60 + sec;
}

export function buildReport(type: ReportType, params: Record<string, string>, s: PbxSettings): BuiltReport {
  const layout = REPORT_LAYOUTS[type];
  const cols = layout.columns;
  const columns = cols.map((c) => c.name);
  const period = requestedPeriod(type, params, s);
  let rows: string[][] = [];
  let label = params.time ?? `${params.start_time ?? ''} - ${params.end_time ?? ''}`;
  if (period) {
    label = period.label;
    const filters = Object.keys(params)
      .filter((k) => !TIME_KEYS.has(k))
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&');
    const rand = prng(hash32(`${s.seed}|${type}|${filters}|${period.start.toMillis()}|${period.end.toMillis()}`));
    rows = subjects(type, params, period, rand, s).map((subject) => {
      const row: string[] = [];
      for (const col of cols) row.push(cell(col, subject, row, cols, rand, s));
      return row;
    });
  }
  const summary = layout.summary && rows.length > 0 ? summaryRow(cols, rows, s) : null;
  let text = '\uFEFF' + csvLine([REPORT_TYPES[type].title]) + csvLine([`Time: ${label}`]) + '\r\n' + csvLine(columns);
  for (const r of rows) text += csvLine(r);
  if (summary) text += csvLine(summary);
  return { csv: Buffer.from(text, 'utf8'), columns, rows, summary };
}
