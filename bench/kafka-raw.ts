/**
 * The broker's own limits with the same client (Bus) and the same messages as ingest: raw
 * Yeastar S bodies with the receipt headers. Produce: batches of `batch` in `inFlight` parallel
 * sends, acks=all. Consume: a consumer group whose handler does nothing.
 */
import { encodeRaw } from '../runtime/codec.js';
import { Bus, type OutMessage } from '../runtime/kafka.js';
import type { BenchBody } from './bodies.js';
import { timeConsumers } from './counting.js';
import { settle, waitFor, type BenchEnv } from './env.js';

export interface KafkaRawResult {
  produce_per_s: number;
  consume_per_s: number;
  messages: number;
}

export async function kafkaRaw(
  env: BenchEnv,
  bodies: BenchBody[],
  opts: { messages: number; seconds: number; batch?: number; inFlight?: number },
): Promise<KafkaRawResult> {
  const config = env.config('kafkaraw');
  const ys = config.connectors[0]!;
  const topic = `${config.env.topicPrefix}raw`;
  const bus = new Bus({ brokers: env.brokers, clientId: 'bench-raw', logger: env.logger });
  try {
    await bus.ensureTopics([{ name: topic, partitions: config.kafka.partitions }]);
    await settle();
    const messages: OutMessage[] = bodies.map((b) =>
      encodeRaw({ key: '', body: Buffer.from(b.body), content_type: 'application/json', meta: {} }, ys),
    );
    const batch = opts.batch ?? 200;
    const inFlight = opts.inFlight ?? 8;
    let sent = 0;
    let next = 0;
    const deadline = performance.now() + opts.seconds * 1000;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (sent < opts.messages && performance.now() < deadline) {
        const part: OutMessage[] = [];
        for (let i = 0; i < batch; i++) part.push(messages[next++ % messages.length]!);
        sent += part.length;
        await bus.produce(topic, part);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const produceS = (performance.now() - t0) / 1000;

    const clock = timeConsumers(bus);
    const consumer = await bus.consume({ groupId: 'bench-raw', topics: [topic], handle: async () => undefined });
    await waitFor(() => clock.messages >= sent, opts.seconds * 1000 + 30_000);
    await consumer.stop();
    return { produce_per_s: Math.round(sent / produceS), consume_per_s: clock.rate(), messages: sent };
  } finally {
    await bus.close();
  }
}
