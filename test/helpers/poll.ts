/**
 * Helpers for end-to-end tests of polling connectors: a backfill through a running test service's
 * bus, waiting until the pipeline has drained into the warehouse, and cursors seeded before a
 * service starts (so that its Poller's run at start reads nothing).
 */
import type { Cursor } from '../../connectors/core/contract.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { CursorStore } from '../../runtime/cursors.js';
import { topicNames } from '../../runtime/kafka.js';
import { createLogger } from '../../runtime/logging.js';
import { Metrics } from '../../runtime/metrics.js';
import { backfill, type BackfillProgress } from '../../runtime/roles/poll.js';
import { testBus, until } from './kafka.js';
import type { TestService } from './service.js';

/** Runs `backfill()` of one connector of the service over [from, to), through the service's bus. */
export async function runBackfill(
  t: TestService,
  connectorId: string,
  from: Date,
  to: Date,
  onProgress: (p: BackfillProgress) => void = () => undefined,
): Promise<{ records: number; days: number; resumedFrom: string | null }> {
  const config = t.config.connectors.find((c) => c.id === connectorId);
  if (!config) throw new Error(`no connector ${connectorId} in the test service`);
  return backfill(
    config,
    { from, to },
    {
      bus: t.service.bus,
      topics: t.service.topics,
      cursors: new CursorStore(t.service.bus, t.service.topics),
      logger: createLogger('silent'),
      metrics: new Metrics({ defaults: false }),
      status: t.service.status,
    },
    onProgress,
  );
}

/**
 * Waits until everything produced so far has been transformed and written to the warehouse: the
 * transform group has committed every raw message (so its output is in the normalised topics) and
 * then the sink group every message of its topics (committed only after the warehouse insert).
 */
export async function drained(t: TestService, timeoutMs = 60_000): Promise<void> {
  const { bus, topics } = t.service;
  const raw = CONNECTORS.map((c) => topics.raw(c.type));
  const sinkTopics = [topics.calls, topics.callEvents, topics.reportRows, topics.deadLetters, ...raw];
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  await until(
    'the pipeline to drain',
    async () => {
      if (sum(await bus.lag(topics.groups.transform, raw)) > 0) return false;
      return sum(await bus.lag(topics.groups.sink, sinkTopics)) === 0;
    },
    timeoutMs,
    250,
  );
}

/**
 * Stores cursors on the connector-state topic of `prefix` (on the suite's broker, or `brokers`)
 * before a service with that prefix starts.
 * Creating a topic on a busy broker sometimes fails while its metadata settles: tried three times.
 */
export async function seedCursors(prefix: string, cursors: Record<string, Cursor>, brokers?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await seedOnce(prefix, cursors, brokers);
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function seedOnce(prefix: string, cursors: Record<string, Cursor>, brokers?: string): Promise<void> {
  const bus = testBus(brokers);
  const topics = topicNames(prefix);
  try {
    await bus.ensureTopics([
      { name: topics.connectorState, partitions: 1, config: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } },
    ]);
    const store = new CursorStore(bus, topics);
    for (const [id, cursor] of Object.entries(cursors)) {
      await store.put({ connector_id: id, cursor, updated_at: new Date().toISOString(), backfill: null });
    }
  } finally {
    await bus.close();
  }
}
