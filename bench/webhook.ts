/**
 * Webhook ingest: the ingest role alone (its own process event loop, a real broker), loaded by
 * autocannon in another process with Yeastar S report bodies. A 200 means durable in Kafka.
 * Leaves the received reports on its raw topic for the transform stage.
 */
import { startService } from '../runtime/service.js';
import type { BenchBody } from './bodies.js';
import { topicSize } from './counting.js';
import type { BenchEnv } from './env.js';
import { runLoad, YEASTAR_PATH } from './load.js';
import type { LoadResult } from './loadgen.js';

export interface WebhookResult {
  load: LoadResult;
  /** The config name whose raw topic now holds the reports. */
  name: string;
  rawTopic: string;
  rawMessages: number;
}

export async function webhook(
  env: BenchEnv,
  bodies: BenchBody[],
  opts: { connections: number; seconds: number },
): Promise<WebhookResult> {
  const name = 'ingest';
  const config = env.config(name);
  const service = await startService(config, 'ingest', env.logger);
  try {
    const url = service.ingestUrl!;
    await runLoad(env.dir, { url, path: YEASTAR_PATH, bodies, connections: opts.connections, duration: 2 }); // warm-up
    const load = await runLoad(env.dir, {
      url,
      path: YEASTAR_PATH,
      bodies,
      connections: opts.connections,
      duration: opts.seconds,
    });
    const rawTopic = service.topics.raw('yeastar-s');
    return { load, name, rawTopic, rawMessages: await topicSize(service.bus, [rawTopic]) };
  } finally {
    await service.stop();
  }
}
