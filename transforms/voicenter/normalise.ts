/**
 * Voicenter → canonical calls. One normaliser for both shapes of one call: a Call Log API item
 * (PascalCase, `CallID`, `Date`, `Duration` = talk) and a CDR notification (lowercase,
 * `ivruniqueid`, `time` epoch, `duration` = talk as well). A polled record and a
 * notification of the same call give the same call_id, leg and key fields.
 */
import type { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import type { CallRecord, Direction, Disposition, Normalised } from '../core/model.js';
import { emptyNormalised } from '../core/model.js';
import { buildCall } from '../core/records.js';
import { parseTime, plusSeconds } from '../core/times.js';
import { parseOptionalDuration } from '../core/durations.js';
import { dispositionOf } from '../core/dispositions.js';
import { phoneParts } from '../core/phones.js';
import { scaleDown } from '../core/money.js';
import { ItemFields, type VoicenterItem } from './fields.js';
import { cdrTypeOf, type CdrTypeInfo } from './cdr-types.js';
import { decodeBody } from './decode.js';

export type VoicenterShape = 'cdr' | 'notification';

export function normaliseVoicenter(body: Buffer, contentType: string, ctx: NormaliseContext): Normalised {
  const decoded = decodeBody(body, contentType);
  if (decoded.kind === 'xmlrpc') {
    throw new CallhouseError(
      'UNSUPPORTED_PAYLOAD',
      'XML-RPC CDR notifications are not supported: choose POST-JSON (or form) for the notification URL in Voicenter CPanel, then replay this dead letter',
    );
  }
  const out = emptyNormalised();
  for (const item of decoded.items) out.calls.push(voicenterCall(item, ctx));
  return out;
}

/** Which shape a record has: the poller says so in meta; otherwise the id key tells. */
export function shapeOf(f: ItemFields, meta: Record<string, string>): VoicenterShape {
  if (meta.endpoint === 'cdr' || meta.endpoint === 'notification') return meta.endpoint;
  return f.has('ivruniqueid') && !f.has('callid') ? 'notification' : 'cdr';
}

export function voicenterCall(item: VoicenterItem, ctx: NormaliseContext): CallRecord {
  const f = new ItemFields(item);
  const shape = shapeOf(f, ctx.meta);
  const country = ctx.config.country ?? 'IL';

  const callId = f.text('CallID', 'ivruniqueid');
  if (callId === '') throw new CallhouseError('INVALID_VALUE', 'CallID/ivruniqueid: missing');

  const started = startOf(f, shape);
  const typeName = f.text('Type');
  const type = cdrTypeOf(f.get('CdrType'), typeName);
  const vendorType = type?.name ?? (typeName || f.text('CdrType'));

  const caller = f.text('CallerNumber', 'caller');
  const callee = f.text('TargetNumber', 'target');
  const callerParts = phoneParts(caller, country);
  const calleeParts = phoneParts(callee, country);

  const ring = parseOptionalDuration(f.get('RingTime', 'actualCallDialtime', 'dialtime'), 'ring time', null);
  const queueWait =
    shape === 'notification'
      ? parseOptionalDuration(f.get('seconds_waiting_in_queue'), 'seconds_waiting_in_queue', null)
      : null;
  const talk = talkOf(f, shape);

  const vendorStatus = f.text('DialStatus', 'status');
  const disposition = dispositionFor(f, vendorStatus, talk);

  const price = f.get('Price');
  const cost = price === undefined ? null : scaleDown(price, 2, 'Price');

  const { answered, ended } = answerAndEnd(started, type, disposition, queueWait, ring, talk);

  return buildCall(ctx, {
    call_id: callId,
    parent_call_id: parentOf(f, callId, type),
    leg: type?.leg ?? 0,
    started,
    answered,
    ended,
    direction: directionFor(type, f, callerParts.e164, calleeParts.e164, callee),
    caller,
    callee,
    caller_e164: callerParts.e164,
    callee_e164: calleeParts.e164,
    caller_ext: f.text('CallerExtension') || callerParts.ext,
    callee_ext: f.text('TargetExtension') || calleeParts.ext,
    did: f.text('DID'),
    queue: f.text('QueueName'),
    agent: f.text('RepresentativeName', 'representative_name'),
    disposition,
    vendor_status: vendorStatus,
    vendor_type: vendorType,
    ...(ring === null ? {} : { ring_seconds: ring }),
    ...(talk === null ? {} : { talk_seconds: talk }),
    queue_wait_seconds: queueWait,
    cost,
    recording: f.text('RecordURL', 'record'),
  });
}

/**
 * The API's `Date` is UTC ("…Z"); older responses give `YYYY-MM-DD HH:MM:SS` without offset,
 * read as UTC too, since the Call Log API speaks GMT 0 in both directions. `DateEpoch`, when
 * asked for, is absolute and wins. A notification's `time` is an epoch (absolute whatever the
 * documentation says about Israel time).
 */
function startOf(f: ItemFields, shape: VoicenterShape): DateTime {
  const value = shape === 'notification' ? f.get('time', 'DateEpoch', 'Date') : f.get('DateEpoch', 'Date', 'time');
  if (value === undefined) throw new CallhouseError('INVALID_VALUE', 'Date/time: missing');
  return parseTime(value, {
    zone: 'UTC',
    field: shape === 'notification' ? 'time' : 'Date',
  });
}

/**
 * Talk seconds. The API's `Duration` is talk. A notification's `duration` is talk too: the vendor
 * document says it "do[es] not include the ringing duration, only the actual time of the
 * conversation", and names the queue wait separately (`seconds_waiting_in_queue`), so nothing is
 * subtracted from it. `actualCallDuration`, where a notification has it, is the talk time by name
 * and is preferred.
 */
function talkOf(f: ItemFields, shape: VoicenterShape): number | null {
  if (shape === 'cdr') return parseOptionalDuration(f.get('Duration'), 'Duration', null);
  const actual = parseOptionalDuration(f.get('actualCallDuration'), 'actualCallDuration', null);
  if (actual !== null) return actual;
  return parseOptionalDuration(f.get('duration'), 'duration', null);
}

function dispositionFor(f: ItemFields, vendorStatus: string, talk: number | null): Disposition {
  if (vendorStatus !== '') return dispositionOf(vendorStatus);
  const isAnswer = f.text('isAnswer');
  if (isAnswer === '1' || isAnswer === 'true') return 'answered';
  if (isAnswer === '0' || isAnswer === 'false') return 'no_answer';
  if (talk === null) return 'unknown';
  return talk > 0 ? 'answered' : 'no_answer';
}

/**
 * The call a record belongs to: `OriginalIvrUniqueID` (top level in notifications, inside
 * `CustomData` in the Call Log) when it names another call; otherwise a leg record's parent is
 * its own CallID, which Voicenter gives to both legs of one Click2Call.
 */
function parentOf(f: ItemFields, callId: string, type: CdrTypeInfo | undefined): string {
  const original = f.text('OriginalIvrUniqueID') || f.object('CustomData')?.text('OriginalIvrUniqueID') || '';
  if (original !== '' && original !== callId) return original;
  return type && type.leg !== 0 ? callId : '';
}

function directionFor(
  type: CdrTypeInfo | undefined,
  f: ItemFields,
  callerE164: string,
  calleeE164: string,
  callee: string,
): Direction {
  if (type && type.direction !== 'parties') return type.direction;
  if (type) {
    if (callerE164 !== '') return 'inbound';
    if (calleeE164 !== '') return 'outbound';
    return callee !== '' ? 'internal' : 'unknown';
  }
  // An unknown type: a notification's own `direction` field, when it has one.
  const d = f.text('direction').toLowerCase();
  if (d === 'incoming' || d === 'inbound') return 'inbound';
  if (d === 'outgoing' || d === 'outbound') return 'outbound';
  if (d === 'internal') return 'internal';
  return 'unknown';
}

/**
 * Answer and end instants, derived from the start plus queue wait, ring and talk. For queue calls
 * whose wait is not known (the Call Log has no wait field) they are left null, not guessed.
 */
function answerAndEnd(
  started: DateTime,
  type: CdrTypeInfo | undefined,
  disposition: Disposition,
  queueWait: number | null,
  ring: number | null,
  talk: number | null,
): { answered: DateTime | null; ended: DateTime | null } {
  const wait = queueWait ?? (type?.queue ? null : 0);
  if (wait === null || ring === null || talk === null) return { answered: null, ended: null };
  const answered = disposition === 'answered' ? plusSeconds(started, wait + ring) : null;
  return { answered, ended: plusSeconds(started, wait + ring + talk) };
}
