/** NewCdr → one `calls` row. */
import { DateTime } from 'luxon';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { CallhouseError } from '../../runtime/errors.js';
import type { CallRecord, Direction } from '../core/model.js';
import { buildCall, dstObserver } from '../core/records.js';
import { dispositionOf, directionOf } from '../core/dispositions.js';
import { parseDuration, parseOptionalDuration } from '../core/durations.js';
import { phoneParts } from '../core/phones.js';
import { parseTime, plusSeconds } from '../core/times.js';
import { field, type ReportView } from './report.js';

/** The PBX's clock may disagree with the configured zone by this much before we say so. */
const ZONE_TOLERANCE_S = 15 * 60;

/** The spellings of the destination trunk across guides: samples, 2017 table, v2 typo. */
const DEST_TRUNK_FIELDS = ['desttrunkname', 'dstrunkname', 'dsttrcunkname'];

/**
 * timestart is the PBX's wall clock; the callid's epoch is absolute, so in the hour that a
 * daylight-saving change repeats it says which of the two readings the call started at.
 */
export function cdrStart(ctx: NormaliseContext, view: ReportView): DateTime {
  const zone = ctx.config.timezone ?? 'UTC';
  const timestart = field(view, 'timestart');
  if (timestart === '') throw new CallhouseError('INVALID_VALUE', 'NewCdr without timestart');
  const epoch = callidEpoch(view.callid);
  return parseTime(timestart, {
    zone,
    field: 'timestart',
    ...(epoch === undefined ? {} : { near: epoch * 1000 }),
    onDst: dstObserver(ctx),
  });
}

/** The integer part of a callid: the UTC epoch second of the call's start. */
function callidEpoch(callid: string): number | undefined {
  const m = /^(\d{9,10})(\.\d+)?$/.exec(callid);
  return m ? Number(m[1]) : undefined;
}

/**
 * One callid can have several CDRs (a call forwarded outside, a transfer), told apart by `cdrid`:
 * each is its own record, `callid-cdrid`, with the callid as its parent so that it still joins
 * the call's events. Without a cdrid (the legacy form omits it) the callid alone is the record.
 */
function identityOf(view: ReportView): { call_id: string; parent_call_id: string } {
  const cdrid = field(view, 'cdrid');
  return cdrid === ''
    ? { call_id: view.callid, parent_call_id: '' }
    : { call_id: `${view.callid}-${cdrid}`, parent_call_id: view.callid };
}

export function callOfCdr(ctx: NormaliseContext, view: ReportView, started: DateTime): CallRecord {
  if (view.callid === '') throw new CallhouseError('INVALID_VALUE', 'NewCdr without callid');
  checkZone(ctx, view, started);

  const status = field(view, 'status');
  const disposition = dispositionOf(status);
  const total = parseDuration(required(view, 'callduraction'), 'callduraction');
  const talkRaw = field(view, 'talkduraction');
  // v2 sends absent fields as "": no talk duration is a fact only for a call nobody answered.
  if (talkRaw === '' && disposition === 'answered') {
    throw new CallhouseError('INVALID_VALUE', 'talkduraction: missing on an answered call');
  }
  const talk = parseOptionalDuration(talkRaw, 'talkduraction', 0);
  const ring = Math.max(0, total - talk);

  const srcTrunk = field(view, 'srctrunkname');
  const destTrunk = DEST_TRUNK_FIELDS.map((f) => field(view, f)).find((v) => v !== '') ?? '';
  const type = field(view, 'type');
  const direction = directionOfCdr(type, srcTrunk, destTrunk);
  const trunk = direction === 'inbound' ? srcTrunk : direction === 'outbound' ? destTrunk : srcTrunk || destTrunk;

  const caller = phoneParts(field(view, 'callfrom'), ctx.config.country);
  const callee = phoneParts(field(view, 'callto'), ctx.config.country);
  const identity = identityOf(view);
  return buildCall(ctx, {
    call_id: identity.call_id,
    parent_call_id: identity.parent_call_id,
    started,
    answered: talk > 0 ? plusSeconds(started, ring) : null,
    ended: plusSeconds(started, total),
    direction,
    caller: caller.raw,
    callee: callee.raw,
    caller_e164: caller.e164,
    callee_e164: callee.e164,
    // The outside party of a trunk call is no extension, however short its number.
    caller_ext: direction === 'inbound' ? '' : caller.ext,
    callee_ext: direction === 'outbound' ? '' : callee.ext,
    trunk,
    did: field(view, 'didnumber'),
    disposition,
    vendor_status: status,
    vendor_type: type,
    ring_seconds: ring,
    talk_seconds: talk,
    total_seconds: total,
    recording: field(view, 'recording'),
  });
}

/**
 * Inbound/Outbound/Internal (any case) and Callback (the PBX dials out) by name. `Transfer`, and
 * any type that names no direction, is read from the trunks: a source trunk means the call came
 * in, a destination trunk that it went out, neither that it stayed inside.
 */
function directionOfCdr(type: string, srcTrunk: string, destTrunk: string): Direction {
  const named = directionOf(type);
  if (named !== 'unknown') return named;
  if (srcTrunk !== '') return 'inbound';
  if (destTrunk !== '') return 'outbound';
  return type === '' ? 'unknown' : 'internal';
}

/**
 * The integer part of a callid is the UTC epoch of the call's start, while timestart is the
 * PBX's wall clock: when they disagree the configured zone is wrong, and every local day would
 * shift. Say so, naming the offset the PBX seems to use.
 */
function checkZone(ctx: NormaliseContext, view: ReportView, started: DateTime): void {
  if (!ctx.config.timezone) {
    ctx.warn('yeastar-s: no timezone configured; reading timestart as UTC', { call_id: view.callid });
  }
  const epoch = callidEpoch(view.callid);
  if (epoch === undefined) return;
  if (Math.abs(started.toSeconds() - epoch) <= ZONE_TOLERANCE_S) return;
  const wall = DateTime.fromFormat(field(view, 'timestart'), 'yyyy-MM-dd HH:mm:ss', { zone: 'UTC' });
  const seeming = wall.isValid ? formatOffset(wall.toSeconds() - epoch) : 'unknown';
  ctx.warn(
    `yeastar-s: the configured timezone ${ctx.config.timezone ?? '(none: UTC)'} looks wrong; the PBX seems to be at UTC${seeming}`,
    { call_id: view.callid, timestart: field(view, 'timestart') },
  );
}

/** Seconds east of UTC as ±hh:mm, rounded to the nearest quarter hour. */
function formatOffset(seconds: number): string {
  const quarters = Math.round(seconds / 900);
  const sign = quarters < 0 ? '-' : '+';
  const minutes = Math.abs(quarters) * 15;
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function required(view: ReportView, name: string): string {
  const v = field(view, name);
  if (v === '') throw new CallhouseError('INVALID_VALUE', `${name}: missing`);
  return v;
}
