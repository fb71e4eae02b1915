/**
 * The canonical model: what every vendor's payload becomes. Times are strings in ClickHouse's
 * `YYYY-MM-DD HH:MM:SS.mmm` form, in UTC (or, for `*_local`, the connector's wall-clock time), so
 * that no integer is ever mistaken for DateTime64 ticks.
 */
import { z } from 'zod';

export const DIRECTIONS = ['inbound', 'outbound', 'internal', 'unknown'] as const;
export const DISPOSITIONS = [
  'answered',
  'no_answer',
  'busy',
  'cancelled',
  'abandoned',
  'voicemail',
  'system',
  'failed',
  'unknown',
] as const;
export const EVENT_TYPES = [
  'ring',
  'ringback',
  'answer',
  'answered',
  'hangup',
  'transfer',
  'failed',
  'invite',
  'incoming',
  'dtmf',
  'prompt_end',
  'survey',
  'cdr',
  'other',
] as const;
export const CONNECTOR_TYPES = ['yeastar-s', 'ipcortex', 'yeastar-p', 'voicenter'] as const;

export type Direction = (typeof DIRECTIONS)[number];
export type Disposition = (typeof DISPOSITIONS)[number];
export type EventType = (typeof EVENT_TYPES)[number];

const chTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/, 'expected YYYY-MM-DD HH:MM:SS.mmm');
const seconds = z.number().int().nonnegative();

export const CallRecordSchema = z.object({
  tenant: z.string().min(1),
  source: z.string().min(1),
  connector_id: z.string().min(1),
  call_id: z.string().min(1),
  parent_call_id: z.string(),
  leg: z.number().int().min(0).max(255),
  started_at: chTime,
  started_local: chTime,
  answered_at: chTime.nullable(),
  ended_at: chTime.nullable(),
  direction: z.enum(DIRECTIONS),
  caller: z.string(),
  callee: z.string(),
  caller_e164: z.string(),
  callee_e164: z.string(),
  caller_ext: z.string(),
  callee_ext: z.string(),
  trunk: z.string(),
  did: z.string(),
  queue: z.string(),
  agent: z.string(),
  disposition: z.enum(DISPOSITIONS),
  vendor_status: z.string(),
  vendor_type: z.string(),
  ring_seconds: seconds,
  talk_seconds: seconds,
  total_seconds: seconds,
  queue_wait_seconds: seconds.nullable(),
  /** Decimal as a string (up to 6 places), so that no float rounding reaches the warehouse. */
  cost: z
    .string()
    .regex(/^-?\d+(\.\d{1,6})?$/)
    .nullable(),
  currency: z.string(),
  recording: z.string(),
  ingested_at: chTime,
});
export type CallRecord = z.infer<typeof CallRecordSchema>;

export const CallEventSchema = z.object({
  tenant: z.string().min(1),
  source: z.string().min(1),
  connector_id: z.string().min(1),
  call_id: z.string(),
  event_at: chTime,
  event_type: z.enum(EVENT_TYPES),
  vendor_action: z.string(),
  parties: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  trunk: z.string(),
  info: z.string(),
  /** Identity of the report (a digest of its bytes): a retransmission has the same key. */
  event_key: z.string().min(1),
  ingested_at: chTime,
});
export type CallEvent = z.infer<typeof CallEventSchema>;

export const ReportRowSchema = z.object({
  tenant: z.string().min(1),
  connector_id: z.string().min(1),
  report_type: z.string().min(1),
  period_start: chTime,
  period_end: chTime,
  row_number: z.number().int().nonnegative(),
  fields: z.record(z.string(), z.string()),
  ingested_at: chTime,
});
export type ReportRow = z.infer<typeof ReportRowSchema>;

export const BillingRowSchema = z.object({
  tenant: z.string().min(1),
  connector_id: z.string().min(1),
  /** First day of the month, `YYYY-MM-01`. */
  month: z.string().regex(/^\d{4}-\d{2}-01$/),
  company: z.string(),
  company_name: z.string(),
  /** '' for the company total row. */
  device_id: z.string(),
  device_name: z.string(),
  device: z.string(),
  cost: z.string().regex(/^-?\d+(\.\d{1,6})?$/),
  currency: z.string(),
  billable_seconds: seconds,
  unknown_cost_calls: seconds,
  ingested_at: chTime,
});
export type BillingRow = z.infer<typeof BillingRowSchema>;

export const DEAD_LETTER_STAGES = ['ingest', 'transform', 'sink'] as const;
export const DeadLetterSchema = z.object({
  id: z.string().min(1),
  at: chTime,
  connector_id: z.string(),
  source: z.string(),
  stage: z.enum(DEAD_LETTER_STAGES),
  error_code: z.string(),
  error: z.string(),
  /** The original bytes as text (base64 with a `base64:` prefix when they are not valid UTF-8). */
  payload: z.string(),
  /** Where the payload came from, so that a replay can put it back: a topic name. */
  origin_topic: z.string(),
  /** Kafka key of the original message, for replay. */
  origin_key: z.string(),
  /** Kafka headers of the original message (JSON), for replay. */
  origin_headers: z.string().optional(),
  /** 1 once replayed; the latest version of a dead letter (by `version`) wins. */
  replayed: z.number().int().min(0).max(1).optional(),
  version: chTime.optional(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** What a normaliser turns one raw payload into. */
export interface Normalised {
  calls: CallRecord[];
  events: CallEvent[];
  reportRows: ReportRow[];
  billing: BillingRow[];
}

export function emptyNormalised(): Normalised {
  return { calls: [], events: [], reportRows: [], billing: [] };
}
