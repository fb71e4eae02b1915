/**
 * The ceiling of the ingest server: the same Fastify app and handler (token check, report split,
 * encoding, metrics) with a bus that acknowledges at once, under the same load as the webhook stage.
 */
import { buildIngestServer } from '../runtime/http.js';
import { topicNames, type Bus } from '../runtime/kafka.js';
import { TopicLimits } from '../runtime/kafka-limits.js';
import { Metrics } from '../runtime/metrics.js';
import { StatusBoard } from '../runtime/status.js';
import type { BenchBody } from './bodies.js';
import type { BenchEnv } from './env.js';
import { runLoad, YEASTAR_PATH } from './load.js';
import type { LoadResult } from './loadgen.js';

export async function httpCeiling(
  env: BenchEnv,
  bodies: BenchBody[],
  opts: { connections: number; seconds: number },
): Promise<LoadResult> {
  const config = env.config('ceiling');
  const status = new StatusBoard();
  for (const c of config.connectors) status.register(c.id, c.type, c.tenant, 'push', true);
  let produced = 0;
  const bus = {
    limits: new TopicLimits(),
    produce: async (_topic: string, messages: unknown[]) => {
      produced += messages.length;
    },
  } as unknown as Bus;
  const app = buildIngestServer({
    bus,
    topics: topicNames(config.env.topicPrefix),
    connectors: config.connectors,
    logger: env.logger,
    metrics: new Metrics(),
    status,
    trustedProxies: [],
    rateLimitPerSource: config.ingest.rate_limit_per_source,
    ready: async () => ({ kafka: true, warehouse: true }),
  });
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  let result: Awaited<ReturnType<typeof runLoad>>;
  try {
    await runLoad(env.dir, { url, path: YEASTAR_PATH, bodies, connections: opts.connections, duration: 2 }); // warm-up
    result = await runLoad(env.dir, {
      url,
      path: YEASTAR_PATH,
      bodies,
      connections: opts.connections,
      duration: opts.seconds,
    });
  } finally {
    await app.close();
  }
  if (produced === 0) throw new Error('the ingest server accepted nothing');
  return result;
}
