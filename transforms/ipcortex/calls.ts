/** One merged IPCortex call (its `in` half, `out` half, or both) → one canonical call record. */
import type { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import type { CallRecord, Direction, Disposition } from '../core/model.js';
import { buildCall } from '../core/records.js';
import { parseDuration, parseOptionalDuration } from '../core/durations.js';
import { parseTime, plusSeconds } from '../core/times.js';
import { dispositionFromTalk, dispositionOf } from '../core/dispositions.js';
import { phoneParts, type PhoneParts } from '../core/phones.js';
import { scaleDown } from '../core/money.js';
import { acctidKey, isObject, type InHalf, type MergedCall, type OutHalf, type VendorItem } from './merge.js';

export interface CallOptions {
  /** Decimal places that divide a PABX cost into currency units (log10 of cost_divisor). */
  costPlaces: number;
  currency: string;
  /** Digits dialled before an outside number to get a line (`9` on most PABXs), stripped to read it. */
  accessPrefixes: readonly string[];
  /** False for allcalls, which the vendor documents as carrying no cost data: its `cost` is not a cost. */
  costKnown: boolean;
}

export function callFromMerged(ctx: NormaliseContext, m: MergedCall, opts: CallOptions): CallRecord {
  const inn = m.in ? checkedIn(m.in) : undefined;
  const out = m.out ? checkedOut(m.out) : undefined;
  if (!inn && !out) throw new CallhouseError('UNSUPPORTED_PAYLOAD', 'call payload has neither an in nor an out half');
  const callId = sameAcctid(inn?.call, out?.call);
  const started = earliest(inn?.call, out?.call);

  // The ringing side (in) knows ring and talk times best; an out-only call has only its own.
  const primary = (inn ?? out)!.call;
  const ring = parseDuration(primary.ringtime, 'ringtime');
  const talk = parseDuration(primary.billsecs, 'billsecs');

  const country = ctx.config.country;
  const caller = phoneParts(inn ? str(inn.call.caller) : str(out!.call.cid), country);
  const callee = inn ? phoneParts(inn.extension, country) : dialledParts(out!.call, country, opts.accessPrefixes);
  const direction = directionOf(inn, out, callee);

  const detail = inn ? str(inn.call.detail).trim() : '';
  const qstatus = inn ? str(inn.call.qstatus).trim() : '';
  const queueWait = inn ? parseOptionalDuration(inn.call.qtime, 'qtime', null) : null;
  const queued = qstatus !== '' || queueWait !== null;

  return buildCall(ctx, {
    call_id: callId,
    started,
    answered: talk > 0 ? plusSeconds(started, ring) : null,
    ended: plusSeconds(started, ring + talk),
    direction,
    caller: caller.raw,
    callee: callee.raw,
    caller_e164: caller.e164,
    callee_e164: callee.e164,
    // The calling device is who placed the call; `cid` is only the caller ID it presented (the
    // company's number on an outside call), so it names no extension.
    caller_ext: out ? deviceOf(out) : caller.ext,
    callee_ext: direction === 'outbound' ? '' : callee.ext,
    trunk: out ? str(out.call.trunk).trim() : '',
    did: inn ? str(inn.call.ddi) : '',
    queue: queued && inn ? inn.extension : '',
    disposition: inn ? dispositionIn(detail, qstatus, talk) : dispositionFromTalk(talk),
    vendor_status: [detail, qstatus].filter((s) => s !== '').join('/'),
    vendor_type: distinct([inn && str(inn.call.type), out && str(out.call.type)]).join('/'),
    ring_seconds: ring,
    talk_seconds: talk,
    total_seconds: ring + talk,
    queue_wait_seconds: queueWait,
    cost: opts.costKnown ? costOf(out?.call, opts.costPlaces) : null,
    currency: opts.currency,
  });
}

/** The device that placed a call: its SIP name, else its id (MAC + port). */
function deviceOf(out: OutHalf): string {
  return (str(out.device).trim() || str(out.device_id).trim()).slice(0, 64);
}

/**
 * The number an out call went to: `called` (the PABX's short form) before `dialled` (as keyed,
 * with any access prefix). A number that reads as a phone number only without an access prefix
 * is read without it; the vendor's text stays in `callee`.
 */
function dialledParts(call: VendorItem, country: string | undefined, prefixes: readonly string[]): PhoneParts {
  const called = str(call.called).trim();
  const dialled = str(call.dialled).trim();
  const raw = called || dialled;
  for (const value of [called, dialled]) {
    if (value === '') continue;
    for (const p of prefixes) {
      if (p === '' || !value.startsWith(p) || value.length <= p.length) continue;
      const stripped = phoneParts(value.slice(p.length), country);
      if (stripped.e164 !== '') return { raw, e164: stripped.e164, ext: '' };
    }
    const plain = phoneParts(value, country);
    if (plain.e164 !== '') return { ...plain, raw };
  }
  return { ...phoneParts(raw, country), raw };
}

/** Out types that stay on the PABX: extension calls and the echo/test service (e.g. *600). */
const INTERNAL_OUT_TYPES = new Set(['internal', 'test number']);

/**
 * Both halves → internal (a PABX device called a PABX extension). In only: the item's type says
 * Internal or External. Out only, by the strongest evidence first: an internal type; a trunk (the
 * call left the PABX, whatever its number looks like); a number that reads as an outside one; a
 * short code or extension-length number. Nothing of these: unknown.
 */
function directionOf(inn: InHalf | undefined, out: OutHalf | undefined, callee: PhoneParts): Direction {
  if (inn && out) return 'internal';
  if (inn) {
    const type = str(inn.call.type).trim().toLowerCase();
    if (type === 'internal') return 'internal';
    return 'inbound';
  }
  const type = str(out!.call.type).trim().toLowerCase();
  if (INTERNAL_OUT_TYPES.has(type)) return 'internal';
  if (str(out!.call.trunk).trim() !== '') return 'outbound';
  if (callee.e164 !== '') return 'outbound';
  if (/^[*#]/.test(callee.raw) || callee.ext !== '') return 'internal';
  return 'unknown';
}

/**
 * `detail` is the call's outcome; for a queued call that nobody answered, a known queue status
 * (ABANDONED, TIMEOUT, …) says more precisely how it ended.
 */
function dispositionIn(detail: string, qstatus: string, talk: number): Disposition {
  if (detail === '' && qstatus === '') return dispositionFromTalk(talk);
  const fromDetail = detail === '' ? 'unknown' : dispositionOf(detail);
  if (fromDetail === 'answered') return fromDetail;
  const fromQueue = qstatus === '' ? 'unknown' : dispositionOf(qstatus);
  return fromQueue !== 'unknown' ? fromQueue : fromDetail;
}

function costOf(call: VendorItem | undefined, places: number): string | null {
  if (!call) return null;
  const v = call.cost;
  if (v === undefined || v === null || v === '') return null;
  return scaleDown(v, places, 'cost');
}

function checkedIn(h: InHalf): InHalf {
  if (!isObject(h) || !isObject(h.call))
    throw new CallhouseError('INVALID_VALUE', 'in: expected {extension, name, call}');
  if (typeof h.extension !== 'string' || h.extension.trim() === '') {
    throw new CallhouseError('INVALID_VALUE', 'in.extension: missing');
  }
  return h;
}

function checkedOut(h: OutHalf): OutHalf {
  if (!isObject(h) || !isObject(h.call))
    throw new CallhouseError('INVALID_VALUE', 'out: expected {device_id, name, device, call}');
  return h;
}

function sameAcctid(a: VendorItem | undefined, b: VendorItem | undefined): string {
  const ka = a ? acctidKey(a) : undefined;
  const kb = b ? acctidKey(b) : undefined;
  if (ka === null || kb === null) {
    const bad = ka === null ? a!.acctid : b!.acctid;
    throw new CallhouseError('INVALID_VALUE', `acctid: not an accounting id: ${JSON.stringify(bad ?? null)}`);
  }
  if (ka !== undefined && kb !== undefined && ka !== kb) {
    throw new CallhouseError('INVALID_VALUE', `acctid: the in half (${ka}) and out half (${kb}) differ`);
  }
  return (ka ?? kb)!;
}

function earliest(a: VendorItem | undefined, b: VendorItem | undefined): DateTime {
  const times = [a, b]
    .filter((c): c is VendorItem => c !== undefined)
    .map((c) => {
      if (c.calldate === undefined || c.calldate === null || c.calldate === '') {
        throw new CallhouseError('INVALID_VALUE', 'calldate: missing');
      }
      return parseTime(c.calldate, { zone: 'UTC', field: 'calldate' });
    });
  return times.reduce((x, y) => (y < x ? y : x));
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values.map((v) => (v ?? '').trim()).filter((v) => v !== ''))];
}
