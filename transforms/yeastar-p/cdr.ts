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
import { dispositionFromTalk, dispositionOf, directionOf } from '../core/dispositions.js';
import { phoneParts } from '../core/phones.js';
import { parseTime, type DisplayFormat } from '../core/times.js';
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
  const status = text(r.last_status) || text(r.disposition) || text(r.status);
  const type = text(r.call_type);
  const direction = directionOf(type);
  const from = text(r.call_from_number) || unwrap(r.call_from);
  const to = text(r.call_to_number) || unwrap(r.call_to);
  const caller = phoneParts(from, ctx.config.country);
  const callee = phoneParts(to, ctx.config.country);
  const src = text(r.src_trunk);
  const dst = text(r.dst_trunk);
  const out = emptyNormalised();
  out.calls.push(
    buildCall(ctx, {
      call_id: callId,
      started,
      answered: talk > 0 ? started.plus({ seconds: ring }) : null,
      ended: started.plus({ seconds: total }),
      direction,
      caller: from,
      callee: to,
      caller_e164: caller.e164,
      callee_e164: callee.e164,
      caller_ext: caller.ext,
      callee_ext: callee.ext,
      trunk: direction === 'outbound' ? dst || src : src || dst,
      did: text(r.did_number),
      queue: firstQueue(r.queues),
      disposition: status ? dispositionOf(status) : dispositionFromTalk(talk),
      vendor_status: status,
      vendor_type: type,
      ring_seconds: ring,
      talk_seconds: talk,
      total_seconds: total,
      recording: text(r.record_file),
    }),
  );
  return out;
}
