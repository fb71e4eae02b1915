/**
 * What every stage shares: a temp data directory, the broker (a local one started here unless
 * KAFKA_BROKERS is set), the embedded warehouse in that directory, and a config builder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { validateConfig, type Config } from '../runtime/config.js';
import { startLocalKafka, type LocalKafka } from '../runtime/kafka-local.js';
import { createLogger } from '../runtime/logging.js';

export const TOKEN = 'bench-token-0123456789';

export interface BenchEnv {
  dir: string;
  brokers: string[];
  logger: Logger;
  /** A validated config on its own topic prefix and database (so stages never share data). */
  config(name: string, extra?: Record<string, unknown>, env?: Record<string, string>): Config;
  close(): Promise<void>;
}

export async function openBenchEnv(log: (line: string) => void): Promise<BenchEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'callhouse-bench-'));
  let local: LocalKafka | undefined;
  let brokers: string[];
  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS.split(',').map((b) => b.trim());
  } else {
    local = await startLocalKafka({ dataDir: dir, ephemeral: true, heapMb: 768, log });
    brokers = local.brokers.split(',');
  }
  const logger = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn');
  const run = Date.now().toString(36);
  return {
    dir,
    brokers,
    logger,
    config: (name, extra = {}, env = {}) =>
      validateConfig(
        {
          connectors: [{ id: 'bench-ys', type: 'yeastar-s', timezone: 'Europe/London', country: 'GB', token: TOKEN }],
          // The load generator is one source address: no per-source limit in the benchmark.
          ingest: { rate_limit_per_source: 10_000_000 },
          ...extra,
        },
        {
          ...process.env,
          KAFKA_BROKERS: brokers.join(','),
          CALLHOUSE_DATA_DIR: dir,
          CLICKHOUSE_DATABASE: `bench_${name}`,
          CALLHOUSE_TOPIC_PREFIX: `bench-${run}-${name}.`,
          CALLHOUSE_HTTP_PORT: '0',
          CALLHOUSE_ADMIN_PORT: '0',
          CLICKHOUSE_URL: '',
          ...env,
        },
      ),
    close: async () => {
      await local?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Milliseconds since `t0`. */
export const since = (t0: number): number => performance.now() - t0;

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(everyMs);
  }
  return false;
}

/**
 * Waits for a new topic's leadership to reach the broker's metadata: an idempotent kafkajs
 * producer that meets NOT_LEADER on its first send retries with an advanced sequence number and
 * then fails with OUT_OF_ORDER_SEQUENCE_NUMBER (see docs/benchmark.md).
 */
export async function settle(): Promise<void> {
  await sleep(2000);
}
