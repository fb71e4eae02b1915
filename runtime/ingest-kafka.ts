/**
 * The ingest role's side of Kafka: the start-up check of each connector's `max_body_bytes`
 * against what the broker takes, and the drain of the spool with its poison path.
 */
import { maxHeaderSize } from 'node:http';
import type { Logger } from 'pino';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import { connectorSpec } from '../connectors/registry.js';
import { encodeDeadLetter, HEADERS } from './codec.js';
import { deadLetter } from './dead-letters.js';
import { CallhouseError } from './errors.js';
import { BATCH_OVERHEAD_BYTES } from './kafka-limits.js';
import type { Bus, TopicNames } from './kafka.js';
import type { Metrics } from './metrics.js';
import type { Spool, SpoolRecord } from './spool.js';
import type { StatusBoard } from './status.js';

/**
 * What a raw message adds to the body it carries, at most: its headers (the request's content
 * type, which the HTTP parser bounds at `maxHeaderSize`, and a few short ones), the record's own
 * framing and the batch's.
 */
export const RAW_ENVELOPE_BYTES = maxHeaderSize + 2048 + BATCH_OVERHEAD_BYTES;

export interface LimitCheck {
  /** The body limit the ingest edge applies per connector. */
  bodyLimit(config: BaseConnectorConfig): number;
  /** One line per connector whose max_body_bytes Kafka cannot take, saying what to change. */
  warnings: string[];
}

/**
 * Reads the broker's and the topics' limits and checks every push connector's max_body_bytes,
 * with its envelope, against the raw topic it writes. A connector that allows more than Kafka
 * takes gets a warning naming both settings, and the edge answers 413 above what Kafka takes
 * (never a 200 for a report that can never be delivered).
 */
export async function checkKafkaLimits(
  bus: Bus,
  topics: TopicNames,
  connectors: BaseConnectorConfig[],
): Promise<LimitCheck> {
  const push = connectors.filter((c) => c.enabled && connectorSpec(c.type)?.ingest);
  const raw = [...new Set(push.map((c) => topics.raw(c.type)))];
  const warnings: string[] = [];
  let broker: number | undefined;
  let limits: Record<string, number>;
  try {
    ({ broker, topics: limits } = await bus.describeLimits([...raw, topics.deadLetters]));
  } catch (e) {
    // Without DescribeConfigs rights the broker's own answers decide (413 for what it refuses).
    warnings.push(`could not read Kafka's message size limits (${(e as Error).message}): max_body_bytes not checked`);
    return { bodyLimit: (c) => c.max_body_bytes, warnings };
  }
  const caps = new Map<string, number>();
  for (const c of push) {
    const topic = topics.raw(c.type);
    const topicMax = limits[topic] ?? bus.limits.of(topic);
    const fits = topicMax - RAW_ENVELOPE_BYTES;
    if (c.max_body_bytes <= fits) continue;
    caps.set(c.id, Math.max(0, fits));
    warnings.push(
      `connector ${c.id}: max_body_bytes ${c.max_body_bytes} plus up to ${RAW_ENVELOPE_BYTES} bytes of headers is more ` +
        `than Kafka takes on ${topic} (max.message.bytes ${topicMax}; broker message.max.bytes ${broker ?? 'unknown'}); ` +
        `bodies over ${Math.max(0, fits)} bytes are answered 413. Raise max.message.bytes of ${topic} (or the broker's ` +
        `message.max.bytes) to at least ${c.max_body_bytes + RAW_ENVELOPE_BYTES}, or lower max_body_bytes to ${Math.max(0, fits)}`,
    );
  }
  return { bodyLimit: (c) => Math.min(c.max_body_bytes, caps.get(c.id) ?? Infinity), warnings };
}

/** A spooled record that Kafka refused for good, as a dead letter pointing back at its topic. */
function letterOf(r: SpoolRecord, error: CallhouseError) {
  const h = r.headers ?? {};
  return encodeDeadLetter(
    deadLetter({
      stage: 'ingest',
      error,
      connectorId: h[HEADERS.connector] ?? '',
      source: h[HEADERS.type] ?? '',
      payload: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value),
      originTopic: r.topic,
      originKey: r.key ?? null,
      originHeaders: h,
    }),
  );
}

/** Drains the spool into Kafka, setting poison frames aside (dead letters, else a file). */
export function spoolDrainer(deps: {
  spool: Spool;
  bus: Bus;
  topics: TopicNames;
  metrics: Metrics;
  status: StatusBoard;
  logger: Logger;
}): () => Promise<void> {
  const { spool, bus, topics, metrics, status, logger } = deps;
  return async () => {
    metrics.spoolBytes.set(spool.bytes());
    if (spool.isEmpty()) return;
    const r = await spool.drain((topic, messages) => bus.produce(topic, messages), {
      deadLetter: async (records, error) => {
        // A dead letter refused in turn would only grow if wrapped again: it goes to a file.
        if (records.some((x) => x.topic === topics.deadLetters))
          throw new CallhouseError('KAFKA_REJECTED', 'a dead letter itself was refused');
        await bus.produce(
          topics.deadLetters,
          records.map((x) => letterOf(x, error)),
        );
      },
      onSetAside: (s) => {
        metrics.spoolSetAside.inc({ to: s.to });
        for (const id of new Set(s.records.map((x) => x.headers?.[HEADERS.connector] ?? ''))) {
          if (!id) continue;
          const where = s.to === 'file' ? `kept in ${s.file}` : 'sent to dead letters';
          status.failure(
            id,
            s.error.code,
            `a spooled report was refused by Kafka and ${where}: ${s.error.message}`,
            false,
          );
          if (s.to === 'dead-letters') metrics.deadLettered.inc({ connector: id, stage: 'ingest' });
        }
      },
    });
    logger.info({ records: r.records, set_aside: r.setAside }, 'ingest spool drained into Kafka');
    metrics.spoolBytes.set(spool.bytes());
  };
}
