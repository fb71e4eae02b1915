/**
 * The CSV columns of each report type, as the PBX web UI names them. Yeastar publishes no CSV
 * layout, so these are designed from the report names and the JSON fields of `call_report/list`
 * (ext_call_statistics_list: ext_num, ext_name, answered_calls, …). The simulator writes these
 * files; the normaliser never depends on them (it reads any header), but `typedFields` uses the
 * column kinds to turn known cells into numbers.
 */
import { CallhouseError } from '../../runtime/errors.js';
import { parseDuration } from '../core/durations.js';
import type { ReportType } from '../../connectors/yeastar-p/report-types.js';

/** What a column holds; the simulator also uses it to generate realistic cells. */
export type ColumnRole =
  | 'slot'
  | 'ext.number'
  | 'ext.name'
  | 'queue.number'
  | 'queue.name'
  | 'ivr.number'
  | 'ivr.name'
  | 'rg.number'
  | 'rg.name'
  | 'trunk.name'
  | 'did'
  | 'caller'
  | 'callee'
  | 'datetime'
  | 'count'
  | 'duration'
  | 'percent'
  | 'score'
  | 'money'
  | 'result'
  | 'reason';

export interface Column {
  name: string;
  role: ColumnRole;
}

/** What one row of the report stands for. */
export type RowUnit = 'ext' | 'agent' | 'queue' | 'ivr' | 'rg' | 'slot' | 'call' | 'did';

export interface ReportLayout {
  unit: RowUnit;
  /** Whether the UI adds a "Total" row under the data. */
  summary: boolean;
  columns: Column[];
}

const c = (name: string, role: ColumnRole): Column => ({ name, role });
const EXT = [c('Extension Number', 'ext.number'), c('Extension Name', 'ext.name')];
const AGENT = [c('Agent Number', 'ext.number'), c('Agent Name', 'ext.name')];
const QUEUE = [c('Queue Number', 'queue.number'), c('Queue Name', 'queue.name')];

export const REPORT_LAYOUTS: Record<ReportType, ReportLayout> = {
  extcallstatistics: {
    unit: 'ext',
    summary: true,
    columns: [
      ...EXT,
      c('Answered Calls', 'count'),
      c('No Answer Calls', 'count'),
      c('Busy Calls', 'count'),
      c('Failed Calls', 'count'),
      c('Voicemail Calls', 'count'),
      c('Abandoned Calls', 'count'),
      c('Total Calls', 'count'),
      c('Total Holding Time', 'duration'),
      c('Total Talking Time', 'duration'),
    ],
  },
  extcallactivity: {
    unit: 'slot',
    summary: true,
    columns: [
      c('Time', 'slot'),
      c('Inbound Calls', 'count'),
      c('Outbound Calls', 'count'),
      c('Internal Calls', 'count'),
      c('Total Calls', 'count'),
      c('Total Talking Time', 'duration'),
    ],
  },
  trunkactivity: {
    unit: 'slot',
    summary: true,
    columns: [
      c('Time', 'slot'),
      c('Inbound Calls', 'count'),
      c('Outbound Calls', 'count'),
      c('Total Calls', 'count'),
      c('Inbound Talking Time', 'duration'),
      c('Outbound Talking Time', 'duration'),
    ],
  },
  trunkdiddodactivity: {
    unit: 'did',
    summary: true,
    columns: [
      c('DID/Outbound Caller ID', 'did'),
      c('Inbound Calls', 'count'),
      c('Outbound Calls', 'count'),
      c('Total Calls', 'count'),
      c('Total Talking Time', 'duration'),
    ],
  },
  ivr: {
    unit: 'ivr',
    summary: true,
    columns: [
      c('IVR Number', 'ivr.number'),
      c('IVR Name', 'ivr.name'),
      c('Total Calls', 'count'),
      c('Answered Calls', 'count'),
      c('Abandoned Calls', 'count'),
      c('Timeout Calls', 'count'),
      c('Average Duration', 'duration'),
    ],
  },
  queueavgwaittalktime: {
    unit: 'slot',
    summary: false,
    columns: [
      c('Time', 'slot'),
      c('Average Waiting Time', 'duration'),
      c('Average Talking Time', 'duration'),
      c('Max Waiting Time', 'duration'),
    ],
  },
  queueperformance: {
    unit: 'queue',
    summary: true,
    columns: [
      ...QUEUE,
      c('Total Calls', 'count'),
      c('Answered Calls', 'count'),
      c('Abandoned Calls', 'count'),
      c('Transferred Calls', 'count'),
      c('Average Waiting Time', 'duration'),
      c('Average Talking Time', 'duration'),
      c('Max Waiting Time', 'duration'),
      c('Service Level', 'percent'),
    ],
  },
  queueperformanceactivity: {
    unit: 'slot',
    summary: true,
    columns: [
      c('Time', 'slot'),
      c('Total Calls', 'count'),
      c('Answered Calls', 'count'),
      c('Abandoned Calls', 'count'),
      c('Average Waiting Time', 'duration'),
    ],
  },
  queuecallbackssummary: {
    unit: 'queue',
    summary: true,
    columns: [
      ...QUEUE,
      c('Callback Requests', 'count'),
      c('Successful Callbacks', 'count'),
      c('Failed Callbacks', 'count'),
    ],
  },
  queuecallbacksactivity: {
    unit: 'call',
    summary: false,
    columns: [
      c('Time', 'datetime'),
      c('Queue Name', 'queue.name'),
      c('Caller Number', 'caller'),
      c('Callback Number', 'caller'),
      c('Result', 'result'),
      c('Attempts', 'count'),
    ],
  },
  queuesatisfaction: {
    unit: 'agent',
    summary: true,
    columns: [
      ...AGENT,
      c('Total Surveys', 'count'),
      c('Satisfied', 'count'),
      c('Neutral', 'count'),
      c('Unsatisfied', 'count'),
      c('Average Score', 'score'),
    ],
  },
  queuesatisfactiondetail: {
    unit: 'call',
    summary: false,
    columns: [c('Time', 'datetime'), c('Caller Number', 'caller'), ...AGENT, c('Score', 'score')],
  },
  queueagentlogintime: {
    unit: 'agent',
    summary: false,
    columns: [...AGENT, c('Login Time', 'datetime'), c('Logout Time', 'datetime'), c('Login Duration', 'duration')],
  },
  queueagentpausetime: {
    unit: 'agent',
    summary: false,
    columns: [
      ...AGENT,
      c('Pause Time', 'datetime'),
      c('Unpause Time', 'datetime'),
      c('Pause Duration', 'duration'),
      c('Reason', 'reason'),
    ],
  },
  queueagentmisscalls: {
    unit: 'call',
    summary: false,
    columns: [c('Time', 'datetime'), ...AGENT, c('Caller Number', 'caller'), c('Ring Duration', 'duration')],
  },
  queueagentperformance: {
    unit: 'agent',
    summary: true,
    columns: [
      ...AGENT,
      c('Total Calls', 'count'),
      c('Answered Calls', 'count'),
      c('Missed Calls', 'count'),
      c('Total Talking Time', 'duration'),
      c('Average Talking Time', 'duration'),
      c('Total Holding Time', 'duration'),
    ],
  },
  queueagentinoutcalls: {
    unit: 'agent',
    summary: true,
    columns: [
      ...AGENT,
      c('Inbound Calls', 'count'),
      c('Outbound Calls', 'count'),
      c('Inbound Talking Time', 'duration'),
      c('Outbound Talking Time', 'duration'),
    ],
  },
  ringgroupstatistics: {
    unit: 'rg',
    summary: true,
    columns: [
      c('Ring Group Number', 'rg.number'),
      c('Ring Group Name', 'rg.name'),
      c('Total Calls', 'count'),
      c('Answered Calls', 'count'),
      c('No Answer Calls', 'count'),
      c('Average Ring Time', 'duration'),
    ],
  },
  extcallbilling: {
    unit: 'ext',
    summary: true,
    columns: [...EXT, c('Outbound Calls', 'count'), c('Billable Duration', 'duration'), c('Cost', 'money')],
  },
  extcallbillingdetails: {
    unit: 'call',
    summary: false,
    columns: [
      c('Time', 'datetime'),
      ...EXT,
      c('Callee', 'callee'),
      c('Trunk', 'trunk.name'),
      c('Billable Duration', 'duration'),
      c('Cost', 'money'),
    ],
  },
};

const KIND_BY_NAME = new Map<string, ColumnRole>();
for (const layout of Object.values(REPORT_LAYOUTS)) {
  for (const col of layout.columns) KIND_BY_NAME.set(col.name.toLowerCase(), col.role);
}

const NUMERIC = new Set<ColumnRole>(['count', 'duration', 'percent', 'score', 'money']);

function snake(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Typed values of a report row, for the columns whose meaning is known: counts as integers,
 * durations as whole seconds whether the PBX wrote "75" or "00:01:15", amounts and percentages as
 * numbers; anything else stays text. An empty cell is null, never zero; a malformed duration or
 * count throws INVALID_VALUE.
 */
export function typedFields(fields: Record<string, string>): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [name, raw] of Object.entries(fields)) {
    const role = KIND_BY_NAME.get(name.toLowerCase());
    const key = snake(name) || name;
    const cell = raw.trim();
    if (cell === '') {
      out[key] = role && NUMERIC.has(role) ? null : raw;
      continue;
    }
    switch (role) {
      case 'duration':
        out[key] = parseDuration(cell, name);
        break;
      case 'count':
        if (!/^\d+$/.test(cell)) throw invalid(name, cell, 'a count');
        out[key] = Number(cell);
        break;
      case 'percent':
      case 'score':
      case 'money': {
        const n = Number(cell.replace(/%$/, ''));
        if (!Number.isFinite(n)) throw invalid(name, cell, 'a number');
        out[key] = n;
        break;
      }
      default:
        out[key] = raw;
    }
  }
  return out;
}

function invalid(field: string, value: string, what: string): CallhouseError {
  return new CallhouseError('INVALID_VALUE', `${field}: not ${what}: ${JSON.stringify(value.slice(0, 64))}`);
}
