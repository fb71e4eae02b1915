/**
 * The 20 call report types of the P-Series `call_report/download` API, as data: how each one takes
 * its period (`range`: start_time/end_time; `time`: one day, month or year) and which parameters it
 * takes or requires. Transcribed from the vendor's parameter table (seed 002); config validation,
 * the poller and the simulator all read this table.
 */

export type TimeMode = 'range' | 'time';
export type Need = 'required' | 'optional';

export const REPORT_PARAMS = [
  'ext_id_list',
  'trunk_id',
  'trunk_id_list',
  'ivr_id_list',
  'ring_group_id_list',
  'queue_id',
  'queue_id_list',
  'agent_id_list',
  'abandon_time',
  'talk_time',
  'include_internal',
  'callback_result',
  'reason',
  'communication_type',
  'need_detail',
] as const;
export type ReportParam = (typeof REPORT_PARAMS)[number];

export interface ReportTypeSpec {
  /** The name the PBX web UI gives the report (also the CSV title row). */
  title: string;
  time: TimeMode;
  params: Partial<Record<ReportParam, Need>>;
  /** Values allowed for `communication_type`, where the type takes it. */
  communicationTypes?: readonly string[];
}

const EXT_COMM = ['Inbound', 'Outbound', 'Internal'] as const;
const TRUNK_COMM = ['Inbound', 'Outbound'] as const;

export const REPORT_TYPES = {
  extcallstatistics: {
    title: 'Extension Call Statistics',
    time: 'range',
    params: { ext_id_list: 'required', communication_type: 'optional' },
    communicationTypes: EXT_COMM,
  },
  extcallactivity: {
    title: 'Extension Call Activity',
    time: 'time',
    params: { ext_id_list: 'required', communication_type: 'optional' },
    communicationTypes: EXT_COMM,
  },
  trunkactivity: {
    title: 'PBX Call Activity',
    time: 'time',
    params: { trunk_id_list: 'required', include_internal: 'optional', communication_type: 'optional' },
    communicationTypes: TRUNK_COMM,
  },
  trunkdiddodactivity: {
    title: 'DID/Outbound Caller ID Activity',
    time: 'time',
    params: { trunk_id: 'required', communication_type: 'optional' },
    communicationTypes: TRUNK_COMM,
  },
  ivr: {
    title: 'IVR Report',
    time: 'range',
    params: { ivr_id_list: 'required', need_detail: 'optional' },
  },
  queueavgwaittalktime: {
    title: 'Queue AVG Waiting & Talking Time',
    time: 'time',
    params: { queue_id_list: 'required' },
  },
  queueperformance: {
    title: 'Queue Performance',
    time: 'range',
    params: {
      queue_id_list: 'required',
      abandon_time: 'optional',
      talk_time: 'optional',
      need_detail: 'optional',
    },
  },
  queueperformanceactivity: {
    title: 'Queue Performance Activity',
    time: 'time',
    params: { queue_id_list: 'required', abandon_time: 'optional', need_detail: 'optional' },
  },
  queuecallbackssummary: {
    title: 'Queue Callback Summary',
    time: 'range',
    params: { queue_id_list: 'required' },
  },
  queuecallbacksactivity: {
    title: 'Queue Callback Activity',
    time: 'range',
    params: { queue_id_list: 'required', callback_result: 'optional' },
  },
  queuesatisfaction: {
    title: 'Satisfaction Survey',
    time: 'range',
    params: { queue_id: 'required' },
  },
  queuesatisfactiondetail: {
    title: 'Queue Satisfaction Survey Details',
    time: 'range',
    params: { queue_id: 'required', agent_id_list: 'optional' },
  },
  queueagentlogintime: {
    title: 'Agent Login Activity',
    time: 'range',
    params: { queue_id: 'required', agent_id_list: 'optional' },
  },
  queueagentpausetime: {
    title: 'Agent Pause Activity',
    time: 'range',
    params: { queue_id: 'required', agent_id_list: 'optional', reason: 'optional' },
  },
  queueagentmisscalls: {
    title: 'Agent Missed Call Activity',
    time: 'range',
    params: { queue_id: 'required', agent_id_list: 'optional', abandon_time: 'optional' },
  },
  queueagentperformance: {
    title: 'Agent Performance',
    time: 'range',
    params: {
      queue_id: 'required',
      agent_id_list: 'optional',
      abandon_time: 'optional',
      need_detail: 'optional',
    },
  },
  queueagentinoutcalls: {
    title: 'Agent Call Summary',
    time: 'range',
    params: { queue_id: 'required', agent_id_list: 'optional' },
  },
  ringgroupstatistics: {
    title: 'Ring Group Statistics',
    time: 'range',
    params: { ring_group_id_list: 'required' },
  },
  extcallbilling: {
    title: 'Extension Call Accounting',
    time: 'range',
    params: { ext_id_list: 'optional', trunk_id_list: 'required' },
  },
  extcallbillingdetails: {
    title: 'Extension Call Accounting Details',
    time: 'range',
    params: { ext_id_list: 'optional', trunk_id_list: 'required' },
  },
} as const satisfies Record<string, ReportTypeSpec>;

export type ReportType = keyof typeof REPORT_TYPES;
export const REPORT_TYPE_NAMES = Object.keys(REPORT_TYPES) as ReportType[];

export function reportSpec(type: ReportType): ReportTypeSpec {
  return REPORT_TYPES[type];
}

/** Billing reports fail with errcode 70106 when the PBX has no call rates. */
export const BILLING_TYPES: readonly ReportType[] = ['extcallbilling', 'extcallbillingdetails'];

/** Period lengths: `time` types take a day, month or year; range types add the hour. */
export const TIME_GRANULARITIES = ['day', 'month', 'year'] as const;
export const RANGE_GRANULARITIES = ['hour', 'day', 'month'] as const;
export type Granularity = 'hour' | 'day' | 'month' | 'year';

/** The report type whose UI title is `title` (case-insensitive), for CSV files read without meta. */
export function typeOfTitle(title: string): ReportType | undefined {
  const t = title.trim().toLowerCase();
  return REPORT_TYPE_NAMES.find((n) => REPORT_TYPES[n].title.toLowerCase() === t);
}
