/**
 * Sink: `rows` canonical calls put on a fresh calls topic, then the sink role inserting them into
 * the embedded warehouse (dedup tokens, commit after insert), timed from its first batch to its
 * last commit. Also gives the produce rate of the call messages (bigger than raw reports).
 */
import { Bus, topicNames, type OutMessage } from '../runtime/kafka.js';
import { encodeCall } from '../runtime/codec.js';
import { Metrics } from '../runtime/metrics.js';
import { migrate } from '../runtime/migrations.js';
import { topicSpecs, warehouseOptions } from '../runtime/service.js';
import { openWarehouse, queryRows } from '../runtime/warehouse.js';
import { startSink } from '../sinks/clickhouse/sink.js';
import { timeConsumers } from './counting.js';
import { settle, waitFor, type BenchEnv } from './env.js';
import { baseCalls, callAt } from './rows.js';

export interface SinkResult {
  rows: number;
  rows_per_s: number;
  rows_in_calls: number;
  calls_produce_per_s: number;
  message_bytes: number;
}

export async function sink(env: BenchEnv, opts: { rows: number; seconds: number }): Promise<SinkResult> {
  const config = env.config('sink');
  const topics = topicNames(config.env.topicPrefix);
  const bus = new Bus({ brokers: env.brokers, clientId: 'bench-sink', logger: env.logger });
  const wh = await openWarehouse(warehouseOptions(config));
  try {
    await bus.ensureTopics(topicSpecs(config, topics));
    await settle();
    await migrate(wh);
    const base = baseCalls(config);
    const messageBytes = Math.round(base.reduce((n, r) => n + JSON.stringify(r).length, 0) / base.length);
    let next = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (next < opts.rows) {
        const part: OutMessage[] = [];
        for (let i = 0; i < 500 && next < opts.rows; i++) part.push(encodeCall(callAt(base, next++)));
        await bus.produce(topics.calls, part);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const produceS = (performance.now() - t0) / 1000;

    const clock = timeConsumers(bus);
    const metrics = new Metrics({ defaults: false });
    const handle = await startSink({
      bus,
      topics,
      warehouse: wh,
      logger: env.logger,
      metrics,
      batchMs: config.sink.batch_ms,
      batchRows: config.sink.batch_rows,
      groupId: 'bench-sink',
      archiveRaw: false,
    });
    await waitFor(() => clock.messages >= opts.rows, opts.seconds * 1000);
    await handle.stop();
    const [row] = await queryRows<{ n: string }>(wh, `SELECT count() AS n FROM ${wh.database}.calls`);
    return {
      rows: clock.messages,
      rows_per_s: clock.rate(),
      rows_in_calls: Number(row?.n ?? 0),
      calls_produce_per_s: Math.round(opts.rows / produceS),
      message_bytes: messageBytes,
    };
  } finally {
    await bus.close();
    await wh.client.command({ query: `DROP DATABASE IF EXISTS ${wh.database}` }).catch(() => undefined);
    await wh.close();
  }
}
