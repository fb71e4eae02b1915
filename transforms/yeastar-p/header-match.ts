/**
 * Matches the header of a downloaded report to the columns we know for its type. Yeastar
 * publishes no CSV layout, and the web UI lets an administrator choose the duration format, so a
 * real file may say "Talk Duration(s)" or "Avg. Wait Time" where our layout says "Total Talking
 * Time" or "Average Waiting Time". A header is matched by its normalised name (case, spacing,
 * punctuation, snake_case and camelCase, a unit in brackets, common abbreviations) against the
 * column's name and its aliases; a matched cell is stored under the column's name, so the typed
 * report views read it; every other cell is stored under its own header, so nothing is lost.
 */
import type { ReportType } from '../../connectors/yeastar-p/report-types.js';
import { REPORT_LAYOUTS } from './report-columns.js';

/**
 * Other names a column is plausibly given: the snake_case keys of `call_report/list` (FOEDI
 * fixtures, VENDORS.md §3), the UI's shorter labels, and spellings seen in other PBX reports.
 * Names that differ only in case, punctuation, units or the abbreviations of `TOKENS` need no entry.
 */
const ALIASES: Record<string, readonly string[]> = {
  'Extension Number': ['Extension', 'Ext', 'Number', 'Ext Num', 'Extension ID'],
  'Extension Name': ['Name', 'Ext Name', 'Caller Name'],
  'Agent Number': ['Agent', 'Agent Extension', 'Agent Ext', 'Member', 'Member Number'],
  'Agent Name': ['Member Name'],
  'Queue Number': ['Queue', 'Queue Extension', 'Queue ID'],
  'Ring Group Number': ['Ring Group', 'Ring Group Extension'],
  'IVR Number': ['IVR', 'IVR Extension'],
  'Answered Calls': ['Answered', 'Answered Call Count'],
  'No Answer Calls': ['No Answer', 'No Answered Calls', 'Unanswered Calls', 'Unanswered', 'Not Answered Calls'],
  'Busy Calls': ['Busy'],
  'Failed Calls': ['Failed'],
  'Voicemail Calls': ['Voicemail', 'Voice Mail Calls', 'Voice Mail'],
  'Abandoned Calls': ['Abandoned', 'Abandon Calls', 'Abandon'],
  'Transferred Calls': ['Transferred', 'Transfer Calls'],
  'Missed Calls': ['Missed', 'Missed Call Count'],
  'Total Calls': ['Total', 'Calls', 'Total Call Count', 'Call Count', 'Total Call'],
  'Inbound Calls': ['Inbound', 'Incoming Calls'],
  'Outbound Calls': ['Outbound', 'Outgoing Calls'],
  'Internal Calls': ['Internal'],
  'Total Holding Time': ['Holding Time', 'Hold Time', 'Total Hold Time'],
  'Total Talking Time': ['Talking Time', 'Talk Time', 'Total Talk Time'],
  'Average Waiting Time': ['Average Wait', 'Wait Time', 'Average Queue Time'],
  'Average Talking Time': ['Average Talk'],
  'Max Waiting Time': ['Longest Waiting Time', 'Longest Wait Time', 'Maximum Wait'],
  'Service Level': ['SLA', 'Service Level Percentage'],
};

/** Words that one column is spelled with in several ways, reduced to one spelling. */
const TOKENS: Record<string, string> = {
  avg: 'average',
  ave: 'average',
  max: 'maximum',
  maximal: 'maximum',
  ext: 'extension',
  exten: 'extension',
  num: 'number',
  nr: 'number',
  talk: 'talking',
  talked: 'talking',
  wait: 'waiting',
  waited: 'waiting',
  hold: 'holding',
  held: 'holding',
  duration: 'time',
  durations: 'time',
  call: 'calls',
  tot: 'total',
};

/** Units or formats in brackets: "(s)", "(sec)", "(hh:mm:ss)", "[%]", "(min)". */
const BRACKETED = /[([{][^)\]}]*[)\]}]/g;

/** A header reduced to what names it: "Avg. Wait Time (s)" and "average_waiting_time" agree. */
export function headerKey(header: string): string {
  const words = header
    .replace(/^\uFEFF/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(BRACKETED, ' ')
    .replace(/\bno\.|#/g, ' number ')
    .replace(/%/g, ' ')
    .replace(/[^a-z0-9\u0080-\uffff]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '')
    .map((w) => TOKENS[w] ?? w);
  return words.join(' ');
}

export interface HeaderMatch {
  /** The name each header's cells are stored under: the column's name when matched, else the header. */
  columns: string[];
  /** Columns of the report type that no header matched (NULL in the typed views). */
  missing: string[];
}

/** Matches a header (as `columnNames` made it unique) to the columns of `type`; unknown types pass as they are. */
export function matchHeader(type: string, headers: string[]): HeaderMatch {
  const layout = (REPORT_LAYOUTS as Record<string, (typeof REPORT_LAYOUTS)[ReportType] | undefined>)[type];
  if (!layout) return { columns: headers, missing: [] };
  const byKey = new Map<string, string>();
  // Exact names and their own normalised forms first, so an alias never takes another's name.
  for (const col of layout.columns) byKey.set(headerKey(col.name), col.name);
  for (const col of layout.columns) {
    for (const alias of ALIASES[col.name] ?? []) {
      const k = headerKey(alias);
      if (!byKey.has(k)) byKey.set(k, col.name);
    }
  }
  const taken = new Set<string>();
  const exact = new Set(headers.filter((h) => layout.columns.some((c) => c.name === h)));
  const columns = headers.map((h) => {
    if (exact.has(h)) {
      taken.add(h);
      return h;
    }
    const name = byKey.get(headerKey(h));
    // A column already given by another header keeps that one; this header keeps its own name.
    if (name === undefined || taken.has(name) || exact.has(name)) return h;
    taken.add(name);
    return name;
  });
  // A header that keeps its own name must not collide with a column's name given to another.
  const seen = new Set<string>();
  const unique = columns.map((name, i) => {
    let n = name;
    for (let k = 2; seen.has(n); k++) n = `${headers[i]} (${k})`;
    seen.add(n);
    return n;
  });
  return { columns: unique, missing: layout.columns.map((c) => c.name).filter((n) => !taken.has(n)) };
}
