/**
 * kafkajs's Produce request (versions 3 to 7, which all send version 3's body) written in one
 * pass into one buffer. kafkajs builds an Encoder per record and per header (each a zero-filled
 * 512-byte buffer), copies them into a record batch, and copies the batch again into its
 * partition and its topic: about 30 ms for 2,000 messages of 260 bytes with six headers each, a
 * large share of the ingest's CPU. Written once, with the batch's CRC-32C computed eight bytes a
 * step, they take about 3 ms.
 *
 * The bytes are kafkajs's own, edge cases included, because the broker and its idempotence
 * checks have only ever seen kafkajs's encoding from this service:
 * - a record's timestamp delta is taken from the smallest and largest timestamp under a plain
 *   `.sort()`, which orders numbers as text ('999' after '1000'), and a message without a
 *   timestamp, or with 0, uses one clock reading taken per partition;
 * - int64 fields go through kafkajs's Long, so numbers, numeric strings and bigints read alike;
 * - a transactional id marks the batch transactional only when it is non-empty.
 * Compressed requests, and messages of shapes this service never sends (a header whose value is
 * null, which kafkajs rejects; keys that are neither text nor a Buffer; class instances), are
 * handed to kafkajs's own encoder, so they fail or succeed exactly as before.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const PRODUCE_V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';

/** What kafkajs's connection reads of an encoded request: `buf` up to `offset`. */
export interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  writeVarLong(value: unknown): KafkajsEncoder;
}

type EncoderClass = new (initialSize?: number) => KafkajsEncoder;

interface LongClass {
  fromInt(value: number): { value: bigint };
  fromValue(value: unknown): { value: bigint };
}

const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
const Long = require('kafkajs/src/utils/long.js') as LongClass;
const { Produce: API_KEY } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };
const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number } };

export interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
}

export interface ProducePartition {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

export interface ProduceTopic {
  topic: string;
  partitions: ProducePartition[];
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: ProduceTopic[];
}

export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<KafkajsEncoder>;
}

export type ProduceRequestFactory = (args: ProduceArgs) => ProduceRequest;

/** Set on `produceRequest` so that a second copy of this module still finds kafkajs's original. */
const ORIGINAL: unique symbol = Symbol.for('callhouse.kafkajs.produce-v3.original');
type Marked = ProduceRequestFactory & { [ORIGINAL]?: ProduceRequestFactory };

const loaded = require(PRODUCE_V3_MODULE) as Marked;
/** kafkajs's own version-3 Produce request, whatever the module cache holds now. */
export const kafkajsProduceRequest: ProduceRequestFactory = loaded[ORIGINAL] ?? loaded;

/** The version-3 Produce request with kafkajs's signature and kafkajs's bytes. */
export const produceRequest: Marked = (args) => {
  const { acks, compression = Types.None } = args;
  if (compression !== Types.None) return kafkajsProduceRequest(args);
  return {
    apiKey: API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async () => encodeProduce(args) ?? kafkajsProduceRequest(args).encode(),
  };
};
produceRequest[ORIGINAL] = kafkajsProduceRequest;

// CRC-32C (Castagnoli), as Kafka checks record batches, eight bytes per step.
const CRC = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = CRC[n]!;
  for (let k = 1; k < 8; k++) {
    c = CRC[c & 0xff]! ^ (c >>> 8);
    CRC[k * 256 + n] = c;
  }
}

/** CRC-32C of `buf[start..end)`, unsigned. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  for (const end8 = start + ((end - start) & ~7); i < end8; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      CRC[1792 + (a & 0xff)]! ^
      CRC[1536 + ((a >>> 8) & 0xff)]! ^
      CRC[1280 + ((a >>> 16) & 0xff)]! ^
      CRC[1024 + (a >>> 24)]! ^
      CRC[768 + buf[i + 4]!]! ^
      CRC[512 + buf[i + 5]!]! ^
      CRC[256 + buf[i + 6]!]! ^
      CRC[buf[i + 7]!]!;
  }
  for (; i < end; i++) crc = CRC[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** kafkajs's zig-zag varint arithmetic, 32-bit as kafkajs does it. */
function sizeOfVarInt(value: number): number {
  let v = (value << 1) ^ (value >> 31);
  let size = 1;
  while ((v & 0xffffff80) !== 0) {
    size++;
    v >>>= 7;
  }
  return size;
}

function writeVarInt(buf: Buffer, offset: number, value: number): number {
  let v = (value << 1) ^ (value >> 31);
  while ((v & 0xffffff80) !== 0) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v & 0x7f;
  return offset;
}

/** Deltas this small are exact as doubles once zig-zagged; larger ones go through kafkajs's Long. */
const FAST_DELTA = 2 ** 51;

function sizeOfVarLong(zigzag: number): number {
  let size = 1;
  while (zigzag >= 128) {
    size++;
    zigzag = Math.floor(zigzag / 128);
  }
  return size;
}

function writeVarLong(buf: Buffer, offset: number, zigzag: number): number {
  while (zigzag >= 128) {
    buf[offset++] = (zigzag % 128) | 0x80;
    zigzag = Math.floor(zigzag / 128);
  }
  buf[offset++] = zigzag;
  return offset;
}

/** A field's bytes: text as UTF-8 (short ASCII by hand, which is cheaper than a call into C++). */
function writeRaw(buf: Buffer, offset: number, data: string | Buffer, length: number): number {
  if (typeof data !== 'string') buf.set(data, offset);
  else if (length === data.length && length <= 64) {
    for (let i = 0; i < length; i++) buf[offset + i] = data.charCodeAt(i);
  } else buf.write(data, offset, length);
  return offset + length;
}

/** An int64 field as kafkajs reads it: number, numeric string, bigint or Long. */
const int64 = (value: unknown): bigint => BigInt.asIntN(64, Long.fromValue(value).value);

/** The order of a plain `.sort()`: as text, by UTF-16 code units. */
function sortsBefore(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number' && a >= 1e12 && a < 1e13 && b >= 1e12 && b < 1e13) {
    if (Number.isInteger(a) && Number.isInteger(b)) return a < b; // same number of digits
  }
  return String(a) < String(b);
}

const isBytes = (v: unknown): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v);
const isPlainObject = (v: unknown): v is object => {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const isField = (v: unknown): v is string | Buffer | null | undefined => v === undefined || v === null || isBytes(v);
const isTimestamp = (v: unknown) => typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint';

/** The request as kafkajs writes it, or undefined when kafkajs's own encoder should write it. */
function encodeProduce(args: ProduceArgs): KafkajsEncoder | undefined {
  const { acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0 } = args;
  const topicData: unknown = args.topicData;
  if (transactionalId !== null && typeof transactionalId !== 'string') return undefined;
  if (!Array.isArray(topicData)) return undefined;

  // First pass, before the clock is read: check every shape, and size what the clock does not move.
  const parts: (string | Buffer | null)[] = []; // per record: key, value, then header key and value pairs
  const lengths: number[] = []; // their byte lengths, -1 for null
  const headerCounts: number[] = [];
  const fixedSizes: number[] = []; // a record's body without its timestamp delta
  const firsts: unknown[] = []; // per partition: smallest and largest timestamp, if any
  const lasts: unknown[] = [];
  const topicLengths: number[] = [];
  /** Queues a key, value or header value to be written; its size with its length prefix. */
  const queue = (field: string | Buffer | null | undefined): number => {
    if (field === undefined || field === null) {
      parts.push(null);
      lengths.push(-1);
      return 1;
    }
    const length = typeof field === 'string' ? Buffer.byteLength(field) : field.length;
    parts.push(field);
    lengths.push(length);
    return sizeOfVarInt(length) + length;
  };
  for (const topic of topicData as unknown[]) {
    if (!isPlainObject(topic)) return undefined;
    const { topic: name, partitions } = topic as ProduceTopic;
    if (typeof name !== 'string' || !Array.isArray(partitions)) return undefined;
    topicLengths.push(Buffer.byteLength(name));
    for (const partition of partitions as unknown[]) {
      if (!isPlainObject(partition)) return undefined;
      const messages: unknown = (partition as ProducePartition).messages;
      if (!Array.isArray(messages)) return undefined;
      let first: unknown = undefined;
      let last: unknown = undefined;
      for (let i = 0; i < messages.length; i++) {
        const message: unknown = messages[i];
        if (!isPlainObject(message)) return undefined;
        const { key, value, headers = {}, timestamp } = message as ProduceMessage;
        if (timestamp !== undefined && timestamp !== null) {
          if (!isTimestamp(timestamp)) return undefined;
          if (first === undefined) first = last = timestamp;
          else {
            if (sortsBefore(timestamp, first)) first = timestamp;
            if (!sortsBefore(timestamp, last)) last = timestamp;
          }
        }
        let body = 1 + sizeOfVarInt(i); // attributes, offset delta
        if (!isField(key) || !isField(value) || headers === null) return undefined;
        body += queue(key) + queue(value);
        let count = 0;
        const record = headers as Record<string, unknown>;
        for (const headerKey of Object.keys(record)) {
          const headerValue = record[headerKey];
          const keyLength = Buffer.byteLength(headerKey);
          const keySize = sizeOfVarInt(keyLength) + keyLength;
          if (!Array.isArray(headerValue)) {
            if (!isBytes(headerValue)) return undefined; // kafkajs cannot size a null one
            parts.push(headerKey);
            lengths.push(keyLength);
            body += keySize + queue(headerValue);
            count++;
            continue;
          }
          for (const v of headerValue as unknown[]) {
            if (!isBytes(v)) return undefined;
            parts.push(headerKey);
            lengths.push(keyLength);
            body += keySize + queue(v);
            count++;
          }
        }
        headerCounts.push(count);
        fixedSizes.push(body + sizeOfVarInt(count));
      }
      firsts.push(first);
      lasts.push(last);
    }
  }

  // Second pass: one clock reading per partition, as kafkajs takes it, and the timestamp deltas.
  // The int64 fields are read here, in kafkajs's order, so that a bad one fails as it did.
  const int64s: bigint[] = []; // per partition: first and max timestamp, producer id
  const deltas = new Float64Array(fixedSizes.length); // zig-zagged; NaN where `bigDeltas` holds it
  const bigDeltas = new Map<number, Buffer>();
  const batchBodySizes: number[] = [];
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  let r = 0;
  let p = 0;
  for (const [t, { partitions }] of (topicData as ProduceTopic[]).entries()) {
    size += 2 + topicLengths[t]! + 4;
    for (const { messages } of partitions) {
      const now = Date.now();
      const first = firsts[p] === undefined ? now : firsts[p];
      const last = lasts[p++] === undefined ? now : lasts[p - 1];
      let records = 0;
      for (const message of messages) {
        const delta = ((message.timestamp || now) as number) - (first as number);
        let deltaSize: number;
        if (typeof delta === 'number' && Number.isInteger(delta) && Math.abs(delta) < FAST_DELTA) {
          const zigzag = delta < 0 ? -2 * delta - 1 : 2 * delta;
          deltas[r] = zigzag;
          deltaSize = sizeOfVarLong(zigzag);
        } else {
          const bytes = new Encoder(8).writeVarLong(delta).buffer;
          deltas[r] = NaN;
          bigDeltas.set(r, bytes);
          deltaSize = bytes.length;
        }
        const body = fixedSizes[r]! + deltaSize;
        fixedSizes[r++] = body;
        records += sizeOfVarInt(body) + body;
      }
      int64s.push(int64(first), int64(last), int64(producerId));
      batchBodySizes.push(40 + records);
      size += 8 + 21 + 40 + records;
    }
  }

  // Third pass: write it all.
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  if (transactionalId === null) o = buf.writeInt16BE(-1, o);
  else {
    const length = Buffer.byteLength(transactionalId);
    o = writeRaw(buf, buf.writeInt16BE(length, o), transactionalId, length);
  }
  o = buf.writeInt16BE(acks, o);
  o = buf.writeInt32BE(timeout, o);
  o = buf.writeInt32BE(topicData.length, o);
  const attributes = transactionalId ? 16 : 0;
  let part = 0;
  r = 0;
  p = 0;
  for (const [t, { topic, partitions }] of (topicData as ProduceTopic[]).entries()) {
    o = writeRaw(buf, buf.writeInt16BE(topicLengths[t]!, o), topic, topicLengths[t]!);
    o = buf.writeInt32BE(partitions.length, o);
    for (const { partition, firstSequence = 0, messages } of partitions) {
      const body = batchBodySizes[p]!;
      o = buf.writeInt32BE(partition, o);
      o = buf.writeInt32BE(21 + body, o); // the record batch: first offset and length, then the batch
      o = buf.writeBigInt64BE(0n, o);
      o = buf.writeInt32BE(9 + body, o); // partition leader epoch, magic and CRC, then the body
      o = buf.writeInt32BE(0, o);
      o = buf.writeInt8(2, o);
      const crcAt = o;
      o += 4;
      const bodyAt = o;
      o = buf.writeInt16BE(attributes, o);
      o = buf.writeInt32BE(messages.length - 1, o);
      o = buf.writeBigInt64BE(int64s[3 * p]!, o);
      o = buf.writeBigInt64BE(int64s[3 * p + 1]!, o);
      o = buf.writeBigInt64BE(int64s[3 * p + 2]!, o);
      o = buf.writeInt16BE(producerEpoch, o);
      o = buf.writeInt32BE(firstSequence, o);
      o = buf.writeInt32BE(messages.length, o);
      for (let i = 0; i < messages.length; i++, r++) {
        o = writeVarInt(buf, o, fixedSizes[r]!);
        buf[o++] = 0;
        const zigzag = deltas[r]!;
        if (zigzag === zigzag) o = writeVarLong(buf, o, zigzag);
        else o = writeRaw(buf, o, bigDeltas.get(r)!, bigDeltas.get(r)!.length);
        o = writeVarInt(buf, o, i);
        for (let f = 0; f < 2; f++, part++) {
          const length = lengths[part]!;
          o = writeVarInt(buf, o, length);
          if (length >= 0) o = writeRaw(buf, o, parts[part]!, length);
        }
        const count = headerCounts[r]!;
        o = writeVarInt(buf, o, count);
        for (let h = 0; h < 2 * count; h++, part++) {
          const length = lengths[part]!;
          o = writeRaw(buf, writeVarInt(buf, o, length), parts[part]!, length);
        }
      }
      buf.writeUInt32BE(crc32c(buf, bodyAt, o), crcAt);
      p++;
    }
  }
  if (o !== size) throw new Error(`Produce request sized ${size} bytes but written ${o}`);
  const encoder = new Encoder(1);
  encoder.buf = buf;
  encoder.offset = size;
  return encoder;
}
