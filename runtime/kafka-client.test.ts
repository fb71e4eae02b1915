import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createPartitioner, GROUPING_MODULE, groupPerPartition, kafkajs, murmur2 } from './kafka-client.js';

const require = createRequire(import.meta.url);
/** kafkajs's own murmur2 (64-bit emulation) and default partitioner, for comparison. */
const theirMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (k: Buffer | string) => number;
const theirPartitioner = kafkajs.Partitioners.DefaultPartitioner;

const metadata = (n: number, leaderless: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({
    partitionId: i,
    leader: leaderless.includes(i) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('murmur2', () => {
  it("gives Java's Utils.murmur2 for Kafka's own test vectors", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it("equals kafkajs's for any bytes and any text (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(murmur2(b)).toBe(theirMurmur2(b));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (key) => {
        expect(murmur2(Buffer.from(key))).toBe(theirMurmur2(key));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('createPartitioner', () => {
  it('puts every keyed message where kafkajs (and Java) would (property)', () => {
    const ours = createPartitioner();
    const theirs = theirPartitioner();
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const args = { topic: 't', partitionMetadata: metadata(n), message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
        const asBuffer = { ...args, message: { key: Buffer.from(key), value: 'v' } };
        expect(ours(asBuffer)).toBe(theirs(asBuffer));
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps a message's own partition, and spreads unkeyed messages over partitions with a leader", () => {
    const p = createPartitioner();
    expect(p({ topic: 't', partitionMetadata: metadata(3), message: { key: 'k', partition: 2 } })).toBe(2);
    const seen = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const part = p({ topic: 't', partitionMetadata: metadata(4, [1]), message: { key: null } });
      seen.set(part, (seen.get(part) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([0, 2, 3]);
    for (const count of seen.values()) expect(count).toBe(100);
  });
});

describe('groupPerPartition', () => {
  it('gives the lists kafkajs gives, in the same order (property)', () => {
    const original = (args: Parameters<typeof groupPerPartition<{ key: string }>>[0]) =>
      args.messages.reduce<Record<number, { key: string }[]>>((result, message) => {
        const partition = args.partitioner({ topic: args.topic, partitionMetadata: args.partitionMetadata, message });
        return Object.assign(result, { [partition]: [...(result[partition] ?? []), message] });
      }, {});
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 300 }),
        fc.integer({ min: 0, max: 8 }),
        (keys, n) => {
          const partitionMetadata = metadata(n);
          const messages = keys.map((key) => ({ key }));
          const partitioner = ({ message }: { message: { key: string } }) =>
            (murmur2(Buffer.from(message.key)) & 0x7fffffff) % n;
          const args = { topic: 't', partitionMetadata, messages, partitioner };
          expect(groupPerPartition(args)).toEqual(n === 0 ? {} : original(args));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is the grouping the loaded kafkajs producer uses', () => {
    expect(require(GROUPING_MODULE)).toBe(groupPerPartition);
  });
});
