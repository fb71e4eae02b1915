import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kafkajs } from './kafka-client.js';
import {
  crc32c,
  kafkajsProduceRequest,
  PRODUCE_V3_MODULE,
  produceRequest,
  type KafkajsEncoder,
  type ProduceArgs,
  type ProduceRequestFactory,
} from './kafka-produce.js';

const require = createRequire(import.meta.url);
const Long = require('kafkajs/src/utils/long.js') as { fromInt(n: number): unknown; fromValue(v: unknown): unknown };
const theirCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

/**
 * kafkajs's version-3 Produce request compiled afresh from its file, so the comparison does not
 * depend on what the module cache holds (the cache's copy is replaced by ours).
 */
function freshKafkajsProduceRequest(): ProduceRequestFactory {
  const path = require.resolve(PRODUCE_V3_MODULE);
  const module = { exports: {} as unknown };
  const body = readFileSync(path, 'utf8');
  new Function('require', 'module', 'exports', body)(createRequire(path), module, module.exports);
  return module.exports as ProduceRequestFactory;
}
const theirs = freshKafkajsProduceRequest();

const NOW = 1_700_000_000_000;
let clockReads = 0;

beforeEach(() => {
  // Each reading moves the clock a second, so a different number or order of readings shows.
  vi.spyOn(Date, 'now').mockImplementation(() => NOW + 1000 * clockReads++);
});
afterEach(() => {
  vi.restoreAllMocks();
});

type Outcome = { bytes: string } | { error: string };

async function outcome(factory: ProduceRequestFactory, args: ProduceArgs): Promise<Outcome> {
  clockReads = 0;
  try {
    const encoder: KafkajsEncoder = await factory(args).encode();
    return { bytes: encoder.buf.subarray(0, encoder.offset).toString('hex') };
  } catch (e) {
    return { error: String(e) };
  }
}

async function expectSameAsKafkajs(args: ProduceArgs): Promise<Outcome> {
  const ours = await outcome(produceRequest, args);
  expect(ours).toEqual(await outcome(theirs, args));
  return ours;
}

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 10 }), // lone surrogates too
  fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 300 }),
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300, size: 'max' }).map((a) => Buffer.from(a)),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a).subarray(1)), // a view at an offset
);
const headerValue = fc.oneof(text, bytes);
const headers = fc.oneof(
  fc.constant({}),
  fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('0', '1', '10', 'callhouse-id'),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
    { maxKeys: 6 },
  ),
);
const integerIn = (min: bigint, max: bigint) => fc.bigInt({ min, max }).map(Number);
const timestampNumber = fc.oneof(
  integerIn(10n ** 12n, 10n ** 13n - 1n), // milliseconds since 1970, 2001 to 2286: thirteen digits
  fc.integer({ min: -100_000, max: 100_000 }).map((d) => NOW + d),
  fc.integer({ min: 0, max: 99_999 }), // fewer digits: sorts as text differently than as numbers
  fc.integer({ min: -99_999, max: -1 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 1e20, -1e20, 2 ** 63, -(2 ** 63), 2 ** 64 + 2 ** 20), // 64-bit varlongs, and beyond
);
const timestamp = fc.oneof(
  timestampNumber,
  timestampNumber.map(String),
  fc.constantFrom(null, '0x1f', ' 42 ', '-5', '007', '0'),
);
const message = fc.record(
  {
    key: fc.oneof(fc.constantFrom(null, undefined), text, bytes),
    value: fc.oneof(fc.constant(null), text, bytes),
    headers,
    timestamp,
  },
  { requiredKeys: ['value'] },
);

const producerId = fc.oneof(
  fc.constant(undefined),
  fc.constant(Long.fromInt(-1)),
  fc.constant(-1), // what kafkajs's idempotence manager holds before it has an id
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map((n) => Long.fromValue(n)),
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String), // as the InitProducerId response gives it
);

const request = (messages: fc.Arbitrary<unknown[]>, topics = 3, partitions = 4) =>
  fc.record(
    {
      acks: fc.constantFrom(-1, 0, 1),
      timeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      transactionalId: fc.oneof(fc.constant(null), fc.constant(''), text),
      producerId,
      producerEpoch: fc.integer({ min: 0, max: 32_767 }),
      topicData: fc.array(
        fc.record({
          topic: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 8 })),
          partitions: fc.array(
            fc.record(
              { partition: fc.integer({ min: 0, max: 1000 }), firstSequence: fc.nat(), messages },
              { requiredKeys: ['partition', 'messages'] },
            ),
            { minLength: 1, maxLength: partitions },
          ),
        }),
        { minLength: 1, maxLength: topics },
      ),
    },
    { requiredKeys: ['acks', 'timeout', 'topicData'] },
  ) as fc.Arbitrary<ProduceArgs>;

describe('crc32c', () => {
  it('gives the check value of CRC-32C, and kafkajs’s checksum for any bytes and range (property)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat(), (a, x, y) => {
        const b = Buffer.from(a);
        const [start, end] = [x % (b.length + 1), y % (b.length + 1)].sort((p, q) => p - q) as [number, number];
        expect(crc32c(b, start, end)).toBe(theirCrc32c(b.subarray(start, end)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('produceRequest', () => {
  it('writes the bytes kafkajs writes, for any request (property)', async () => {
    await fc.assert(
      fc.asyncProperty(request(fc.array(message, { minLength: 1, maxLength: 12 })), async (args) => {
        expect(await expectSameAsKafkajs(args)).toHaveProperty('bytes');
      }),
      { numRuns: 400 },
    );
  });

  it('writes the bytes kafkajs writes for large batches and large values (property)', async () => {
    const big = fc.record(
      {
        key: fc.oneof(fc.constant(null), text),
        value: fc.oneof(
          fc.uint8Array({ maxLength: 20_000, size: 'max' }).map((a) => Buffer.from(a)),
          text,
        ),
        headers,
        timestamp,
      },
      { requiredKeys: ['value'] },
    );
    await fc.assert(
      fc.asyncProperty(request(fc.array(big, { minLength: 60, maxLength: 300, size: 'max' }), 1, 2), async (args) => {
        expect(await expectSameAsKafkajs(args)).toHaveProperty('bytes');
      }),
      { numRuns: 15, endOnFailure: true }, // shrinking 20 kB values takes minutes
    );
  });

  it('writes the bytes kafkajs writes for a partition without messages', async () => {
    const args = {
      acks: -1,
      timeout: 30_000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [] }] }],
    };
    expect(await expectSameAsKafkajs(args)).toHaveProperty('bytes');
  });

  it('orders timestamps as kafkajs’s plain sort does: as text', async () => {
    const messages = [
      { value: 'a', timestamp: 999 },
      { value: 'b', timestamp: 1000 }, // '1000' sorts before '999': the batch's first timestamp
      { value: 'c', timestamp: '1000' },
      { value: 'd' }, // the clock, minus 1000
    ];
    const zero = [
      { value: 'e', timestamp: 0 }, // the first timestamp, but its own delta is the clock's
      { value: 'f', timestamp: 5 },
    ];
    const partitions = [
      { partition: 3, messages },
      { partition: 4, messages: zero },
    ];
    const ours = await expectSameAsKafkajs({ acks: 1, timeout: 1000, topicData: [{ topic: 't', partitions }] });
    const buf = Buffer.from('bytes' in ours ? ours.bytes : '', 'hex');
    // Transactional id, acks, timeout, 1 topic 't', 1 partition, its batch's size, first offset,
    // length, leader epoch, magic, CRC, attributes, last offset delta: 54 bytes to the first timestamp.
    expect(buf.readBigInt64BE(54)).toBe(1000n);
    expect(buf.readBigInt64BE(62)).toBe(999n); // the largest: '999' is last as text
  });

  it('takes one clock reading per partition, in kafkajs’s order', async () => {
    const partitions = [0, 1, 2].map((partition) => ({ partition, messages: [{ value: 'v' }, { value: 'w' }] }));
    const args = {
      acks: -1,
      timeout: 30_000,
      topicData: [
        { topic: 't', partitions },
        { topic: 'u', partitions },
      ],
    };
    await expectSameAsKafkajs(args);
    expect(clockReads).toBe(6);
  });

  it('fails, or writes odd bytes, exactly as kafkajs does for shapes this service never sends', async () => {
    const send = (message: object, extra: Partial<ProduceArgs> = {}) =>
      expectSameAsKafkajs({
        acks: -1,
        timeout: 30_000,
        ...extra,
        topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [message as never] }] }],
      });
    expect(await send({ value: 'v', headers: { h: null } })).toHaveProperty('error'); // kafkajs rejects it
    expect(await send({ value: 'v', headers: { h: undefined } })).toHaveProperty('error');
    expect(await send({ value: 'v', headers: null })).toHaveProperty('error');
    expect(await send({ key: 42, value: 'v' })).toHaveProperty('error');
    expect(await send({ value: 'v', timestamp: '' })).toHaveProperty('error');
    expect(await send({ value: 'v', timestamp: '1.5' })).toHaveProperty('error');
    expect(await send({ value: 'v', timestamp: NOW + 0.5 })).toHaveProperty('error');
    expect(await send({ value: 'v', timestamp: Infinity })).toHaveProperty('error');
    expect(await send({ value: 'v' }, { producerId: null })).toHaveProperty('error');
    expect(await send({ value: 'v' }, { producerEpoch: 40_000 })).toHaveProperty('error');
    expect(await send({ value: 'v', timestamp: NaN })).toHaveProperty('bytes');
    expect(await send({ value: 'v', timestamp: 10n ** 12n })).toHaveProperty('bytes');
    expect(await send({ value: 'v', timestamp: 2n ** 70n })).toHaveProperty('bytes');
    expect(await send({ value: new Uint8Array([1, 2, 3]), headers: { h: new Uint16Array([7]) } })).toHaveProperty(
      'bytes',
    );
    expect(await send({ value: 'v', headers: 'ab' })).toHaveProperty('bytes');
    // A key kafkajs's object spread does not copy: an inherited one.
    expect(await send(Object.assign(Object.create({ key: 'k' }) as object, { value: 'v' }))).toHaveProperty('bytes');
  });

  it('leaves compressed requests to kafkajs, with the same bytes', async () => {
    const messages = [{ key: 'k', value: 'v'.repeat(500), headers: { h: 'x' } }];
    const args = {
      acks: -1,
      timeout: 30_000,
      compression: kafkajs.CompressionTypes.GZIP,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
    };
    expect(await expectSameAsKafkajs(args)).toHaveProperty('bytes');
    expect(kafkajsProduceRequest).not.toBe(produceRequest);
  });
});

describe('the loaded kafkajs', () => {
  type Lookup = (
    apiKey: number,
    definitions: unknown,
  ) => (args: ProduceArgs) => { request: ReturnType<ProduceRequestFactory> };
  /** How kafkajs's broker picks its Produce request: the highest version both sides know. */
  const { requests, lookup } = require('kafkajs/src/protocol/requests/index.js') as {
    requests: { Produce: unknown };
    lookup: (versions: Record<number, { minVersion: number; maxVersion: number }>) => Lookup;
  };
  const { Produce } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };

  it('encodes Produce versions 3 to 7 with produceRequest', async () => {
    expect(kafkajs.Kafka).toBeTypeOf('function');
    expect(require(PRODUCE_V3_MODULE)).toBe(produceRequest);
    // About 1,000 bytes, not a power of two: kafkajs's encoder leaves its buffer's tail unused, ours
    // is exactly the request, so the buffer's length tells whose encoder wrote it.
    const args = {
      acks: -1,
      timeout: 30_000,
      producerId: '7',
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v'.repeat(900) }] }] }],
    };
    clockReads = 0;
    const original = await theirs(args).encode();
    expect(original.buf.length).not.toBe(original.offset);
    for (const version of [3, 4, 5, 6, 7]) {
      const { request } = lookup({ [Produce]: { minVersion: 0, maxVersion: version } })(Produce, requests.Produce)(
        args,
      );
      expect(request.apiVersion).toBe(version);
      clockReads = 0;
      const encoder = await request.encode();
      expect(encoder.buf.length, `version ${version}`).toBe(encoder.offset);
      expect(encoder.buffer.equals(original.buffer), `version ${version}`).toBe(true);
    }
  });
});
