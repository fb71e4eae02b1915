/**
 * A JSON reader that keeps every key of an object, duplicates included, in the order sent.
 * Legacy Yeastar S reports repeat `ext` once per party (`"ext":{…},"ext":{…}`) and the order says
 * who triggered the event; JSON.parse would keep only the last one.
 *
 * Iterative (an explicit stack, no recursion), with caps on depth and size, so that hostile input
 * can only ever produce a value or a PARSE_ERROR.
 */
import { CallhouseError } from '../../runtime/errors.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | OrderedObject;

/** An object as ordered key/value pairs; a key may occur more than once. */
export class OrderedObject {
  constructor(readonly entries: Array<[string, JsonValue]> = []) {}

  /** The first value under `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }

  /** Every value under `key`, in order. */
  getAll(key: string): JsonValue[] {
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }
}

export interface ParseOptions {
  /** Deepest nesting of objects and arrays accepted. */
  maxDepth?: number;
  /** Longest text accepted, in UTF-16 code units. */
  maxLength?: number;
}

export interface ParsedJson {
  value: JsonValue;
  /** [start, end) offsets of each element of a top-level array (empty otherwise). */
  elementSpans: Array<[number, number]>;
}

type Frame =
  | { kind: 'object'; obj: OrderedObject; key: string; start: number }
  | { kind: 'array'; arr: JsonValue[]; start: number };

const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_LENGTH = 4 * 1024 * 1024;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function parseOrderedJson(text: string, opts: ParseOptions = {}): JsonValue {
  return parseOrdered(text, opts).value;
}

export function parseOrdered(text: string, opts: ParseOptions = {}): ParsedJson {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxLength = opts.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) fail(`body is longer than ${maxLength} characters`);
  const stack: Frame[] = [];
  const elementSpans: Array<[number, number]> = [];
  let i = 0;

  for (;;) {
    i = skipWs(text, i);
    let valueStart = i;
    let value: JsonValue;
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) fail(`nesting deeper than ${maxDepth} at offset ${i}`);
      const close = c === '{' ? '}' : ']';
      i = skipWs(text, i + 1);
      if (text[i] === close) {
        value = c === '{' ? new OrderedObject() : [];
        i++;
      } else if (c === '{') {
        const frame: Frame = { kind: 'object', obj: new OrderedObject(), key: '', start: valueStart };
        i = readKey(text, i, frame);
        stack.push(frame);
        continue;
      } else {
        stack.push({ kind: 'array', arr: [], start: valueStart });
        continue;
      }
    } else if (c === '"') {
      [value, i] = readString(text, i);
    } else if (c === 't' && text.startsWith('true', i)) {
      [value, i] = [true, i + 4];
    } else if (c === 'f' && text.startsWith('false', i)) {
      [value, i] = [false, i + 5];
    } else if (c === 'n' && text.startsWith('null', i)) {
      [value, i] = [null, i + 4];
    } else {
      NUMBER.lastIndex = i;
      const m = c === undefined ? null : NUMBER.exec(text);
      if (!m) fail(unexpected(text, i));
      [value, i] = [Number(m[0]), i + m[0].length];
    }

    // Attach the finished value to its container; close containers that end here.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) {
        i = skipWs(text, i);
        if (i !== text.length) fail(unexpected(text, i));
        return { value, elementSpans };
      }
      if (top.kind === 'array') {
        top.arr.push(value);
        if (stack.length === 1) elementSpans.push([valueStart, i]);
      } else {
        top.obj.entries.push([top.key, value]);
      }
      i = skipWs(text, i);
      const d = text[i];
      if (d === ',') {
        i++;
        if (top.kind === 'object') i = readKey(text, i, top);
        break;
      }
      if ((top.kind === 'array' && d === ']') || (top.kind === 'object' && d === '}')) {
        i++;
        stack.pop();
        value = top.kind === 'array' ? top.arr : top.obj;
        valueStart = top.start;
        continue;
      }
      fail(unexpected(text, i));
    }
  }
}

/** Compact JSON text of a value, keys in their order, duplicates kept. */
export function stringifyOrdered(value: JsonValue): string {
  if (value instanceof OrderedObject) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${stringifyOrdered(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(stringifyOrdered).join(',')}]`;
  return JSON.stringify(value);
}

function readKey(text: string, at: number, frame: { key: string }): number {
  let i = skipWs(text, at);
  if (text[i] !== '"') fail(unexpected(text, i, 'a key'));
  [frame.key, i] = readString(text, i);
  i = skipWs(text, i);
  if (text[i] !== ':') fail(unexpected(text, i, "':'"));
  return i + 1;
}

function readString(text: string, at: number): [string, number] {
  let out = '';
  let i = at + 1;
  let runStart = i;
  for (;;) {
    const code = text.charCodeAt(i);
    if (Number.isNaN(code)) fail(`unterminated string starting at offset ${at}`);
    if (code === 0x22) return [out + text.slice(runStart, i), i + 1];
    if (code < 0x20) fail(`control character in a string at offset ${i}`);
    if (code !== 0x5c) {
      i++;
      continue;
    }
    out += text.slice(runStart, i);
    const e = text[i + 1];
    if (e === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(`bad \\u escape at offset ${i}`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
    } else if (e !== undefined && e in ESCAPES) {
      out += ESCAPES[e];
      i += 2;
    } else if (e !== undefined && /[!-/:-@[-`{-~]/.test(e)) {
      // The vendor's own DTMF sample reads `"info":"\#"`: a backslash before punctuation that
      // JSON does not list is taken as that punctuation rather than losing the report.
      out += e;
      i += 2;
    } else {
      fail(`bad escape at offset ${i}`);
    }
    runStart = i;
  }
}

function skipWs(text: string, at: number): number {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

function unexpected(text: string, i: number, expected?: string): string {
  const found = i >= text.length ? 'end of input' : JSON.stringify(text[i]);
  return `unexpected ${found} at offset ${i}${expected ? `, expected ${expected}` : ''}`;
}

function fail(reason: string): never {
  throw new CallhouseError('PARSE_ERROR', `body is not JSON: ${reason}`);
}
