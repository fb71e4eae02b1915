/**
 * kafkajs as the Bus uses it, with three per-message hot spots of its producer and one of its
 * consumer replaced (2.2.4 is the client's last release, so they are mended here rather than
 * upstream):
 *
 * - Keyed messages choose their partition by murmur2 of the key, as Java's default partitioner
 *   does. kafkajs computes it in emulated 64-bit arithmetic (an object per step, about 6 µs for a
 *   short key); `murmur2` below computes the same 32-bit result with Math.imul. It is handed to
 *   kafkajs through its public `createPartitioner` option.
 * - kafkajs groups a send's messages per partition by copying the partition's list for every
 *   message, which is quadratic in the size of a send (2,000 messages over 3 partitions: about
 *   650,000 copies). `groupPerPartition` does it in one pass. kafkajs has no option for it, so
 *   its module is replaced in Node's module cache before kafkajs is first loaded, which only this
 *   module does.
 * - kafkajs encodes a Produce request through an Encoder per record and per header (each a
 *   zero-filled 512-byte buffer), copied into the record batch, then the partition, then the
 *   topic. `produceRequest` (kafka-produce.ts) writes the same bytes in one pass into one buffer.
 *   Its module is replaced in the same way, before Produce versions 4 to 7 load: they keep
 *   version 3's function when they load, not the module.
 * - kafkajs decodes each fetched record by parsing its batch's first offset and first timestamp
 *   from text into a BigInt-backed Long and printing the sums back, and builds its headers object
 *   with an object spread per header: about 53 ms for 20,000 records with six headers each.
 *   `decodeRecord` (kafka-fetch.ts) parses them once per batch, adds in Number arithmetic while
 *   that is exact and builds the headers in one object, with kafkajs's output, in about 13 ms.
 *   Its module is replaced before the record batch decoder loads, which keeps the function it
 *   finds then.
 *
 * One addition to its consumer: `beforeGroupChange` lets the Bus finish a member's pipelined
 * batches before the member rejoins a rebalancing group or leaves it.
 */
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { decodeRecord, RECORD_BATCH_DECODER_MODULE, RECORD_DECODER_MODULE } from './kafka-fetch.js';
import { PRODUCE_V3_MODULE, produceRequest } from './kafka-produce.js';

const require = createRequire(import.meta.url);

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Kafka's murmur2 of bytes, as a signed 32-bit integer (Java's `Utils.murmur2`). */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** What the partitioner reads of a partition's metadata. */
interface PartitionInfo {
  partitionId: number;
  leader: number;
}

interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionInfo[];
  message: { key?: Buffer | string | null; partition?: number };
}

/**
 * The default partitioning of Java and kafkajs: a message's own partition if it names one; a
 * keyed message by murmur2 of its key; others round-robin over the partitions that have a leader.
 */
export function createPartitioner(): (args: PartitionerArgs) => number {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const count = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) {
      const key = typeof message.key === 'string' ? Buffer.from(message.key) : message.key;
      return (murmur2(key) & 0x7fffffff) % count;
    }
    const next = ((counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    return available.length > 0 ? available[next % available.length]!.partitionId : next % count;
  };
}

/** kafkajs's groupMessagesPerPartition in one pass: the same lists, in the same order. */
export function groupPerPartition<T>(args: {
  topic: string;
  partitionMetadata: PartitionInfo[];
  messages: T[];
  partitioner: (a: { topic: string; partitionMetadata: unknown; message: T }) => number;
}): Record<number, T[]> {
  const { topic, partitionMetadata, messages, partitioner } = args;
  const out: Record<number, T[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (out[partition] ??= []).push(message);
  }
  return out;
}

export const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';

/** The Produce versions that take version 3's function when they load (6 and 7 through 5). */
const PRODUCE_V3_USERS = [4, 5].map((v) => `kafkajs/src/protocol/requests/produce/v${v}/request.js`);

function replaceExports(module: string, exports: unknown): void {
  const path = require.resolve(module);
  require(path);
  const cached = require.cache[path];
  if (cached) cached.exports = exports;
}

function loadKafkajs(): typeof KafkaJs {
  if (!require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')]) {
    replaceExports(GROUPING_MODULE, groupPerPartition);
  }
  if (!PRODUCE_V3_USERS.some((m) => require.cache[require.resolve(m)])) {
    replaceExports(PRODUCE_V3_MODULE, produceRequest);
  }
  if (!require.cache[require.resolve(RECORD_BATCH_DECODER_MODULE)]) {
    replaceExports(RECORD_DECODER_MODULE, decodeRecord);
  }
  return require('kafkajs') as typeof KafkaJs;
}

export const kafkajs = loadKafkajs();

/**
 * Runs `fn(groupId, memberId)` to completion before a consumer of this process (re)joins its
 * group or leaves it. kafkajs rejoins a rebalancing group from its fetch loop, which no longer
 * waits for a pipelined batch (see Bus.consume); without this, the partition's next owner could
 * start while this member's last insert was still running.
 */
export function beforeGroupChange(fn: GroupWait): void {
  const proto = (require('kafkajs/src/consumer/consumerGroup.js') as { prototype: GroupPrototype }).prototype;
  if (proto[WAITS]) {
    proto[WAITS].push(fn);
    return;
  }
  const waits = [fn];
  proto[WAITS] = waits;
  for (const name of ['joinAndSync', 'leave'] as const) {
    const original = proto[name];
    proto[name] = async function (this: { groupId: string; memberId: string | null }, ...args: unknown[]) {
      for (const wait of waits) await wait(this.groupId, this.memberId);
      return original.apply(this, args);
    };
  }
}

type GroupWait = (groupId: string, memberId: string | null) => Promise<void>;

const WAITS = Symbol('callhouse.beforeGroupChange');

interface GroupPrototype {
  joinAndSync(...args: unknown[]): Promise<unknown>;
  leave(...args: unknown[]): Promise<unknown>;
  [WAITS]?: GroupWait[];
}
