/**
 * kafkajs's decoder of one record of a record batch (the batch format of magic 2, which kafkajs
 * calls v0), with kafkajs's output. Per record kafkajs parses the batch's first offset and first
 * timestamp from their decimal text into its Long (a BigInt parse each), adds the deltas and
 * prints them back, reads the timestamp delta through a Long per byte, and builds the headers
 * object with an object spread per header, so that a record with six headers copies the object
 * six times: about 53 ms for 20,000 records of 250 bytes with six headers each. `decodeRecord`
 * parses the batch's two bases once (records of a batch share one context and arrive in turn, so
 * the last text read is remembered), adds in Number arithmetic while the sum is exact, reads the
 * record's bytes straight from the decoder's buffer and reuses the text of header keys it has
 * just read: about 13 ms for the same records.
 *
 * The output is kafkajs's, quirks included:
 * - the headers object is built as kafkajs's reduce builds it: a repeated key collects its values
 *   into an array, and the test for an earlier value reads through the prototype, so a header
 *   named `constructor`, `toString` or `__proto__` starts its array with what Object.prototype
 *   holds there; a new key becomes an own property whatever Object.prototype holds under its
 *   name (the setter of `__proto__`, read-only properties where intrinsics are frozen), which an
 *   assignment would not do; a null key is the key 'null';
 * - the int64 sums are not wrapped to 64 bits, as kafkajs's BigInt-backed Long does not wrap;
 * - a LOG_APPEND_TIME batch gives its max timestamp, as given, when that is truthy; the batch
 *   decoder hands it over as text, so '0' is used too.
 * A record that is not well formed (cut short, a length below -1, a varint longer than five
 * bytes) or whose timestamp delta takes more than seven bytes (2^48 ms or more), and a context
 * whose first offset or first timestamp is not text that kafkajs's Long reads, go to kafkajs's
 * own decoder, which reads them as it always did: past the end of the bytes its Decoder reads
 * zeros and empty slices, a length below -1 moves it back, and it throws only where no byte is
 * left for the attributes, on a header count below -1, on a varlong over ten bytes, or on a base
 * its Long cannot read. A batch cut short is found by the batch decoder, before its records.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const RECORD_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';
/** Takes the record decoder when it loads, not the module. */
export const RECORD_BATCH_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';

/** What the record decoder uses of kafkajs's Decoder: its bytes and its read position. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
}

/** The record batch's fields that kafkajs's batch decoder hands to each record, as text. */
export interface BatchContext {
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  magicByte?: unknown;
  isControlBatch?: unknown;
  timestampType?: unknown;
  maxTimestamp?: unknown;
  [field: string]: unknown;
}

export interface DecodedRecord {
  magicByte: unknown;
  attributes: number;
  /** Decimal text, or the batch's max timestamp as given. */
  timestamp: unknown;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  isControlRecord: unknown;
  batchContext: BatchContext;
}

export type RecordDecoder = (decoder: KafkajsDecoder, batchContext?: BatchContext) => DecodedRecord;

interface LongClass {
  fromValue(value: unknown): { value: bigint };
}

const Long = require('kafkajs/src/utils/long.js') as LongClass;
const { LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };

/** Set on `decodeRecord` so that a second copy of this module still finds kafkajs's original. */
const ORIGINAL: unique symbol = Symbol.for('callhouse.kafkajs.record-v0-decoder.original');
type Marked = RecordDecoder & { [ORIGINAL]?: RecordDecoder };

const loaded = require(RECORD_DECODER_MODULE) as Marked;
/** kafkajs's own record decoder, whatever the module cache holds now. */
export const kafkajsDecodeRecord: RecordDecoder = loaded[ORIGINAL] ?? loaded;

/** A first offset or first timestamp: its text, and its value as kafkajs's Long reads it. */
interface Base {
  text: string;
  /** The value when it is a safe integer, else NaN. */
  number: number;
  big: bigint;
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** The base for `text`, or undefined where kafkajs's Long throws on it. */
function readBase(text: string): Base | undefined {
  let big: bigint;
  try {
    big = Long.fromValue(text).value; // '' throws; 'NaN' and 'Infinity' read as 0; ' 0x1f ' as 31
  } catch {
    return undefined;
  }
  return { text, number: big >= -SAFE && big <= SAFE ? Number(big) : NaN, big };
}

/** Base plus delta as decimal text, in Number arithmetic while that is exact. */
function sum(base: Base, delta: number, decimals: Decimals): string {
  const n = base.number + delta;
  return n >= -SAFE && n <= SAFE ? decimals.of(n) : String(base.big + BigInt(delta));
}

const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * Decimal text of safe integers that mostly share their leading digits, as a batch's offsets and
 * timestamps do: the thousands are printed once per thousand, and the last three digits come
 * from a table. Printing a number beyond 32 bits takes about 100 ns; this, about 10.
 */
class Decimals {
  private thousands = -1;
  private text = '';

  of(n: number): string {
    if ((n | 0) === n || n < 0) return String(n); // small integers print fast; the table is for n >= 0
    const rest = n % 1000;
    const thousands = (n - rest) / 1000; // exact: both are integers below 2^53
    if (thousands !== this.thousands) {
      this.thousands = thousands;
      this.text = String(thousands);
    }
    return this.text + THREE_DIGITS[rest]!;
  }
}

const offsets = new Decimals();
const timestamps = new Decimals();

let offsetBase: Base | undefined;
let timestampBase: Base | undefined;

// The read position in the record being decoded, moved by the readers below. A reader gives NaN
// (or undefined) where the record is not well formed; the record then goes to kafkajs's decoder.
let at = 0;

/** A zig-zag varint of at most five bytes: kafkajs reads longer ones with shifts that wrap. */
function varInt(buf: Buffer, end: number): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= end) return NaN;
    const byte = buf[at++]!;
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) return (value >>> 1) ^ -(value & 1);
  }
  return NaN;
}

/** A zig-zag varlong of at most seven bytes (49 bits), which a Number holds exactly. */
function varLong(buf: Buffer, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (at >= end) return NaN;
    const byte = buf[at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  return NaN;
}

/** Varint-prefixed bytes: null for length -1, undefined where not well formed. */
function bytes(buf: Buffer, end: number): Buffer | null | undefined {
  const length = varInt(buf, end);
  if (length === -1) return null;
  if (!(length >= 0 && at + length <= end)) return undefined;
  return buf.subarray(at, (at += length));
}

/** The record decoder with kafkajs's signature and kafkajs's output. */
export const decodeRecord: Marked = (decoder, batchContext = {}) => {
  if (typeof batchContext !== 'object' || batchContext === null) return kafkajsDecodeRecord(decoder, batchContext);
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const buf = decoder.buffer;
  const start = decoder.offset;
  if (!Buffer.isBuffer(buf) || !Number.isSafeInteger(start) || start < 0 || start >= buf.length) {
    return kafkajsDecodeRecord(decoder, batchContext);
  }
  const end = buf.length;
  at = start;

  const attributes = (buf[at++]! << 24) >> 24;
  const timestampDelta = varLong(buf, end);
  if (timestampDelta !== timestampDelta) return kafkajsDecodeRecord(decoder, batchContext);
  let timestamp: unknown;
  if (timestampType === LOG_APPEND_TIME && maxTimestamp) timestamp = maxTimestamp;
  else {
    if (typeof firstTimestamp !== 'string') return kafkajsDecodeRecord(decoder, batchContext);
    if (timestampBase?.text !== firstTimestamp) timestampBase = readBase(firstTimestamp);
    if (timestampBase === undefined) return kafkajsDecodeRecord(decoder, batchContext);
    timestamp = sum(timestampBase, timestampDelta, timestamps);
  }

  const offsetDelta = varInt(buf, end);
  if (offsetDelta !== offsetDelta || typeof firstOffset !== 'string') return kafkajsDecodeRecord(decoder, batchContext);
  if (offsetBase?.text !== firstOffset) offsetBase = readBase(firstOffset);
  if (offsetBase === undefined) return kafkajsDecodeRecord(decoder, batchContext);
  const offset = sum(offsetBase, offsetDelta, offsets);

  const key = bytes(buf, end);
  if (key === undefined) return kafkajsDecodeRecord(decoder, batchContext);
  const value = bytes(buf, end);
  if (value === undefined) return kafkajsDecodeRecord(decoder, batchContext);

  const count = varInt(buf, end);
  if (!(count >= -1)) return kafkajsDecodeRecord(decoder, batchContext);
  const headers: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const keyLength = varInt(buf, end);
    let name: string;
    if (keyLength === -1) name = 'null';
    else if (keyLength >= 0 && at + keyLength <= end) name = headerKey(buf, at, (at += keyLength), i);
    else return kafkajsDecodeRecord(decoder, batchContext);
    const headerValue = bytes(buf, end);
    if (headerValue === undefined) return kafkajsDecodeRecord(decoder, batchContext);
    // kafkajs's test for an earlier value reads through the prototype, and its object literal
    // defines a new key as an own property whatever Object.prototype holds under that name.
    const earlier = headers[name];
    if (earlier === undefined && !(name in headers)) headers[name] = headerValue;
    else if (Object.hasOwn(headers, name)) {
      if (Array.isArray(earlier)) earlier.push(headerValue);
      else headers[name] = [earlier, headerValue];
    } else {
      const value =
        earlier === undefined
          ? headerValue
          : Array.isArray(earlier)
            ? earlier.concat([headerValue])
            : [earlier, headerValue];
      Object.defineProperty(headers, name, { value, writable: true, enumerable: true, configurable: true });
    }
  }

  decoder.offset = at;
  return {
    magicByte,
    attributes,
    timestamp,
    offset,
    key,
    value,
    headers,
    isControlRecord: isControlBatch,
    batchContext,
  };
};
decodeRecord[ORIGINAL] = kafkajsDecodeRecord;

// Header keys repeat from record to record, in the same order: the text last read at each
// position is kept, and an ASCII key with the same bytes reuses it. Decoding a key is a call
// into C++ and a new string, which the headers object then has to look up as a property name.
const keyTexts: string[] = [];

/** A header key's text, UTF-8 as kafkajs reads it, for the header at `position`. */
function headerKey(buf: Buffer, from: number, to: number, position: number): string {
  const known = keyTexts[position];
  const length = to - from;
  if (known !== undefined && known.length === length) {
    let i = 0;
    while (i < length && known.charCodeAt(i) === buf[from + i]) i++;
    if (i === length) return known; // equal bytes: `known` is ASCII, so its code units are its bytes
  }
  const text = buf.toString('utf8', from, to);
  if (position < 64 && isAscii(buf, from, to)) keyTexts[position] = text;
  return text;
}

function isAscii(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i]! >= 0x80) return false;
  return true;
}
