/**
 * What the broker accepts: the size of one record batch (`message.max.bytes` of the broker,
 * `max.message.bytes` of a topic), and which of its refusals are for good. A send is split so that
 * no batch passes a topic's limit; a record that cannot fit on its own, or that the broker refuses
 * as too large, invalid or not authorised, fails as KAFKA_REJECTED (not retriable), so that the
 * ingest answers 4xx or dead-letters it instead of spooling a record that can never be delivered.
 */
import { CallhouseError } from './errors.js';
import type { OutMessage } from './kafka.js';

/** Kafka's own default `message.max.bytes` (1 MiB plus the 12-byte log overhead). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

/**
 * A record batch's bytes besides its records: 12 of log overhead (offset, length) and 49 of batch
 * header, rounded up.
 */
export const BATCH_OVERHEAD_BYTES = 128;

/** Broker answers that no resend can change. */
const PERMANENT = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_REQUIRED_ACKS',
]);

/** UTF-8 length; short ASCII counted by hand (cheaper than a call into C++). */
function utf8(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}

/**
 * An upper bound of a message's bytes inside a record batch: each varint at its longest (length,
 * timestamp and offset deltas, key and value lengths, header count and lengths) plus the fields.
 */
export function recordBytes(m: OutMessage): number {
  let n = 36 + (m.key == null ? 0 : utf8(m.key));
  n += typeof m.value === 'string' ? utf8(m.value) : m.value.length;
  const h = m.headers;
  if (h) for (const k in h) n += 10 + utf8(k) + utf8(h[k]!);
  return n;
}

/** An upper bound of `recordBytes` from lengths alone (a UTF-16 unit is at most 3 UTF-8 bytes). */
function quickBytes(m: OutMessage): number {
  let n = 36 + (m.key == null ? 0 : m.key.length * 3);
  n += typeof m.value === 'string' ? m.value.length * 3 : m.value.length;
  const h = m.headers;
  if (h) for (const k in h) n += 10 + (k.length + h[k]!.length) * 3;
  return n;
}

/** The broker's error type of a kafkajs error, searched through its causes. */
export function kafkaErrorType(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 6; depth++) {
    const c = cur as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown[] };
    if (typeof c.type === 'string') return c.type;
    if (Array.isArray(c.errors)) {
      for (const inner of c.errors) {
        const t = kafkaErrorType(inner);
        if (t) return t;
      }
    }
    cur = c.cause ?? c.originalError;
  }
  return undefined;
}

export function isPermanentKafkaError(type: string | undefined): boolean {
  return type !== undefined && PERMANENT.has(type);
}

export function rejected(type: string, message: string, cause?: unknown): CallhouseError {
  return new CallhouseError('KAFKA_REJECTED', message, { cause, details: { kafka: type } });
}

/** Whether an error is Kafka refusing the record for good because of its size. */
export function isTooLarge(e: unknown): boolean {
  if (!(e instanceof CallhouseError) || e.code !== 'KAFKA_REJECTED') return false;
  const t = e.details?.kafka;
  return t === 'MESSAGE_TOO_LARGE' || t === 'RECORD_LIST_TOO_LARGE';
}

/** Per topic, the largest record batch the broker takes; unknown topics get Kafka's default. */
export class TopicLimits {
  private readonly byTopic = new Map<string, number>();
  brokerMaxMessageBytes: number | undefined;

  set(topic: string, maxMessageBytes: number): void {
    this.byTopic.set(topic, maxMessageBytes);
  }

  /** The topic's limit, when it was read from the broker. */
  known(topic: string): number | undefined {
    return this.byTopic.get(topic);
  }

  of(topic: string): number {
    return this.byTopic.get(topic) ?? this.brokerMaxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /**
   * Throws KAFKA_REJECTED when one message cannot fit in a batch of the topic on its own. Only a
   * limit read from the broker counts; without one the broker's answer decides.
   */
  assertFits(topic: string, messages: OutMessage[]): void {
    const limit = this.byTopic.get(topic) ?? this.brokerMaxMessageBytes;
    if (limit === undefined) return;
    for (const m of messages) {
      if (quickBytes(m) + BATCH_OVERHEAD_BYTES <= limit) continue;
      const bytes = recordBytes(m) + BATCH_OVERHEAD_BYTES;
      if (bytes > limit)
        throw rejected(
          'MESSAGE_TOO_LARGE',
          `a record of up to ${bytes} bytes is larger than max.message.bytes (${limit}) of ${topic}`,
        );
    }
  }

  /**
   * The messages in sends whose batches stay within each topic's limit, in order; one send when
   * they all fit (the usual case, which costs one pass over the sizes).
   */
  split(batches: { topic: string; messages: OutMessage[] }[]): { topic: string; messages: OutMessage[] }[][] {
    // The usual case: everything fits by lengths alone, without measuring a byte.
    if (
      batches.every((b) => {
        const max = this.of(b.topic) - BATCH_OVERHEAD_BYTES;
        let n = 0;
        for (const m of b.messages) if ((n += quickBytes(m)) > max) return false;
        return true;
      })
    )
      return [batches];
    const chunked: { topic: string; messages: OutMessage[] }[][] = [];
    let whole = true;
    const perTopic = batches.map((b) => {
      const max = this.of(b.topic) - BATCH_OVERHEAD_BYTES;
      const chunks: OutMessage[][] = [];
      let cur: OutMessage[] = [];
      let bytes = 0;
      for (const m of b.messages) {
        const n = recordBytes(m);
        if (cur.length > 0 && bytes + n > max) {
          chunks.push(cur);
          cur = [];
          bytes = 0;
        }
        cur.push(m);
        bytes += n;
      }
      if (cur.length > 0) chunks.push(cur);
      if (chunks.length > 1) whole = false;
      return { topic: b.topic, chunks };
    });
    if (whole) return [batches];
    for (const t of perTopic) for (const c of t.chunks) chunked.push([{ topic: t.topic, messages: c }]);
    return chunked;
  }
}
