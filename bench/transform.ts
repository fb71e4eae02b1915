/**
 * Transform: `records` Yeastar S reports put on a fresh raw topic (as ingest writes them), then
 * the transform role over them, from its first batch to its last commit (decode, normalise,
 * produce the canonical records acks=all, commit).
 */
import { encodeRaw } from '../runtime/codec.js';
import { Bus, topicNames, type OutMessage } from '../runtime/kafka.js';
import { Metrics } from '../runtime/metrics.js';
import { startTransform } from '../runtime/roles/transform.js';
import { topicSpecs } from '../runtime/service.js';
import type { BenchBody } from './bodies.js';
import { timeConsumers } from './counting.js';
import { settle, waitFor, type BenchEnv } from './env.js';

export interface TransformResult {
  records: number;
  records_per_s: number;
  outputs: number;
}

export async function transform(
  env: BenchEnv,
  bodies: BenchBody[],
  opts: { records: number; seconds: number },
): Promise<TransformResult> {
  const config = env.config('transform');
  const topics = topicNames(config.env.topicPrefix);
  const ys = config.connectors[0]!;
  const bus = new Bus({ brokers: env.brokers, clientId: 'bench-transform', logger: env.logger });
  const metrics = new Metrics({ defaults: false });
  try {
    await bus.ensureTopics(topicSpecs(config, topics));
    await settle();
    const raw = bodies.map((b) =>
      encodeRaw({ key: '', body: Buffer.from(b.body), content_type: 'application/json', meta: {} }, ys),
    );
    for (let i = 0; i < opts.records; i += 1000) {
      const part: OutMessage[] = [];
      for (let k = i; k < Math.min(opts.records, i + 1000); k++) part.push(raw[k % raw.length]!);
      await bus.produce(topics.raw('yeastar-s'), part);
    }
    const clock = timeConsumers(bus);
    const handle = await startTransform({
      bus,
      topics,
      connectors: config.connectors,
      logger: env.logger,
      metrics,
      groupId: 'bench-transform',
    });
    await waitFor(() => clock.messages >= opts.records, opts.seconds * 1000);
    await handle.stop();
    const outputs = (await metrics.transformed.get()).values.reduce((a, v) => a + v.value, 0);
    return { records: clock.messages, records_per_s: clock.rate(), outputs };
  } finally {
    await bus.close();
  }
}
