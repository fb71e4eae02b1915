/**
 * A poller's backfill: the Voicenter connector reading a month of a busy call centre from its
 * simulator day by day (window splitting at 10,000 CDRs), each page made durable in Kafka. The
 * vendor's request budget (30 a minute) is lifted on both sides, so the figure is ours.
 */
import { validateConfig } from '../runtime/config.js';
import { CursorStore } from '../runtime/cursors.js';
import { Bus, topicNames } from '../runtime/kafka.js';
import { Metrics } from '../runtime/metrics.js';
import { backfill as runBackfill } from '../runtime/roles/poll.js';
import { topicSpecs } from '../runtime/service.js';
import { StatusBoard } from '../runtime/status.js';
import { startSimulator } from '../simulators/voicenter/index.js';
import { settle, type BenchEnv } from './env.js';

export interface BackfillResult {
  records: number;
  days: number;
  seconds: number;
  records_per_s: number;
  requests: number;
}

export async function backfillStage(
  env: BenchEnv,
  opts: { callsPerDay: number; days: number; seconds: number },
): Promise<BackfillResult> {
  const sim = await startSimulator({
    seed: 11,
    callsPerDay: opts.callsPerDay,
    maxReturn: 10_000,
    requestsPerMinute: 1_000_000,
  });
  const base = env.config('backfill');
  const config = validateConfig(
    {
      connectors: [
        {
          id: 'bench-vc',
          type: 'voicenter',
          code: 'sim-voicenter-code',
          base_url: sim.url,
          requests_per_minute: 1_000_000,
          min_spacing_ms: 0,
        },
      ],
    },
    {
      ...process.env,
      KAFKA_BROKERS: env.brokers.join(','),
      CALLHOUSE_DATA_DIR: env.dir,
      CALLHOUSE_TOPIC_PREFIX: base.env.topicPrefix,
      CLICKHOUSE_URL: '',
    },
  );
  const vc = config.connectors[0]!;
  const topics = topicNames(config.env.topicPrefix);
  const bus = new Bus({ brokers: env.brokers, clientId: 'bench-backfill', logger: env.logger });
  const status = new StatusBoard();
  status.register(vc.id, vc.type, vc.tenant, 'poll', true);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('backfill stage time limit')), opts.seconds * 1000);
  try {
    await bus.ensureTopics(topicSpecs(config, topics));
    await settle();
    const deps = {
      bus,
      topics,
      cursors: new CursorStore(bus, topics),
      logger: env.logger,
      metrics: new Metrics({ defaults: false }),
      status,
    };
    const to = Date.UTC(2024, 4, 1);
    const range = { from: new Date(to - opts.days * 86_400_000), to: new Date(to) };
    const t0 = performance.now();
    let records = 0;
    let days = 0;
    try {
      const r = await runBackfill(vc, range, deps, (p) => ((records = p.records), (days = p.done)), abort.signal);
      records = r.records;
      days = r.days;
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      records,
      days,
      seconds: Math.round(seconds * 10) / 10,
      records_per_s: Math.round(records / seconds),
      requests: sim.requests.length,
    };
  } finally {
    clearTimeout(timer);
    await bus.close();
    await sim.close();
  }
}
