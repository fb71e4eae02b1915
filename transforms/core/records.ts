/** Builders that fill the shared fields of canonical records and validate the result. */
import { hash } from 'node:crypto';
import type { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import type { DstReading } from './times.js';
import {
  CallEventSchema,
  CallRecordSchema,
  type CallEvent,
  type CallRecord,
  type Direction,
  type Disposition,
  type EventType,
} from './model.js';
import { toChLocal, toChUtc } from './times.js';

export interface CallFields {
  call_id: string;
  parent_call_id?: string;
  leg?: number;
  started: DateTime;
  answered?: DateTime | null;
  ended?: DateTime | null;
  direction: Direction;
  caller?: string;
  callee?: string;
  caller_e164?: string;
  callee_e164?: string;
  caller_ext?: string;
  callee_ext?: string;
  trunk?: string;
  did?: string;
  queue?: string;
  agent?: string;
  disposition: Disposition;
  vendor_status?: string;
  vendor_type?: string;
  ring_seconds?: number;
  talk_seconds?: number;
  total_seconds?: number;
  queue_wait_seconds?: number | null;
  cost?: string | null;
  currency?: string;
  recording?: string;
}

/** A validated call record; the local time uses the connector's zone (UTC when none is set). */
export function buildCall(ctx: NormaliseContext, f: CallFields): CallRecord {
  const zone = ctx.config.timezone ?? 'UTC';
  const record = {
    tenant: ctx.config.tenant,
    source: ctx.config.type,
    connector_id: ctx.config.id,
    call_id: f.call_id,
    parent_call_id: f.parent_call_id ?? '',
    leg: f.leg ?? 0,
    started_at: toChUtc(f.started),
    started_local: toChLocal(f.started, zone),
    answered_at: f.answered ? toChUtc(f.answered) : null,
    ended_at: f.ended ? toChUtc(f.ended) : null,
    direction: f.direction,
    caller: f.caller ?? '',
    callee: f.callee ?? '',
    caller_e164: f.caller_e164 ?? '',
    callee_e164: f.callee_e164 ?? '',
    caller_ext: f.caller_ext ?? '',
    callee_ext: f.callee_ext ?? '',
    trunk: f.trunk ?? '',
    did: f.did ?? '',
    queue: f.queue ?? '',
    agent: f.agent ?? '',
    disposition: f.disposition,
    vendor_status: f.vendor_status ?? '',
    vendor_type: f.vendor_type ?? '',
    ring_seconds: f.ring_seconds ?? 0,
    talk_seconds: f.talk_seconds ?? 0,
    total_seconds: f.total_seconds ?? (f.ring_seconds ?? 0) + (f.talk_seconds ?? 0),
    queue_wait_seconds: f.queue_wait_seconds ?? null,
    cost: f.cost ?? null,
    currency: f.currency ?? ctx.config.currency ?? '',
    recording: f.recording ?? '',
    ingested_at: ctx.ingested_at,
  };
  return validated(CallRecordSchema, record, 'call record');
}

export interface EventFields {
  call_id: string;
  event_at: DateTime | string;
  event_type: EventType;
  vendor_action: string;
  parties?: string[];
  from?: string;
  to?: string;
  trunk?: string;
  info?: string;
  /** Identity of the report; use `digest(body)` so that a retransmission has the same key. */
  event_key: string;
}

export function buildEvent(ctx: NormaliseContext, f: EventFields): CallEvent {
  const record = {
    tenant: ctx.config.tenant,
    source: ctx.config.type,
    connector_id: ctx.config.id,
    call_id: f.call_id,
    event_at: typeof f.event_at === 'string' ? f.event_at : toChUtc(f.event_at),
    event_type: f.event_type,
    vendor_action: f.vendor_action,
    parties: f.parties ?? [],
    from: f.from ?? '',
    to: f.to ?? '',
    trunk: f.trunk ?? '',
    info: f.info ?? '',
    event_key: f.event_key,
    ingested_at: ctx.ingested_at,
  };
  return validated(CallEventSchema, record, 'call event');
}

/** `parseTime`'s onDst, reporting a local time at a daylight-saving change to the context. */
export function dstObserver(ctx: NormaliseContext): ((seen: DstReading) => void) | undefined {
  const observe = ctx.observe;
  if (!observe) return undefined;
  return (seen) => observe({ kind: seen.kind === 'gap' ? 'dst_gap' : 'dst_overlap', resolved_by: seen.resolved_by });
}

/** A short, stable digest of bytes or text (hex SHA-1; the one-shot hash, half the cost of a Hash object). */
export function digest(data: Buffer | string): string {
  return hash('sha1', data, 'hex');
}

function validated<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first ? `${first.path.map(String).join('.')}: ${first.message}` : 'invalid';
  throw new CallhouseError('INVALID_VALUE', `${what}: ${where}`);
}

/** Reads a body as JSON (UTF-8, BOM tolerated), or throws PARSE_ERROR. */
export function parseJsonBody(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CallhouseError('PARSE_ERROR', `body is not JSON: ${(e as Error).message}`);
  }
}
