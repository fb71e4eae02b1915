/**
 * The one module that uses the Kafka client (kafkajs, loaded by kafka-client.ts), so the client
 * can be swapped. Producers are idempotent and wait for all in-sync replicas; consumers never
 * auto-commit: callers commit a batch's offsets only once its output is durable.
 */
import type { Admin, Consumer, Kafka, KafkaMessage, Producer, ITopicConfig, LogEntry, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { CallhouseError } from './errors.js';
import { beforeGroupChange, createPartitioner, kafkajs } from './kafka-client.js';
import {
  BATCH_OVERHEAD_BYTES,
  isPermanentKafkaError,
  isTooLarge,
  kafkaErrorType,
  rejected,
  TopicLimits,
} from './kafka-limits.js';

const { logLevel } = kafkajs;

export interface OutMessage {
  key?: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
}

export interface InMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: string;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: InMessage[];
  firstOffset: string;
  lastOffset: string;
  /** Keeps the group membership alive during long work (warehouse retries). */
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /**
   * Settles once this partition's previous batch is handled and committed; rejects if it failed
   * (this batch must then write nothing: both are delivered again). Already settled unless the
   * consumer is pipelined.
   */
  previous: Promise<void>;
  /**
   * Aborted when this member must give the partition up before the batch is done (a rebalance
   * that cannot wait longer, see `handoverMs`): the handler stops retrying and throws, so nothing
   * is committed and the partition's next owner handles the batch again. Never aborted unless
   * the consumer is pipelined.
   */
  signal: AbortSignal;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Replicas of each partition; by default three, or as many brokers as the cluster has if fewer. */
  replicationFactor?: number;
  /** Replicas that must have a write before it is acknowledged; by default two of three, else one. */
  minInsyncReplicas?: number;
  config?: Record<string, string>;
}

/** Replication of a new topic: what is configured, else what the cluster's size allows. */
export function replicationFor(
  spec: Pick<TopicSpec, 'replicationFactor' | 'minInsyncReplicas'>,
  brokers: number,
): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = spec.replicationFactor ?? Math.max(1, Math.min(3, brokers));
  const minInsyncReplicas = spec.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : 1);
  if (minInsyncReplicas > replicationFactor)
    throw new CallhouseError(
      'CONFIG_INVALID',
      `kafka.min_insync_replicas (${minInsyncReplicas}) is more than kafka.replication_factor (${replicationFactor}): no write could be acknowledged`,
    );
  return { replicationFactor, minInsyncReplicas };
}

export interface ConsumerHandle {
  stop(): Promise<void>;
  /** Messages behind the end of each subscribed topic (summed over partitions). */
  lag(): Promise<Record<string, number>>;
}

export interface BusOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Sends of produce() in flight at once; calls made meanwhile are coalesced into the next send. */
  maxInFlightSends?: number;
  /** While a send is in flight, how long the next one waits for more calls to join it (default 1 ms). */
  lingerMs?: number;
  /** How long a rebalancing group waits for a member to rejoin before it drops the member (default 60 s). */
  rebalanceTimeoutMs?: number;
  /**
   * How long a member's pipelined batches may delay its rejoining a rebalancing group (or leaving
   * it) before they are aborted and left to the partitions' next owners. Below the rebalance
   * timeout (default: half of it), so that the member rejoins in time and never writes a
   * partition that another member has been given.
   */
  handoverMs?: number;
}

/** A produce() call waiting for the send that carries its messages. */
interface PendingProduce {
  topic: string;
  messages: OutMessage[];
  resolve(): void;
  reject(e: unknown): void;
}

/** One coalesced send stays under the broker's default message.max.bytes (1 MiB) per partition; larger sends are split by TopicLimits. */
const COALESCE_MAX_BYTES = 512 * 1024;
const COALESCE_MAX_MESSAGES = 2000;

export class Bus {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private producerConnecting: Promise<Producer> | undefined;
  private adminClient: Admin | undefined;
  private readonly consumers = new Set<Consumer>();
  private pending: PendingProduce[] = [];
  private pendingBytes = 0;
  private pendingMessages = 0;
  private flushScheduled = false;
  private sendsInFlight = 0;
  /** The largest batch each topic takes (read by `describeLimits`; Kafka's default until then). */
  readonly limits = new TopicLimits();

  constructor(private readonly opts: BusOptions) {
    const log = opts.logger;
    this.kafka = new kafkajs.Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: 5000,
      requestTimeout: 30000,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        if (!log) return;
        const { message, ...rest } = entry.log;
        // The client logs every transient broker answer (a coordinator still loading, a leader
        // moving) as an error and retries it; callhouse reports the failures that remain itself.
        const level =
          entry.level === logLevel.ERROR && !/coordinator|leader|rebalanc/i.test(message) ? 'warn' : 'debug';
        log[level]({ kafka: entry.namespace, ...rest }, `kafka: ${message}`);
      },
    });
  }

  get brokers(): string[] {
    return this.opts.brokers;
  }

  private async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const a = this.kafka.admin();
      await a.connect();
      this.adminClient = a;
    }
    return this.adminClient;
  }

  /**
   * Creates the topics that do not exist yet, replicated as `replicationFor` says (the brokers
   * counted are those registered now: on a cluster with a broker down, configure
   * `kafka.replication_factor` rather than rely on the count).
   */
  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const absent = specs.filter((s) => !existing.has(s.name));
    if (absent.length === 0) return;
    const brokers = (await admin.describeCluster()).brokers.length;
    const missing: ITopicConfig[] = absent.map((s) => {
      const { replicationFactor, minInsyncReplicas } = replicationFor(s, brokers);
      const config = { 'min.insync.replicas': String(minInsyncReplicas), ...s.config };
      return {
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
      };
    });
    this.opts.logger?.info(
      { topics: missing.map((t) => t.topic), replicationFactor: missing[0]!.replicationFactor, brokers },
      'creating Kafka topics',
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: true });
        await this.waitForPartitions(missing.map((t) => t.topic));
        return;
      } catch (e) {
        // Another process may have created them at the same moment; a busy broker may answer
        // before the new partitions have leaders. Both settle within moments.
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
        const after = new Set(await admin.listTopics());
        if (missing.every((t) => after.has(t.topic))) return;
        if (attempt >= 4) throw toKafkaError(e);
      }
    }
  }

  /**
   * Waits until new topics answer offset requests on every partition: a first produce to a
   * partition whose leader is not yet known makes the idempotent producer skip a sequence number.
   */
  private async waitForPartitions(topics: string[]): Promise<void> {
    const admin = await this.admin();
    const deadline = Date.now() + 15_000;
    for (const topic of topics) {
      for (;;) {
        try {
          const offsets = await admin.fetchTopicOffsets(topic);
          if (offsets.length > 0) break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * Reads the broker's `message.max.bytes` and each topic's `max.message.bytes` (which is the
   * broker's unless the topic overrides it), and keeps them for splitting and checking sends.
   */
  async describeLimits(topics: string[]): Promise<{ broker: number | undefined; topics: Record<string, number> }> {
    const admin = await this.admin();
    const { ConfigResourceTypes } = kafkajs;
    const existing = new Set(await admin.listTopics());
    topics = topics.filter((t) => existing.has(t));
    const cluster = await admin.describeCluster();
    const resources = [
      ...cluster.brokers.slice(0, 1).map((b) => ({
        type: ConfigResourceTypes.BROKER,
        name: String(b.nodeId),
        configNames: ['message.max.bytes'],
      })),
      ...topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    ];
    const r = await admin.describeConfigs({ resources, includeSynonyms: false });
    const out: Record<string, number> = {};
    let broker: number | undefined;
    for (const res of r.resources) {
      const entry = res.configEntries.find(
        (c) => c.configName === 'message.max.bytes' || c.configName === 'max.message.bytes',
      );
      const v = Number(entry?.configValue);
      if (!Number.isFinite(v) || v <= 0) continue;
      if (res.resourceType === ConfigResourceTypes.BROKER) broker = v;
      else out[res.resourceName] = v;
    }
    this.limits.brokerMaxMessageBytes = broker;
    for (const [topic, v] of Object.entries(out)) this.limits.set(topic, v);
    return { broker, topics: out };
  }

  /**
   * Ends and low marks of a topic's partitions. kafkajs's admin keeps the partition leaders it
   * knew for up to five minutes and does not look again when a leader has moved (it fails with
   * "not the leader"), so a failure drops the admin client and asks once more with a new one.
   */
  private async topicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]> {
    try {
      return await (await this.admin()).fetchTopicOffsets(topic);
    } catch {
      const stale = this.adminClient;
      this.adminClient = undefined;
      await stale?.disconnect().catch(() => undefined);
      try {
        return await (await this.admin()).fetchTopicOffsets(topic);
      } catch (e) {
        throw toKafkaError(e);
      }
    }
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.producerConnecting ??= (async () => {
      const p = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        allowAutoTopicCreation: false,
        createPartitioner,
      });
      await p.connect();
      this.producer = p;
      return p;
    })();
    try {
      return await this.producerConnecting;
    } catch (e) {
      this.producerConnecting = undefined;
      throw toKafkaError(e);
    }
  }

  /**
   * Sends and waits until every in-sync replica has the messages. Concurrent calls are coalesced:
   * those made in the same event-loop turn (or while earlier sends are in flight, and `lingerMs`
   * after) go out in one request, and each call resolves only when the request carrying its own
   * messages is acknowledged (or rejects with it), so a caller's "durable" still means its
   * messages are durable.
   */
  async produce(topic: string, messages: OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    let bytes = 0;
    // Only a value near the topic's limit can make a record too large (headers are small).
    const near = this.limits.of(topic) - BATCH_OVERHEAD_BYTES - 64 * 1024;
    for (const m of messages) {
      const n = typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
      if (n > near) this.limits.assertFits(topic, [m]);
      bytes += n + 64;
    }
    if (bytes >= COALESCE_MAX_BYTES || messages.length >= COALESCE_MAX_MESSAGES)
      return this.sendNow([{ topic, messages }]);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic, messages, resolve, reject });
      this.pendingBytes += bytes;
      this.pendingMessages += messages.length;
      if (this.pendingBytes >= COALESCE_MAX_BYTES || this.pendingMessages >= COALESCE_MAX_MESSAGES) this.flush();
      else this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.sendsInFlight >= (this.opts.maxInFlightSends ?? 4)) return;
    this.flushScheduled = true;
    const flush = (): void => {
      this.flushScheduled = false;
      if (this.pending.length > 0 && this.sendsInFlight < (this.opts.maxInFlightSends ?? 4)) this.flush();
    };
    // An idle producer sends at once; one with a send in flight lingers a moment, so that more
    // calls share the next request (fewer, larger requests cost the broker less per message).
    const linger = this.opts.lingerMs ?? 1;
    if (linger > 0 && this.sendsInFlight > 0) setTimeout(flush, linger);
    else setImmediate(flush);
  }

  private flush(): void {
    const waiting = this.pending;
    if (waiting.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingMessages = 0;
    const byTopic = new Map<string, OutMessage[]>();
    for (const w of waiting) {
      const list = byTopic.get(w.topic);
      if (list) list.push(...w.messages);
      else byTopic.set(w.topic, [...w.messages]);
    }
    this.sendsInFlight += 1;
    this.sendNow([...byTopic].map(([topic, messages]) => ({ topic, messages }))).then(
      () => {
        this.sendsInFlight -= 1;
        for (const w of waiting) w.resolve();
        if (this.pending.length > 0) this.scheduleFlush();
      },
      (e: unknown) => {
        this.sendsInFlight -= 1;
        for (const w of waiting) w.reject(e);
        if (this.pending.length > 0) this.scheduleFlush();
      },
    );
  }

  /**
   * Sends in order, split by each topic's limit. A send that fails may still have been written
   * (the broker took it, then the connection closed or the leader moved before the answer came),
   * and kafkajs then hands its sequence numbers to the next send: had that send the same count of
   * records for the partition, the broker would take it for a duplicate of the written one,
   * acknowledge it and drop it. So after any failed send the producer is replaced (a new producer
   * id, sequences from 0). The failed send is reported, so its callers retry it or answer 503;
   * nothing acknowledged is lost.
   */
  private async sendNow(batches: { topic: string; messages: OutMessage[] }[], learnt = false): Promise<void> {
    const p = await this.getProducer();
    let sent = 0;
    try {
      // In order, one send after the other, so that a topic's records keep their order.
      const parts = this.limits.split(batches);
      for (; sent < parts.length; sent++) await p.sendBatch({ acks: -1, topicMessages: topicMessages(parts[sent]!) });
    } catch (e) {
      await this.resetProducer(p);
      // Refused as too large before this process knew the topic's limit: learn it, send again split.
      if (
        !learnt &&
        sent === 0 &&
        isTooLarge(toKafkaError(e)) &&
        batches.some((b) => b.messages.length > 1 && this.limits.known(b.topic) === undefined)
      ) {
        const described = await this.describeLimits(batches.map((b) => b.topic)).catch(() => undefined);
        if (described) return this.sendNow(batches, true);
      }
      throw toKafkaError(e);
    }
  }

  /** Replaces `p` by a new producer on the next send (unless another failure replaced it already). */
  private async resetProducer(p: Producer): Promise<void> {
    if (this.producer !== p) return;
    this.producer = undefined;
    this.producerConnecting = undefined;
    await p.disconnect().catch(() => undefined);
  }

  /** Sends to several topics in one request. */
  async produceMany(batches: { topic: string; messages: OutMessage[] }[]): Promise<void> {
    const nonEmpty = batches.filter((b) => b.messages.length > 0);
    if (nonEmpty.length === 0) return;
    for (const b of nonEmpty) this.limits.assertFits(b.topic, b.messages);
    return this.sendNow(nonEmpty);
  }

  /**
   * Consumes `topics` as a member of `groupId`. `handle` gets one partition's batch at a time;
   * its offsets are committed only when it resolves. A throw makes the client re-deliver the batch.
   *
   * `pipelined`: the next fetch starts while a batch is still being handled, so fetching and
   * decoding overlap the handler's slow part (a warehouse insert). At most one batch per partition
   * is then still being handled; `batch.previous` tells the next one when it is done. Its offsets
   * are committed when it resolves; if it throws, the partition is read again from that batch.
   * The group never rebalances and the consumer never leaves while a batch is unsettled (see
   * kafka-client.ts), so a partition is never handled by two members at once.
   */
  async consume(opts: {
    groupId: string;
    topics: string[];
    fromBeginning?: boolean;
    maxWaitMs?: number;
    minBytes?: number;
    maxBytesPerPartition?: number;
    partitionsConsumedConcurrently?: number;
    pipelined?: boolean;
    handle(batch: Batch): Promise<void>;
  }): Promise<ConsumerHandle> {
    const handover = handoverOf(this.opts, this.opts.logger);
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 30000,
      rebalanceTimeout: handover.rebalanceTimeoutMs,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: opts.maxWaitMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumers.add(consumer);
    handovers.set(opts.groupId, handover);
    /** Per topic|partition: the batch still being handled (pipelined). */
    const inflight = new Map<string, Promise<void>>();
    /** Per topic|partition: the offset it was sought back to after a batch failed. */
    const rewindTo = new Map<string, bigint>();
    /** This member's key in `unsettled`: its id changes only when it joins anew. */
    let member = `${opts.groupId}|`;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      member = `${opts.groupId}|${e.payload.memberId}`;
      rewindTo.clear();
    });
    await consumer.connect();
    for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        const key = `${batch.topic}|${batch.partition}`;
        const first = batch.firstOffset() ?? batch.messages[0]!.offset;
        const last = batch.lastOffset();
        const rewind = rewindTo.get(key);
        if (rewind !== undefined) {
          // Batches fetched before a failed one was sought back to are skipped; its redelivery clears the mark.
          if (BigInt(first) > rewind) return;
          rewindTo.delete(key);
        }
        const previous = inflight.get(key) ?? SETTLED;
        const abort = new AbortController();
        const handled = opts.handle({
          topic: batch.topic,
          partition: batch.partition,
          messages: toInMessages(batch.topic, batch.partition, batch.messages),
          firstOffset: first,
          lastOffset: last,
          heartbeat,
          isRunning: () => isRunning() && !isStale() && !abort.signal.aborted,
          previous,
          signal: abort.signal,
        });
        const next = (BigInt(last) + 1n).toString();
        if (!opts.pipelined) {
          await handled;
          resolveOffset(last);
          await commitOffsetsIfNecessary({
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
          });
          return;
        }
        const settled = handled.then(
          () => commitAfter(consumer, batch.topic, batch.partition, next, this.opts.logger),
          (e: unknown) => {
            // Read the partition again from the earliest batch that failed (a later one fails with it).
            const from = BigInt(first);
            const earlier = rewindTo.get(key);
            if (earlier === undefined || from < earlier) {
              rewindTo.set(key, from);
              consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first });
            }
            throw e;
          },
        );
        track(member, settled, abort);
        inflight.set(key, settled);
        const forget = (): void => void (inflight.get(key) === settled && inflight.delete(key));
        settled.then(forget, forget);
        resolveOffset(last);
        // One batch per partition still being handled when this returns: the one just handed over.
        await previous.catch(() => undefined);
        // Stopping (or the partition moved): the client leaves or rejoins once this returns, so
        // the member's batches are settled first, within the hand-over bound.
        if (!isRunning() || isStale()) await settleMember(opts.groupId, member.slice(opts.groupId.length + 1) || null);
      },
    });
    const groupId = opts.groupId;
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
        // A batch handed out just before the consumer stopped fetching.
        await Promise.allSettled([...inflight.values()]);
      },
      lag: () => this.lag(groupId, opts.topics),
    };
  }

  /** Messages not yet committed by `groupId`, per topic. */
  async lag(groupId: string, topics: string[]): Promise<Record<string, number>> {
    const admin = await this.admin();
    const out: Record<string, number> = {};
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const t of committed) {
      const ends = await this.topicOffsets(t.topic);
      let lag = 0;
      for (const p of t.partitions) {
        const end = ends.find((e) => e.partition === p.partition);
        if (!end) continue;
        const high = BigInt(end.high);
        const low = BigInt(end.low);
        const done = p.offset === '-1' ? low : BigInt(p.offset);
        lag += Number(high > done ? high - done : 0n);
      }
      out[t.topic] = lag;
    }
    return out;
  }

  /** Reads a whole (compacted) topic from the start to its current end, without a group. */
  async readAll(topic: string): Promise<InMessage[]> {
    const ends = await this.topicOffsets(topic);
    const pending = new Map(
      ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]),
    );
    const out: InMessage[] = [];
    if (pending.size === 0) return out;
    const groupId = `callhouse-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new CallhouseError('KAFKA_UNAVAILABLE', `reading ${topic} timed out`)),
          60_000,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              out.push({
                topic,
                partition,
                offset: message.offset,
                key: message.key ? message.key.toString('utf8') : null,
                value: message.value ?? Buffer.alloc(0),
                headers: {},
                timestamp: message.timestamp,
              });
              const end = pending.get(partition);
              if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await (await this.admin()).deleteGroups([groupId]).catch(() => undefined);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.disconnect().catch(() => undefined);
    this.consumers.clear();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.producerConnecting = undefined;
    await this.adminClient?.disconnect().catch(() => undefined);
    this.adminClient = undefined;
  }
}

const SETTLED = Promise.resolve();

/** Our messages as kafkajs's sendBatch takes them. */
function topicMessages(batches: { topic: string; messages: OutMessage[] }[]): TopicMessages[] {
  return batches.map((b) => ({
    topic: b.topic,
    messages: b.messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers })),
  }));
}
// A member finishes its pipelined batches before it rejoins a rebalancing group or leaves it.
beforeGroupChange(settleMember);

/** kafkajs's messages as the Bus hands them out (headers as text). */
function toInMessages(topic: string, partition: number, messages: KafkaMessage[]): InMessage[] {
  return messages.map((m) => ({
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value ?? Buffer.alloc(0),
    headers: Object.fromEntries(
      Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '')]),
    ),
    timestamp: m.timestamp,
  }));
}

/**
 * Commits a pipelined batch once it is handled. A commit that fails (the group is rebalancing,
 * the coordinator moved) is not an error of the batch: its rows are written, and it is delivered
 * again from the last commit that did succeed, which the warehouse's deduplication absorbs.
 */
async function commitAfter(
  consumer: Consumer,
  topic: string,
  partition: number,
  offset: string,
  logger: Logger | undefined,
): Promise<void> {
  try {
    await consumer.commitOffsets([{ topic, partition, offset }]);
  } catch (e) {
    logger?.debug({ topic, partition }, `offset commit deferred: ${(e as Error).message}`);
  }
}

/** Pipelined batches not settled yet, per group member (`groupId|memberId`), with what aborts each. */
const unsettled = new Map<string, Map<Promise<void>, AbortController>>();

function track(member: string, p: Promise<void>, abort: AbortController): void {
  let set = unsettled.get(member);
  if (!set) unsettled.set(member, (set = new Map()));
  set.set(p, abort);
  const done = (): void => {
    set.delete(p);
    if (set.size === 0 && unsettled.get(member) === set) unsettled.delete(member);
  };
  p.then(done, done);
}

interface Handover {
  rebalanceTimeoutMs: number;
  handoverMs: number;
  /** After aborting, how long to wait for handlers to notice (an insert the engine cannot cancel). */
  graceMs: number;
  logger: Logger | undefined;
}

/** Each group's hand-over bounds in this process. */
const handovers = new Map<string, Handover>();

export function handoverOf(opts: Pick<BusOptions, 'rebalanceTimeoutMs' | 'handoverMs'>, logger?: Logger): Handover {
  const rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 60_000;
  const handoverMs = opts.handoverMs ?? Math.floor(rebalanceTimeoutMs / 2);
  if (!(handoverMs > 0 && handoverMs < rebalanceTimeoutMs)) {
    throw new CallhouseError(
      'CONFIG_INVALID',
      `kafka.handover_ms (${handoverMs}) must be above 0 and below kafka.rebalance_timeout_ms (${rebalanceTimeoutMs})`,
    );
  }
  return {
    rebalanceTimeoutMs,
    handoverMs,
    graceMs: Math.min(10_000, Math.floor((rebalanceTimeoutMs - handoverMs) / 2)),
    logger,
  };
}

function settledWithin(ps: Promise<void>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.allSettled(ps).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Waits until the member has no batch still being handled in this process, for its group's
 * `handoverMs` at most: then its batches are aborted (they commit nothing and are handled again
 * by the partitions' next owners) and the member goes on to rejoin or leave, so that the group
 * never drops it for missing the rebalance timeout while its old batches still write. A member
 * without an id (joining for the first time, or after the coordinator forgot it) waits for
 * every member of its group in this process.
 */
export async function settleMember(groupId: string, memberId: string | null | undefined): Promise<void> {
  const h = handovers.get(groupId) ?? handoverOf({});
  const keys = (): string[] =>
    [...unsettled.keys()].filter((k) => (memberId ? k === `${groupId}|${memberId}` : k.startsWith(`${groupId}|`)));
  const batches = (): Map<Promise<void>, AbortController>[] => keys().map((k) => unsettled.get(k)!);
  const deadline = Date.now() + h.handoverMs;
  for (let sets = batches(); sets.length > 0; sets = batches()) {
    const left = deadline - Date.now();
    if (left > 0) {
      await settledWithin(
        sets.flatMap((m) => [...m.keys()]),
        left,
      );
      continue;
    }
    const open = sets.flatMap((m) => [...m]);
    h.logger?.warn(
      { group: groupId, batches: open.length, handover_ms: h.handoverMs },
      'batches still being handled at a rebalance: aborted, uncommitted, left to the next owner of their partitions',
    );
    for (const [, abort] of open)
      abort.abort(new CallhouseError('KAFKA_UNAVAILABLE', 'the batch was handed over at a rebalance'));
    if (
      !(await settledWithin(
        open.map(([p]) => p),
        h.graceMs,
      ))
    ) {
      h.logger?.error(
        { group: groupId, grace_ms: h.graceMs },
        'aborted batches did not stop in time; rejoining the group anyway',
      );
    }
    return;
  }
}

/**
 * A kafkajs error as ours: KAFKA_REJECTED when the broker refused the records for good, else
 * KAFKA_UNAVAILABLE (retriable), with the broker's error type in `details.kafka` when it answered.
 */
export function toKafkaError(e: unknown): CallhouseError {
  if (e instanceof CallhouseError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const type = kafkaErrorType(e);
  if (isPermanentKafkaError(type)) return rejected(type!, `Kafka refused the records (${type}): ${msg}`, e);
  return new CallhouseError('KAFKA_UNAVAILABLE', `Kafka: ${msg}`, {
    cause: e,
    retriable: true,
    details: type ? { kafka: type } : undefined,
  });
}

/** The topic names of the contract, with the configured prefix. */
export function topicNames(prefix: string) {
  return {
    raw: (type: string) => `${prefix}raw.${type}`,
    calls: `${prefix}calls`,
    callEvents: `${prefix}call-events`,
    reportRows: `${prefix}report-rows`,
    deadLetters: `${prefix}dead-letters`,
    connectorState: `${prefix}connector-state`,
    /** Consumer groups carry the prefix too: two deployments on one cluster never share a group. */
    groups: { transform: `${prefix}transform`, sink: `${prefix}sink` },
  };
}
export type TopicNames = ReturnType<typeof topicNames>;
