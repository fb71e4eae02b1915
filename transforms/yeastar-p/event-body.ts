/**
 * Reading P-Series event reports. The PBX sends `{"type":30012,"sn":"…","msg":…}` where `msg` is
 * documented as an object but shown, and sent by some firmware, as a JSON-encoded string; both
 * decode to the same event. Blank fields are a single space.
 */
import { CallhouseError } from '../../runtime/errors.js';
import { parseJsonBody } from '../core/records.js';

export interface PEvent {
  type: number;
  sn: string;
  msg: Record<string, unknown>;
}

/** Every event in a body: one object, an array of them, JSON lines, or any of these as a JSON string. */
export function readEvents(body: Buffer): unknown[] {
  let value: unknown;
  try {
    value = parseJsonBody(body);
  } catch (e) {
    const lines = body
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '');
    if (lines.length < 2) throw e;
    value = lines.map((l) => parseJsonBody(Buffer.from(l)));
  }
  if (typeof value === 'string') value = parseJsonBody(Buffer.from(value));
  return Array.isArray(value) ? value : [value];
}

export function decodeEvent(value: unknown): PEvent {
  if (typeof value === 'string') value = parseJsonBody(Buffer.from(value));
  if (!isObject(value)) {
    throw new CallhouseError('PARSE_ERROR', 'event is not a JSON object');
  }
  const type = typeof value.type === 'string' && /^\d+$/.test(value.type) ? Number(value.type) : value.type;
  if (typeof type !== 'number' || !Number.isInteger(type)) {
    throw new CallhouseError('UNSUPPORTED_PAYLOAD', 'not a P-Series event report: no numeric "type"');
  }
  let msg: unknown = value.msg ?? {};
  if (typeof msg === 'string') {
    try {
      msg = JSON.parse(msg) as unknown;
    } catch (e) {
      throw new CallhouseError('PARSE_ERROR', `event ${type}: msg is a string but not JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(msg)) throw new CallhouseError('PARSE_ERROR', `event ${type}: msg is not an object`);
  return { type, sn: text(value.sn), msg };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field as text: absent, null and the PBX's " " placeholder are ''. */
export function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** The call a report belongs to: the event's call id, else the CDR uid. */
export function callKeyOf(msg: Record<string, unknown>): string {
  return text(msg.call_id) || text(msg.uid);
}

/** JSON with sorted keys: the same message gives the same text whichever way it was encoded. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
