/**
 * End-to-end freshness: one all-roles service (ingest, transform, sink in this process), a steady
 * load of distinct calls from the load generator, and a watcher that polls `calls` every
 * `pollMs`. Freshness of a call = first poll that sees it − the time its NewCdr was sent.
 */
import { queryRows } from '../runtime/warehouse.js';
import { startService } from '../runtime/service.js';
import { yeastarBodies } from './bodies.js';
import { sleep, type BenchEnv } from './env.js';
import { runLoad, YEASTAR_PATH } from './load.js';
import type { LoadResult } from './loadgen.js';
import type { RssSampler } from './memory.js';

export interface E2eResult {
  load: LoadResult;
  calls_sent: number;
  calls_seen: number;
  p50_s: number;
  p95_s: number;
  max_s: number;
  poll_ms: number;
  rss_mb_peak: number;
  engine_mb: number | null;
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function e2e(
  env: BenchEnv,
  rss: RssSampler,
  opts: { rate: number; seconds: number; pollMs?: number },
): Promise<E2eResult> {
  const pollMs = opts.pollMs ?? 100;
  const config = env.config('e2e', { sink: { batch_ms: 200, batch_rows: 20000 } });
  const service = await startService(config, 'all', env.logger);
  const wh = service.warehouse!;
  const seen = new Map<string, number>();
  let watching = true;
  const watcher = (async () => {
    let since = '1970-01-01 00:00:00.000';
    while (watching) {
      const t = Date.now();
      const rows = await queryRows<{ call_id: string; at: string }>(
        wh,
        `SELECT call_id, toString(ingested_at) AS at FROM ${wh.database}.calls WHERE ingested_at >= '${since}'`,
      ).catch(() => []);
      const now = Date.now();
      for (const r of rows) {
        if (!seen.has(r.call_id)) seen.set(r.call_id, now);
        if (r.at > since) since = r.at;
      }
      // Re-read a margin before the newest row seen: a later insert may carry an older ingested_at.
      since = new Date(Math.max(0, Date.parse(`${since.replace(' ', 'T')}Z`) - 30_000))
        .toISOString()
        .replace('T', ' ')
        .slice(0, 23);
      await sleep(Math.max(0, pollMs - (Date.now() - t)));
    }
  })();
  try {
    const flows = Math.ceil((opts.rate * opts.seconds) / 6) + 100;
    const bodies = yeastarBodies(flows, 4242, 1_719_792_000);
    rss.reset();
    const load = await runLoad(env.dir, {
      url: service.ingestUrl!,
      path: YEASTAR_PATH,
      bodies,
      connections: 16,
      duration: opts.seconds,
      rate: opts.rate,
      unique: true,
    });
    const sent = Object.entries(load.sent_cdr ?? {});
    const end = Date.now() + 30_000;
    while (Date.now() < end && sent.some(([id]) => !seen.has(id))) await sleep(100);
    const fresh = sent
      .filter(([id]) => seen.has(id))
      .map(([id, at]) => (seen.get(id)! - at) / 1000)
      .sort((a, b) => a - b);
    const engine = await queryRows<{ v: string }>(
      wh,
      `SELECT value AS v FROM system.metrics WHERE metric = 'MemoryTracking'`,
    ).catch(() => []);
    delete load.sent_cdr;
    return {
      load,
      calls_sent: sent.length,
      calls_seen: fresh.length,
      p50_s: round(quantile(fresh, 0.5)),
      p95_s: round(quantile(fresh, 0.95)),
      max_s: round(fresh[fresh.length - 1] ?? NaN),
      poll_ms: pollMs,
      rss_mb_peak: rss.peakMb(),
      engine_mb: engine[0] ? Math.round(Number(engine[0].v) / 1048576) : null,
    };
  } finally {
    watching = false;
    await watcher;
    await wh.client.command({ query: `DROP DATABASE IF EXISTS ${wh.database}` }).catch(() => undefined);
    await service.stop();
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
