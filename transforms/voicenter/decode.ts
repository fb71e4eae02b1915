/**
 * Reads the bodies Voicenter produces into plain records: a Call Log item (JSON), a whole Call
 * Log response (`CDR_LIST`), a CDR notification as POST-JSON, as x-www-form-urlencoded, or as a
 * form whose one field holds the JSON; JSON inside a JSON string is unwrapped too. XML-RPC
 * notifications are recognised but not parsed (see the README).
 */
import { CallhouseError } from '../../runtime/errors.js';
import { parseJsonBody } from '../core/records.js';
import type { VoicenterItem } from './fields.js';

export type Decoded = { kind: 'records'; items: VoicenterItem[] } | { kind: 'xmlrpc'; text: string };

export function decodeBody(body: Buffer, contentType: string): Decoded {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  if (trimmed === '') throw new CallhouseError('PARSE_ERROR', 'empty body');
  if (trimmed.startsWith('<')) return { kind: 'xmlrpc', text: trimmed };

  const ct = contentType.toLowerCase();
  const looksJson = /^[[{"]/.test(trimmed);
  if (looksJson || (ct.includes('json') && !ct.includes('form'))) {
    return {
      kind: 'records',
      items: recordsOf(parseJsonBody(Buffer.from(trimmed, 'utf8')), 0),
    };
  }
  return { kind: 'records', items: [formRecord(trimmed)] };
}

function recordsOf(value: unknown, depth: number): VoicenterItem[] {
  if (typeof value === 'string' && depth < 2) {
    // JSON sent as a JSON string: decode once more.
    try {
      return recordsOf(JSON.parse(value) as unknown, depth + 1);
    } catch {
      throw new CallhouseError('PARSE_ERROR', 'body is a JSON string that does not hold JSON');
    }
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw new CallhouseError('PARSE_ERROR', 'body is an empty JSON array');
    return value.flatMap((v) => recordsOf(v, depth + 1));
  }
  if (isObject(value)) {
    const list = value.CDR_LIST ?? value.cdr_list;
    if (Array.isArray(list)) return list.flatMap((v) => recordsOf(v, depth + 1));
    return [value];
  }
  throw new CallhouseError('PARSE_ERROR', `body is JSON but not a CDR object (${typeof value})`);
}

function formRecord(text: string): VoicenterItem {
  if (!text.includes('=')) {
    throw new CallhouseError('PARSE_ERROR', 'body is neither JSON nor form-encoded');
  }
  const params = new URLSearchParams(text);
  const record: VoicenterItem = {};
  for (const [k, v] of params) if (!(k in record) || record[k] === '') record[k] = v;
  const keys = Object.keys(record);
  if (keys.some((k) => k.toLowerCase() === 'ivruniqueid')) return record;
  // Some senders wrap the JSON in one form field (`data={…}`, `cdr={…}`).
  const wrapped = keys.map((k) => String(record[k]).trim()).filter((v) => v.startsWith('{'));
  if (wrapped.length === 1) {
    try {
      const inner = JSON.parse(wrapped[0]!) as unknown;
      if (isObject(inner)) return inner;
    } catch {
      throw new CallhouseError('PARSE_ERROR', 'form field holds invalid JSON');
    }
  }
  return record;
}

function isObject(v: unknown): v is VoicenterItem {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The call id of an XML-RPC notification, for the Kafka key ('' when not found). */
export function xmlRpcCallId(text: string): string {
  const m = /<name>\s*ivruniqueid\s*<\/name>\s*<value>\s*(?:<string>)?\s*([^<\s]+)/i.exec(text);
  return m ? m[1]! : '';
}
