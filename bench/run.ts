/**
 * `npm run bench`: every stage against a real broker and the embedded warehouse, each limit
 * measured beside the figure it bounds. Progress goes to stderr; the last line of stdout is the
 * contract's JSON object (CONTRACT.md §8). Knobs (env): BENCH_STAGES (comma list, default all),
 * BENCH_SCALE (durations and counts, default 1), BENCH_CONNECTIONS (default 64), BENCH_E2E_RATE
 * (reports/s, default 1000), BENCH_VIEW_ROWS (default 10000000), KAFKA_BROKERS (else a local one).
 */
import { availableParallelism } from 'node:os';
import { backfillStage } from './backfill.js';
import { meanBytes, yeastarBodies } from './bodies.js';
import { e2e } from './e2e.js';
import { openBenchEnv } from './env.js';
import { httpCeiling } from './http-ceiling.js';
import { kafkaRaw } from './kafka-raw.js';
import { RssSampler } from './memory.js';
import { sink } from './sink.js';
import { startup } from './startup.js';
import { transform } from './transform.js';
import { views } from './views.js';
import { warehouseInsert } from './warehouse-insert.js';
import { webhook } from './webhook.js';

const ALL = ['cli', 'ceiling', 'webhook', 'e2e', 'transform', 'kafka', 'insert', 'sink', 'backfill', 'views'];
const stages = new Set((process.env.BENCH_STAGES ?? ALL.join(',')).split(',').map((s) => s.trim()));
const scale = Number(process.env.BENCH_SCALE ?? 1);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const s = (n: number): number => Math.max(1, Math.round(n * scale));

const out: Record<string, unknown> = { cores: availableParallelism() };
const started = performance.now();
const rss = new RssSampler();
// 25 flows (every kind, all three body shapes): autocannon prebuilds each body per connection.
const bodies = yeastarBodies(25, 1);
out.report_bytes_mean = meanBytes(bodies);

async function stage(name: string, fn: () => Promise<void>): Promise<void> {
  if (!stages.has(name)) return;
  const t = performance.now();
  log(`${name}…`);
  try {
    await fn();
  } catch (e) {
    out[`${name}_error`] = (e as Error).message.slice(0, 300);
    log(`${name} failed: ${(e as Error).stack ?? String(e)}`);
  }
  log(`${name} done in ${Math.round((performance.now() - t) / 1000)} s`);
}

const env = await openBenchEnv(log);
try {
  await stage('cli', async () => {
    Object.assign(out, startup(s(7)));
  });
  await stage('ceiling', async () => {
    const r = await httpCeiling(env, bodies, { connections, seconds: s(8) });
    Object.assign(out, { http_ceiling_per_s: r.per_s, http_ceiling_p50_ms: r.p50_ms, http_ceiling_p99_ms: r.p99_ms });
  });
  await stage('webhook', async () => {
    rss.reset();
    const r = await webhook(env, bodies, { connections, seconds: s(12) });
    out.webhook_raw_messages = r.rawMessages;
    Object.assign(out, {
      webhook_events_per_s: r.load.per_s,
      webhook_p50_ms: r.load.p50_ms,
      webhook_p99_ms: r.load.p99_ms,
      webhook_non2xx: r.load.non2xx + r.load.errors + r.load.timeouts,
      webhook_connections: connections,
      webhook_rss_mb_peak: rss.peakMb(),
    });
  });
  // Freshness and the all-roles process's memory run before the throughput stages, whose
  // garbage this process would otherwise still hold (the RSS figure would be an upper bound).
  await stage('e2e', async () => {
    const r = await e2e(env, rss, { rate: Number(process.env.BENCH_E2E_RATE ?? 1000), seconds: s(20) });
    Object.assign(out, {
      e2e_p50_seconds: r.p50_s,
      e2e_p95_seconds: r.p95_s,
      e2e_max_seconds: r.max_s,
      e2e_rate_per_s: r.load.per_s,
      e2e_webhook_p99_ms: r.load.p99_ms,
      e2e_calls: r.calls_sent,
      e2e_calls_seen: r.calls_seen,
      e2e_rss_mb_peak: r.rss_mb_peak,
      e2e_engine_mb: r.engine_mb,
    });
  });
  await stage('transform', async () => {
    const r = await transform(env, bodies, { records: s(100_000), seconds: s(120) });
    Object.assign(out, {
      transform_records_per_s: r.records_per_s,
      transform_records: r.records,
      transform_outputs: r.outputs,
    });
  });
  await stage('kafka', async () => {
    const r = await kafkaRaw(env, bodies, { messages: s(300_000), seconds: s(12) });
    Object.assign(out, {
      kafka_produce_per_s: r.produce_per_s,
      kafka_consume_per_s: r.consume_per_s,
      kafka_messages: r.messages,
    });
  });
  await stage('insert', async () => {
    const r = await warehouseInsert(env, { rows: s(400_000), seconds: s(20) });
    Object.assign(out, {
      warehouse_insert_rows_per_s: r.rows_per_s,
      warehouse_insert_rows: r.rows,
      warehouse_insertrows_objects_per_s: r.insert_rows_per_s,
      warehouse_insert_ingest_rows_per_s: r.ingest_rows_per_s,
    });
  });
  await stage('sink', async () => {
    rss.reset();
    const r = await sink(env, { rows: s(600_000), seconds: s(120) });
    Object.assign(out, {
      sink_rows_per_s: r.rows_per_s,
      sink_rows: r.rows,
      sink_rows_in_calls: r.rows_in_calls,
      kafka_produce_calls_per_s: r.calls_produce_per_s,
      call_message_bytes: r.message_bytes,
      sink_rss_mb_peak: rss.peakMb(),
    });
  });
  await stage('backfill', async () => {
    const r = await backfillStage(env, { callsPerDay: s(5000), days: 30, seconds: s(120) });
    Object.assign(out, {
      backfill_records_per_s: r.records_per_s,
      backfill_records: r.records,
      backfill_days: r.days,
      backfill_requests: r.requests,
    });
  });
} finally {
  out.rss_mb_peak = Math.round(process.resourceUsage().maxRSS / 1024);
  await env.close().catch((e: unknown) => log(`closing: ${String(e)}`));
}

await stage('views', async () => {
  const r = await views({ rows: Number(process.env.BENCH_VIEW_ROWS ?? 10_000_000), runs: 3, timeoutS: 1200 });
  out.kpi_query_ms_10m = r.kpi_query_ms_10m;
  out.kpi_rollup_differences = r.rollup_differences;
  out.view_load_rows_per_s = r.load_ms ? Math.round((r.rows / r.load_ms) * 1000) : undefined;
  out.sink_rollup_lookup_ms_20k = r.sink_rollup_lookup_ms_20k;
  out.kpi_query_ms_10m_merged = r.kpi_query_ms_10m_merged;
  out.view_rows = r.rows;
  out.views_ms_10m = r.unmerged_ms;
  out.views_ms_10m_merged = r.merged_ms;
});

if (typeof out.sink_rows_per_s === 'number' && typeof out.warehouse_insert_rows_per_s === 'number') {
  out.sink_vs_insert = Math.round((out.sink_rows_per_s / out.warehouse_insert_rows_per_s) * 100) / 100;
}
if (typeof out.sink_rows_per_s === 'number' && typeof out.warehouse_insert_ingest_rows_per_s === 'number') {
  out.sink_vs_ingest_insert = Math.round((out.sink_rows_per_s / out.warehouse_insert_ingest_rows_per_s) * 100) / 100;
}
if (typeof out.webhook_events_per_s === 'number' && typeof out.http_ceiling_per_s === 'number') {
  out.webhook_vs_ceiling = Math.round((out.webhook_events_per_s / out.http_ceiling_per_s) * 100) / 100;
}
out.bench_seconds = Math.round((performance.now() - started) / 1000);
rss.stop();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
