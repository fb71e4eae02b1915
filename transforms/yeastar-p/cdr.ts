/**
 * P-Series CDR records (`cdr/list`, `cdr/search`; v1 and v2 shapes) → calls rows, for CDR files
 * read with `callhouse transform`. The call id is the record's uid, as for event 30012, so a call
 * seen both ways is one row.
 * v1: time, call_from, call_to, duration, ring_duration, talk_duration, disposition, call_type,
 *     src_trunk, dst_trunk, did_number, record_file, timestamp (epoch).
 * v2: time, call_from "Name<number>", last_status (adds ABANDONED), call_duration,
 *     routing_duration, handling_duration, queues (an object or an array).
 */
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { buildCall } from '../core/records.js';
import { emptyNormalised, type Normalised } from '../core/model.js';
import { parseDuration, parseOptionalDuration } from '../core/durations.js';
import { callShape } from './call-shape.js';
import { parseTime, plusSeconds, type DisplayFormat } from '../core/times.js';
import { isObject, text } from './event-body.js';

export function isCdrRecord(v: unknown): v is Record<string, unknown> {
  return (
    isObject(v) && v.type === undefined && (v.uid !== undefined || v.id !== undefined) && v.call_type !== undefined
  );
}

/** `{errcode, data: [...]}` list answers hold their records in `data`. */
export function cdrRecordsOf(v: unknown): unknown[] | undefined {
  if (isObject(v) && Array.isArray(v.data) && v.data.every(isCdrRecord)) return v.data;
  return undefined;
}

function unwrap(v: unknown): string {
  const s = text(v);
  const m = /<([^<>]*)>\s*$/.exec(s);
  return (m ? m[1]! : s).trim();
}

function firstQueue(queues: unknown): string {
  const q = Array.isArray(queues) ? queues[0] : queues;
  return isObject(q) ? text(q.name) || text(q.number) : '';
}

export function normaliseCdr(r: Record<string, unknown>, ctx: NormaliseContext): Normalised {
  const cfg = ctx.config as typeof ctx.config & { display_format?: string };
  const callId = text(r.uid) || text(r.id);
  if (!callId) throw new CallhouseError('INVALID_VALUE', 'CDR: no uid or id');
  // The epoch `timestamp` is absolute; `time` is PBX wall time in the display format.
  const started =
    text(r.timestamp) !== ''
      ? parseTime(text(r.timestamp), { zone: 'UTC', field: 'timestamp' })
      : parseTime(text(r.time), {
          zone: cfg.timezone ?? 'UTC',
          displayFormat: cfg.display_format as DisplayFormat | undefined,
          field: 'time',
        });
  const total = parseDuration(r.call_duration ?? r.duration, 'call_duration');
  const talk = parseDuration(r.talk_duration ?? r.handling_duration ?? 0, 'talk_duration');
  const ring = parseOptionalDuration(r.ring_duration, 'ring_duration', Math.max(0, total - talk));
  const shape = callShape({
    from: text(r.call_from_number) || unwrap(r.call_from),
    to: text(r.call_to_number) || unwrap(r.call_to),
    srcTrunk: text(r.src_trunk),
    dstTrunk: text(r.dst_trunk),
    type: text(r.call_type),
    status: text(r.last_status) || text(r.disposition) || text(r.status),
    talk,
    country: ctx.config.country,
  });
  const out = emptyNormalised();
  out.calls.push(
    buildCall(ctx, {
      call_id: callId,
      started,
      answered: talk > 0 ? plusSeconds(started, ring) : null,
      ended: plusSeconds(started, total),
      ...shape,
      did: text(r.did_number),
      queue: firstQueue(r.queues),
      ring_seconds: ring,
      talk_seconds: talk,
      total_seconds: total,
      recording: text(r.record_file),
    }),
  );
  return out;
}
