/**
 * Reads a request body into reports, whatever way it was wrapped: a JSON object, a JSON array of
 * reports, a form whose field holds the JSON, or JSON encoded inside a JSON string. Shared by the
 * ingest side (to split and key) and the normaliser (to read), so both see the same reports.
 */
import { CallhouseError } from '../../runtime/errors.js';
import { OrderedObject, parseOrdered, type JsonValue } from './ordered-json.js';

export interface Report {
  value: OrderedObject;
  /**
   * The exact JSON text of this report when it was one element of an array (so that it can
   * travel alone with its duplicate keys intact); null when the report is the whole body.
   */
  text: string | null;
}

/** How many wrappings (form field, JSON string) are peeled off before giving up. */
const MAX_UNWRAP = 3;

export function readReports(body: Buffer): Report[] {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  for (let round = 0; round <= MAX_UNWRAP; round++) {
    text = text.trim();
    if (text === '') throw parseError('empty body');
    const first = text[0];
    if (first === '{' || first === '[' || first === '"') {
      const { value, elementSpans } = parseOrdered(text);
      if (typeof value === 'string') {
        text = value;
        continue;
      }
      return toReports(value, text, elementSpans);
    }
    text = jsonFormField(text);
  }
  throw parseError(`body is wrapped more than ${MAX_UNWRAP} times`);
}

/** The call id a report names ('' for system reports such as ExtensionStatus). */
export function callIdOf(report: OrderedObject): string {
  const v = report.get('callid');
  return typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
}

function toReports(value: JsonValue, text: string, spans: Array<[number, number]>): Report[] {
  if (value instanceof OrderedObject) return [{ value, text: null }];
  if (!Array.isArray(value)) throw parseError(`a report is a JSON object, not ${describe(value)}`);
  if (value.length === 0) throw parseError('an empty array holds no report');
  return value.map((item, n) => {
    if (!(item instanceof OrderedObject)) {
      throw parseError(`array element ${n} is ${describe(item)}, not a report object`);
    }
    const [start, end] = spans[n]!;
    return { value: item, text: text.slice(start, end) };
  });
}

/** A form-encoded body: the JSON is the value of whichever field holds an object or array. */
function jsonFormField(text: string): string {
  if (!text.includes('=')) throw parseError('neither JSON nor a form');
  for (const [, v] of new URLSearchParams(text)) {
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[') || t.startsWith('"')) return t;
  }
  throw parseError('form body has no field holding JSON');
}

function describe(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function parseError(reason: string): CallhouseError {
  return new CallhouseError('PARSE_ERROR', `not a Yeastar report: ${reason}`);
}
