import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kafkajs } from './kafka-client.js';
import {
  decodeRecord,
  kafkajsDecodeRecord,
  RECORD_BATCH_DECODER_MODULE,
  RECORD_DECODER_MODULE,
  type BatchContext,
  type DecodedRecord,
  type KafkajsDecoder,
  type RecordDecoder,
} from './kafka-fetch.js';
import { crc32c, produceRequest, type ProduceMessage } from './kafka-produce.js';

const require = createRequire(import.meta.url);

type DecoderClass = {
  new (buffer: Buffer): KafkajsDecoder & { readInt8(): number };
  prototype: { readInt8(): number; readVarLong(): unknown };
};
const Decoder = require('kafkajs/src/protocol/decoder.js') as DecoderClass;
const { KafkaJSInvalidLongError } = require('kafkajs/src/errors.js') as { KafkaJSInvalidLongError: unknown };

/**
 * A kafkajs module compiled afresh from its file, with some of its requires answered by the
 * caller, so the comparison does not depend on what the module cache holds (the cache's record
 * decoder is ours).
 */
function fresh<T>(module: string, answers: Record<string, unknown> = {}): T {
  const path = require.resolve(module);
  const base = createRequire(path);
  const module_ = { exports: {} as unknown };
  const load = (id: string) => (id in answers ? answers[id] : base(id));
  new Function('require', 'module', 'exports', readFileSync(path, 'utf8'))(load, module_, module_.exports);
  return module_.exports as T;
}

type BatchDecoder = (decoder: KafkajsDecoder) => Promise<{ records: DecodedRecord[] }>;
type MessagesDecoder = (decoder: KafkajsDecoder) => Promise<DecodedRecord[]>;

const theirRecord = fresh<RecordDecoder>(RECORD_DECODER_MODULE);
const theirBatch = fresh<BatchDecoder>(RECORD_BATCH_DECODER_MODULE, { '../record/v0/decoder': theirRecord });
const theirMessages = fresh<MessagesDecoder>('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js', {
  '../../../recordBatch/v0/decoder': theirBatch,
});
/** What the loaded kafkajs decodes a fetched record batch with. */
const loadedBatch = require(RECORD_BATCH_DECODER_MODULE) as BatchDecoder;
const loadedMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js') as MessagesDecoder;

afterEach(() => {
  vi.restoreAllMocks();
});

// Record bytes written by hand, so that keys repeat in any order, keys are null or not UTF-8,
// and varints take more bytes than they need.

/** Zig-zag varint of a 32-bit value, or of any value as 64 bits, with `padding` needless bytes. */
function varint(value: number | bigint, padding = 0): number[] {
  const n = BigInt(value);
  let zigzag = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  if (typeof value === 'number') zigzag = BigInt.asUintN(32, zigzag);
  const out: number[] = [];
  while (zigzag >= 0x80n) {
    out.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  out.push(Number(zigzag));
  for (let i = 0; i < padding; i++) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
}

const field = (b: Uint8Array | null) => (b === null ? varint(-1) : [...varint(b.length), ...b]);

interface Header {
  key: Uint8Array | null;
  value: Uint8Array | null;
}

interface RecordSpec {
  attributes: number;
  timestampDelta: bigint;
  timestampPadding: number;
  offsetDelta: number;
  offsetPadding: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** null: a header count of -1, which kafkajs reads as none. */
  headers: Header[] | null;
}

/** A record's body, as the batch's length-prefixed record holds it. */
function recordBytes(r: RecordSpec): Buffer {
  const out = [r.attributes & 0xff, ...varint(r.timestampDelta, r.timestampPadding)];
  out.push(...varint(r.offsetDelta, r.offsetPadding), ...field(r.key), ...field(r.value));
  out.push(...varint(r.headers === null ? -1 : r.headers.length));
  for (const h of r.headers ?? []) out.push(...field(h.key), ...field(h.value));
  return Buffer.from(out);
}

type Outcome = { record: DecodedRecord; offset: number } | { error: unknown };

/**
 * How many records decodeRecord decoded itself and how many it handed to kafkajs's decoder, which
 * starts with its Decoder's readInt8: a comparison with kafkajs proves little if every record is
 * handed over.
 */
const tally = { own: 0, handedOver: 0 };

function outcome(decode: RecordDecoder, buffer: Buffer, at: number, context?: BatchContext): Outcome {
  const decoder = new Decoder(buffer);
  decoder.offset = at;
  let handedOver = false;
  decoder.readInt8 = function (this: typeof decoder) {
    handedOver = true;
    return Decoder.prototype.readInt8.call(this);
  };
  try {
    return { record: decode(decoder, context), offset: decoder.offset };
  } catch (error) {
    return { error };
  } finally {
    if (decode === decodeRecord) tally[handedOver ? 'handedOver' : 'own']++;
  }
}

/** Equal values, and equal in what toEqual leaves out: Buffers' classes, key order, prototypes. */
function expectSameValue(ours: unknown, theirs: unknown): void {
  if (Buffer.isBuffer(theirs)) {
    expect(Buffer.isBuffer(ours) && Object.getPrototypeOf(ours) === Object.getPrototypeOf(theirs)).toBe(true);
    expect((ours as Buffer).equals(theirs)).toBe(true);
  } else if (Array.isArray(theirs)) {
    expect(Array.isArray(ours)).toBe(true);
    expect((ours as unknown[]).length).toBe(theirs.length);
    theirs.forEach((v, i) => expectSameValue((ours as unknown[])[i], v));
  } else expect(ours).toBe(theirs); // the Object function and Object.prototype included
}

function expectSameRecord(ours: DecodedRecord, theirs: DecodedRecord): void {
  expect(ours).toEqual(theirs);
  expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  for (const name of ['magicByte', 'attributes', 'timestamp', 'offset', 'isControlRecord'] as const) {
    expect(ours[name], name).toBe(theirs[name]);
  }
  expectSameValue(ours.key, theirs.key);
  expectSameValue(ours.value, theirs.value);
  expect(Object.getPrototypeOf(ours.headers)).toBe(Object.getPrototypeOf(theirs.headers));
  expect(Reflect.ownKeys(ours.headers)).toEqual(Reflect.ownKeys(theirs.headers));
  for (const name of Reflect.ownKeys(theirs.headers)) {
    const [o, t] = [ours.headers, theirs.headers].map((h) => Object.getOwnPropertyDescriptor(h, name)!);
    expect({ ...o, value: undefined }).toEqual({ ...t, value: undefined });
    expectSameValue(o!.value, t!.value);
  }
}

function expectSameOutcome(ours: Outcome, theirs: Outcome): void {
  if ('error' in theirs) {
    expect(ours).toHaveProperty('error');
    const [o, t] = [ours, theirs].map((x) => (x as { error: Error }).error);
    expect(o!.constructor).toBe(t!.constructor);
    expect(String(o)).toBe(String(t));
    return;
  }
  expect(ours).toHaveProperty('record');
  const o = ours as { record: DecodedRecord; offset: number };
  expectSameRecord(o.record, theirs.record);
  expect(o.offset).toBe(theirs.offset);
  expect(o.record.batchContext).toBe(theirs.record.batchContext);
}

/** Decodes the records one after another from one buffer, both ways, with the same context. */
function expectSameAsKafkajs(specs: RecordSpec[], context: BatchContext | undefined, prefix: Uint8Array): void {
  const parts = specs.map(recordBytes);
  const buffer = Buffer.concat([prefix, ...parts, Buffer.from([7, 7])]); // and bytes after them
  let at = prefix.length;
  for (const part of parts) {
    const ours = outcome(decodeRecord, buffer, at, context);
    const theirs = outcome(theirRecord, buffer, at, context);
    if (context === undefined && 'record' in ours && 'record' in theirs) {
      expect(ours.record.batchContext).toEqual(theirs.record.batchContext); // each a new {}
      ours.record.batchContext = theirs.record.batchContext;
    }
    expectSameOutcome(ours, theirs);
    if ('offset' in theirs) expect(theirs.offset).toBe(at + part.length);
    at += part.length;
  }
}

const INT64_MAX = 2n ** 63n - 1n;
const near = (n: bigint, by: bigint) => fc.bigInt({ min: n - by, max: n + by });
/** int64 values where the arithmetic changes: 0, 2^31, 2^48 (seven varlong bytes), 2^53, 2^63. */
const int64 = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  near(2n ** 31n, 1000n),
  near(-(2n ** 31n), 1000n),
  near(2n ** 48n, 1000n),
  near(-(2n ** 48n), 1000n),
  near(2n ** 53n, 3000n),
  near(-(2n ** 53n), 3000n),
  near(1_700_000_000_000n, 10n ** 9n), // milliseconds since 1970, now
  fc.bigInt({ min: INT64_MAX - 3000n, max: INT64_MAX }),
  fc.bigInt({ min: -INT64_MAX - 1n, max: -INT64_MAX + 3000n }),
  fc.bigInt({ min: -INT64_MAX - 1n, max: INT64_MAX }),
);
/** A timestamp delta: mostly what a batch holds, and the ends of what seven varlong bytes hold. */
const delta = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: -3000n, max: 3000n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 48n), max: 2n ** 48n - 1n }) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 48n - 1n, 2n ** 48n, -(2n ** 48n), -(2n ** 48n) - 1n) },
  { weight: 2, arbitrary: int64 },
);
const int32 = fc.oneof(
  fc.integer({ min: 0, max: 20_000 }),
  fc.integer({ min: -1000, max: -1 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(2 ** 31 - 1, -(2 ** 31)),
);
/** Text that kafkajs's Long reads as it wants: as 0, in hex, with spaces; or throws on. */
const oddText = fc.constantFrom(
  '',
  'NaN',
  'Infinity',
  '-Infinity',
  ' 42 ',
  '0x1f',
  '0b11',
  '007',
  '-0',
  '+5',
  '1.5',
  'x',
);
const base = fc.oneof(
  { weight: 12, arbitrary: int64.map(String) },
  { weight: 2, arbitrary: oddText },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 42, 42n) },
);
const context: fc.Arbitrary<BatchContext | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 12,
    arbitrary: fc.record(
      {
        firstOffset: base,
        firstTimestamp: base,
        partitionLeaderEpoch: fc.nat(),
        inTransaction: fc.boolean(),
        isControlBatch: fc.constantFrom(true, false, undefined, null),
        lastOffsetDelta: fc.nat(),
        producerId: int64.map(String),
        timestampType: fc.constantFrom(0, 1, 1, -1, undefined),
        maxTimestamp: fc.oneof(fc.constantFrom('0', '', undefined, '-1'), int64.map(String)),
        magicByte: fc.constantFrom(2, undefined),
      },
      { requiredKeys: ['firstOffset', 'firstTimestamp', 'timestampType', 'maxTimestamp'] },
    ),
  },
);

const utf8 = (s: string) => new Uint8Array(Buffer.from(s));
const bytes = fc.oneof(
  fc.constant(null),
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(utf8),
);
const headerKey = fc
  .oneof(
    fc.constantFrom('', 'a', 'b', 'callhouse-id', 'source', 'null', '__proto__', 'constructor', 'toString', 'valueOf'),
    fc.constantFrom('hasOwnProperty', '0', '1', '10', '01', '-1', '4294967294', '4294967295', '1.5', 'length'),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  )
  .map((s) => utf8(s) as Uint8Array | null);
const header: fc.Arbitrary<Header> = fc.record({
  key: fc.oneof(
    { weight: 12, arbitrary: headerKey },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) }, // not always UTF-8
  ),
  value: bytes,
});
const record: fc.Arbitrary<RecordSpec> = fc.record({
  attributes: fc.integer({ min: -128, max: 127 }),
  timestampDelta: delta,
  timestampPadding: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) }),
  offsetDelta: int32,
  offsetPadding: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) }),
  key: bytes,
  value: bytes,
  headers: fc.oneof(
    { weight: 12, arbitrary: fc.array(header, { maxLength: 10 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});
const prefix = fc.uint8Array({ maxLength: 3 });

const record0: RecordSpec = {
  attributes: 0,
  timestampDelta: 0n,
  timestampPadding: 0,
  offsetDelta: 0,
  offsetPadding: 0,
  key: null,
  value: null,
  headers: [],
};

describe('decodeRecord', () => {
  it('decodes any record as kafkajs does, to the same values and the same read position (property)', () => {
    tally.own = tally.handedOver = 0;
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), context, prefix, expectSameAsKafkajs), {
      numRuns: 1500,
    });
    expect(tally.own).toBeGreaterThan(tally.handedOver); // odd contexts and long varints are handed over
  });

  it('decodes the records of a batch, sharing one context, as kafkajs does (property)', () => {
    tally.own = tally.handedOver = 0;
    const batch = fc.record({
      firstOffset: int64.map(String),
      firstTimestamp: int64.map(String),
      timestampType: fc.constantFrom(0, 1),
      maxTimestamp: fc.oneof(fc.constantFrom('0', ''), int64.map(String)),
      isControlBatch: fc.boolean(),
      magicByte: fc.constant(2),
    });
    // Six headers with the same keys in each record, as one producer writes them.
    const keys = fc.array(headerKey, { minLength: 6, maxLength: 6 });
    fc.assert(
      fc.property(batch, keys, fc.array(fc.tuple(delta, bytes), { minLength: 1, maxLength: 40 }), (ctx, names, rs) => {
        const specs = rs.map(([d, value], i) => ({
          attributes: 0,
          timestampDelta: d,
          timestampPadding: 0,
          offsetDelta: i,
          offsetPadding: 0,
          key: value,
          value,
          headers: names.map((key) => ({ key, value })),
        }));
        expectSameAsKafkajs(specs, ctx, new Uint8Array(0));
      }),
      { numRuns: 300 },
    );
    expect(tally.own).toBeGreaterThan(4 * tally.handedOver);
  });

  it('gives its keys, in their order, and the values kafkajs gives to odd and repeated header keys', () => {
    const v = utf8;
    const headers: Header[] = [
      { key: v('b'), value: v('1') },
      { key: v('__proto__'), value: v('2') },
      { key: v('2'), value: v('3') },
      { key: v('constructor'), value: null },
      { key: null, value: v('4') },
      { key: v('b'), value: v('5') },
      { key: v('__proto__'), value: v('6') },
      { key: v('null'), value: v('7') },
      { key: v('1'), value: v('8') },
      { key: v('b'), value: null },
    ];
    const spec = { ...record0, headers };
    const ctx = { firstOffset: '5', firstTimestamp: '7', timestampType: 0, maxTimestamp: '9' };
    tally.own = tally.handedOver = 0;
    const ours = outcome(decodeRecord, recordBytes(spec), 0, ctx);
    expect(tally).toEqual({ own: 1, handedOver: 0 });
    expectSameOutcome(ours, outcome(theirRecord, recordBytes(spec), 0, ctx));
    const h = (ours as { record: DecodedRecord }).record.headers;
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.keys(h)).toEqual(['1', '2', 'b', '__proto__', 'constructor', 'null']);
    const b = (s: string) => Buffer.from(s);
    expect(h).toEqual({
      1: b('8'),
      2: b('3'),
      b: [b('1'), b('5'), null],
      ['__proto__']: [Object.prototype, b('2'), b('6')],
      constructor: [Object, null],
      null: [b('4'), b('7')],
    });
  });

  it('decodes every cut-short record as kafkajs does, which throws only on an empty one (property)', () => {
    fc.assert(
      fc.property(record, context, (spec, ctx) => {
        const full = recordBytes(spec);
        for (let length = 0; length < full.length; length += length < 64 ? 1 : 5) {
          const cut = full.subarray(0, length);
          expectSameOutcome(outcome(decodeRecord, cut, 0, ctx), outcome(theirRecord, cut, 0, ctx));
        }
      }),
      { numRuns: 150 },
    );
    const ctx = { firstOffset: '0', firstTimestamp: '0' };
    for (const decode of [decodeRecord, theirRecord]) {
      expect(outcome(decode, Buffer.alloc(0), 0, ctx)).toEqual({ error: expect.any(RangeError) });
      expect(outcome(decode, Buffer.alloc(4), 4, ctx)).toEqual({ error: expect.any(RangeError) });
      // Past the end kafkajs's Decoder reads zeros: an empty key, value and headers.
      const r = outcome(decode, Buffer.from([0, 2]), 0, ctx) as { record: DecodedRecord; offset: number };
      expect([r.record.timestamp, r.record.offset, r.record.key, r.record.headers, r.offset]).toEqual([
        '1',
        '0',
        Buffer.alloc(0),
        {},
        6,
      ]);
    }
  });

  it('defines a header as an own property whatever Object.prototype holds under its name, as kafkajs does', () => {
    // Read-only (as with frozen intrinsics), an array kafkajs's concat copies, a setter.
    const inherited = [Buffer.from('p')];
    const set = vi.fn();
    const properties: Record<string, PropertyDescriptor> = {
      callhouseReadOnly: { value: 'r', configurable: true },
      callhouseArray: { value: inherited, configurable: true },
      callhouseSetter: { get: () => undefined, set, configurable: true },
    };
    Object.defineProperties(Object.prototype, properties);
    try {
      const headers = [...Object.keys(properties), 'callhouseArray', 'toString'].map((name) => ({
        key: utf8(name),
        value: utf8('v'),
      }));
      tally.own = tally.handedOver = 0;
      expectSameAsKafkajs([{ ...record0, headers }], { firstOffset: '0', firstTimestamp: '0' }, new Uint8Array(0));
      expect(tally).toEqual({ own: 1, handedOver: 0 });
      expect(inherited).toEqual([Buffer.from('p')]);
      expect(set).not.toHaveBeenCalled();
    } finally {
      for (const name of Object.keys(properties)) delete (Object.prototype as Record<string, unknown>)[name];
    }
  });

  it('sums exactly where doubles stop being exact, at 2^53', () => {
    const edges = [2n ** 53n - 3n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n].flatMap((n) => [n, -n]);
    const specs = [-3, -2, -1, 0, 1, 2, 3, 4].map((d) => ({ ...record0, timestampDelta: BigInt(d), offsetDelta: d }));
    for (const first of edges) {
      for (const second of [first, 1_700_000_000_000n]) {
        const ctx = { firstOffset: String(first), firstTimestamp: String(second), timestampType: 0 };
        expectSameAsKafkajs(specs, ctx, new Uint8Array(0));
      }
    }
  });

  it('reuses a header key’s text only for the same bytes', () => {
    // 'é' in UTF-8 is C3 A9; the single byte E9, its code in Latin-1, is not UTF-8 and reads as U+FFFD.
    const names = [utf8('éa'), new Uint8Array([0xe9, 0x61]), utf8('éa'), utf8('ab'), utf8('ab'), utf8('aé')];
    const specs = names.map((key) => ({ ...record0, headers: [{ key, value: null }] }));
    const ctx = { firstOffset: '0', firstTimestamp: '0' };
    expectSameAsKafkajs(specs, ctx, new Uint8Array(0));
  });

  it('reads records that are not well formed as kafkajs does, failing where it fails', () => {
    const ctx = { firstOffset: '100', firstTimestamp: '1700000000000', timestampType: 0, maxTimestamp: '0' };
    const join = (...parts: number[][]) => Buffer.from(parts.flat());
    const tail = [...field(null), ...field(utf8('v')), ...varint(0)];
    const cases: [string, Buffer, unknown][] = [
      // Back three bytes, to read the value's length as 1 and the header count as -3.
      ['a key length below -1', join([0], varint(1), varint(0), varint(-3), field(utf8('v')), varint(0)), RangeError],
      ['a value length below -1', join([0], varint(1), varint(0), field(null), varint(-2), [1, 2, 3, 0]), 'record'],
      ['a key longer than the record', join([0], varint(1), varint(0), varint(50), [1, 2]), 'record'],
      ['a header count of -2', join([0], varint(1), varint(0), field(null), field(null), varint(-2)), RangeError],
      ['a header count past the end', join([0], varint(1), varint(0), field(null), field(null), varint(40)), 'record'],
      ['a header key length below -1', join([0, 0, 0], field(null), field(null), varint(1), varint(-4), [5]), 'record'],
      ['a header value length below -1', join([0, 0, 0], field(null), field(null), [2, 0], varint(-9)), 'record'],
      ['a six-byte offset delta', join([0], varint(1), [0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], tail), 'record'],
      ['a ten-byte timestamp delta', join([0], varint(-(2n ** 63n)), varint(0), tail), 'record'],
      ['a ten-byte timestamp delta past 64 bits', join([0], Array(9).fill(0xff), [0x7f], varint(0), tail), 'record'],
      [
        'an eleven-byte timestamp delta',
        join([0], Array(10).fill(0x80), [0], varint(0), tail),
        KafkaJSInvalidLongError,
      ],
    ];
    for (const [name, buffer, expected] of cases) {
      const ours = outcome(decodeRecord, buffer, 0, ctx);
      expectSameOutcome(ours, outcome(theirRecord, buffer, 0, ctx));
      if (expected === 'record') expect(ours, name).toHaveProperty('record');
      else expect((ours as { error: unknown }).error, name).toBeInstanceOf(expected);
    }
  });
});

/** A Produce request's one record batch, as a fetch response carries it. */
async function batchOf(messages: ProduceMessage[], compression?: number): Promise<Buffer> {
  const args = {
    acks: -1,
    timeout: 1000,
    compression,
    topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
  };
  const encoder = await produceRequest(args).encode();
  // Transactional id (null), acks, timeout, 1 topic 't', 1 partition, then the batch's size.
  const request = encoder.buf.subarray(0, encoder.offset);
  return Buffer.from(request.subarray(27, 27 + request.readInt32BE(23)));
}

/** Sets what the broker sets in a batch it returns: first offset, and its timestamp type. */
function asFetched(batch: Buffer, firstOffset: bigint, flags: number, maxTimestamp: bigint | undefined): Buffer {
  batch.writeBigInt64BE(firstOffset, 0);
  batch.writeInt16BE(batch.readInt16BE(21) | flags, 21);
  if (maxTimestamp !== undefined) batch.writeBigInt64BE(maxTimestamp, 35);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

const message: fc.Arbitrary<ProduceMessage> = fc.record(
  {
    key: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 })),
    value: fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map(Buffer.from),
    ),
    headers: fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', '1')),
      fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })),
      { maxKeys: 6 },
    ),
    timestamp: fc.oneof(
      fc.constant(undefined),
      near(1_700_000_000_000n, 10n ** 6n).map(String),
      fc.bigInt({ min: 0n, max: 2n ** 50n }).map(String),
    ),
  },
  { requiredKeys: ['value'] },
);
const LOG_APPEND_TIME = 0x08;
const CONTROL = 0x20;
const fetched = fc.record({
  messages: fc.array(message, { minLength: 1, maxLength: 30 }),
  firstOffset: fc.oneof(
    fc.bigInt({ min: 0n, max: 10n ** 7n }),
    int64.filter((n) => n >= 0n),
  ),
  flags: fc.constantFrom(0, 0, LOG_APPEND_TIME, CONTROL),
  maxTimestamp: fc.oneof(fc.constant(undefined), fc.constant(0n), int64),
});

function expectSameBatch(ours: { records: DecodedRecord[] }, theirs: { records: DecodedRecord[] }): void {
  expect(ours.records.length).toBe(theirs.records.length);
  ours.records.forEach((r, i) => expectSameRecord(r, theirs.records[i]!));
  expect({ ...ours, records: [] }).toEqual({ ...theirs, records: [] });
}

describe('the loaded kafkajs', () => {
  it('decodes fetched records with decodeRecord', async () => {
    expect(kafkajs.Kafka).toBeTypeOf('function');
    expect(require(RECORD_DECODER_MODULE)).toBe(decodeRecord);
    expect(kafkajsDecodeRecord).not.toBe(decodeRecord);
    // kafkajs's record decoder reads each timestamp delta with its Decoder's readVarLong; ours
    // reads the bytes itself. The batch decoder keeps the record decoder it found when it loaded.
    const batch = await batchOf([{ value: 'a' }, { value: 'b', headers: { h: 'x' } }, { value: 'c' }]);
    const readVarLong = vi.spyOn(Decoder.prototype, 'readVarLong');
    const theirs = await theirBatch(new Decoder(batch));
    expect(readVarLong).toHaveBeenCalledTimes(3);
    readVarLong.mockClear();
    const ours = await loadedBatch(new Decoder(batch));
    expect(readVarLong).not.toHaveBeenCalled();
    expectSameBatch(ours, theirs);
  });

  it('decodes record batches written by produceRequest as kafkajs does (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fetched, async ({ messages, firstOffset, flags, maxTimestamp }) => {
        const batch = asFetched(await batchOf(messages), firstOffset, flags, maxTimestamp);
        expectSameBatch(await loadedBatch(new Decoder(batch)), await theirBatch(new Decoder(batch)));
      }),
      { numRuns: 150 },
    );
  });

  it('decodes a fetched record set, compressed batches and a cut-short last batch included, as kafkajs does', async () => {
    const { GZIP } = kafkajs.CompressionTypes;
    const samples = fc.sample(fetched, { numRuns: 8, seed: 42 });
    const batches = await Promise.all(
      samples.map(async ({ messages, firstOffset, flags, maxTimestamp }, i) =>
        asFetched(await batchOf(messages, i % 3 === 1 ? GZIP : undefined), firstOffset, flags, maxTimestamp),
      ),
    );
    const set = Buffer.concat(batches);
    for (const cut of [0, 1, 30, Math.floor(batches.at(-1)!.length / 2)]) {
      const bytes = set.subarray(0, set.length - cut);
      const response = Buffer.concat([Buffer.alloc(4), bytes]);
      response.writeInt32BE(bytes.length, 0);
      const ours = await loadedMessages(new Decoder(response));
      const theirs = await theirMessages(new Decoder(response));
      expect(ours.length).toBe(theirs.length);
      expect(ours.length).toBe(
        samples.reduce((n, s) => n + s.messages.length, 0) - (cut ? samples.at(-1)!.messages.length : 0),
      );
      ours.forEach((r, i) => expectSameRecord(r, theirs[i]!));
    }
  });
});
