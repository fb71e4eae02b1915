/**
 * The sink role: consumes the normalised topics (and `raw.*` into the audit table) in batches,
 * inserts each batch with a deduplication token made of its topic, partition and offsets (so a
 * retried insert of the same batch is applied once), and commits offsets only after the insert.
 * An unreachable warehouse pauses the partition and retries with back-off; rows the warehouse
 * rejects go to dead letters instead of blocking the partition. Consumption is pipelined: while a
 * batch's insert runs, the partition's next batch is fetched, decoded and read, and waits for that
 * insert before its own look-up and insert (see Bus.consume).
 */
import type { Logger } from 'pino';
import { CONNECTORS } from '../../connectors/registry.js';
import { callOriginOf, callVersionOf, encodeDeadLetter } from '../../runtime/codec.js';
import { deadLetter } from '../../runtime/dead-letters.js';
import type { Batch, Bus, ConsumerHandle, TopicNames } from '../../runtime/kafka.js';
import type { Metrics } from '../../runtime/metrics.js';
import { insertBody, joinLines, type Warehouse } from '../../runtime/warehouse.js';
import { annotatePlanned, CALLS_INGEST, planCalls, type CallPlan } from './rollup.js';
import { rowOrigin, rowsOf, type TableRows } from './rows.js';

export interface SinkDeps {
  bus: Bus;
  topics: TopicNames;
  warehouse: Warehouse;
  logger: Logger;
  metrics: Metrics;
  batchMs: number;
  batchRows: number;
  groupId?: string;
  /** Also archive raw payloads into raw_payloads (default true). */
  archiveRaw?: boolean;
}

/**
 * A data error: the warehouse refused these rows (they would fail again). Anything else (network,
 * timeouts, overload, an engine that is down) is an outage: retry, never dead-letter.
 */
const DATA_ERROR =
  /CANNOT_PARSE|TYPE_MISMATCH|INCORRECT_DATA|CANNOT_READ_|ILLEGAL_|VALUE_IS_OUT_OF_RANGE|CANNOT_CONVERT|NO_SUCH_COLUMN|UNKNOWN_IDENTIFIER|CANNOT_INSERT_NULL|TOO_LARGE_STRING|ATTEMPT_TO_READ_AFTER_EOF|INCORRECT_NUMBER_OF_COLUMNS|Cannot parse|Cannot read|Type mismatch|out of range/;

export function isOutage(e: unknown): boolean {
  const err = e as { message?: string; type?: string } | undefined;
  const text = `${err?.type ?? ''} ${err?.message ?? String(e)}`;
  return !DATA_ERROR.test(text);
}

export async function startSink(deps: SinkDeps): Promise<ConsumerHandle> {
  const { bus, topics } = deps;
  const list = [topics.calls, topics.callEvents, topics.reportRows, topics.deadLetters];
  if (deps.archiveRaw !== false) list.push(...CONNECTORS.map((c) => topics.raw(c.type)));
  return bus.consume({
    groupId: deps.groupId ?? topics.groups.sink,
    topics: list,
    maxWaitMs: deps.batchMs,
    minBytes: 256 * 1024,
    maxBytesPerPartition: 16 * 1024 * 1024,
    // Each topic's partitions (3 by default) handled side by side, each with one insert running.
    partitionsConsumedConcurrently: 3,
    // The next batch is fetched and decoded while this one's insert runs (see Bus.consume).
    pipelined: true,
    handle: (batch) => sinkBatch(batch, deps),
  });
}

export async function sinkBatch(batch: Batch, deps: SinkDeps): Promise<void> {
  const parts: TableRows[] = [];
  for (const group of rowsOf(batch.topic, batch.messages, deps.topics)) {
    for (let i = 0; i < group.lines.length; i += deps.batchRows) {
      const lines = group.lines.slice(i, i + deps.batchRows);
      const origins = group.origins.slice(i, i + deps.batchRows);
      parts.push({
        table: group.table,
        lines,
        origins,
        ...(group.table === 'calls' ? { plan: planOf(lines, origins) } : {}),
      });
    }
  }
  // Everything above is work on this batch alone; what follows looks up and writes calls that
  // the partition's previous batch may have written too.
  await batch.previous;
  for (const part of parts) {
    const first = part.origins[0]!.offset;
    const last = part.origins[part.origins.length - 1]!.offset;
    const token = `${batch.topic}:${batch.partition}:${first}-${last}:${part.table}`;
    await insertWithRetry(part, token, batch, deps);
  }
}

async function prepare(part: TableRows, deps: SinkDeps): Promise<Buffer> {
  if (part.table !== 'calls') return joinLines(part.lines);
  return annotatePlanned(deps.warehouse, part.plan ?? planOf(part.lines, part.origins));
}

/** Calls' identities, versions and feeds, from their headers where the messages have them. */
function planOf(lines: TableRows['lines'], messages: TableRows['origins']): CallPlan {
  return planCalls(lines, messages.map(callVersionOf), messages.map(callOriginOf));
}

function target(part: TableRows): string {
  return part.table === 'calls' ? CALLS_INGEST : part.table;
}

async function insertWithRetry(part: TableRows, token: string, batch: Batch, deps: SinkDeps): Promise<void> {
  const { logger, metrics } = deps;
  for (let attempt = 0; ; attempt++) {
    // Handed over at a rebalance: the partition's next owner inserts this batch (same tokens).
    batch.signal.throwIfAborted();
    const t0 = performance.now();
    try {
      await insert(part, token, deps, batch.signal);
      metrics.sinkBatchSeconds.observe({ table: part.table }, (performance.now() - t0) / 1000);
      metrics.sinkBatchRows.observe({ table: part.table }, part.lines.length);
      metrics.sinkRows.inc({ table: part.table }, part.lines.length);
      return;
    } catch (e) {
      metrics.sinkErrors.inc({ table: part.table });
      if (!isOutage(e)) {
        await rejectBadRows(part, token, batch, deps, e);
        return;
      }
      if (!batch.isRunning()) throw batch.signal.aborted ? batch.signal.reason : e;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
      logger.warn(
        { table: part.table, attempt, delay_ms: delay },
        `warehouse unavailable, retrying: ${(e as Error).message}`,
      );
      await waitWithHeartbeat(delay, batch);
    }
  }
}

/** Calls go to calls_ingest, annotated for the kpi_daily rollup (see rollup.ts); other tables as they are. */
async function insert(part: TableRows, token: string, deps: SinkDeps, signal?: AbortSignal): Promise<void> {
  if (part.lines.length === 0) return;
  await insertBody(deps.warehouse, target(part), await prepare(part, deps), token, signal);
}

/** Splits a rejected batch until the rows the warehouse refuses are found; those become dead letters. */
async function rejectBadRows(
  part: TableRows,
  token: string,
  batch: Batch,
  deps: SinkDeps,
  error: unknown,
): Promise<void> {
  if (part.lines.length === 1) {
    const m = part.origins[0]!;
    const origin = rowOrigin(part.lines[0]!);
    const d = deadLetter({
      stage: 'sink',
      error,
      connectorId: origin.connector_id,
      source: origin.source,
      payload: m.value,
      originTopic: batch.topic,
      originKey: m.key,
      originHeaders: m.headers,
      id: `sink:${batch.topic}:${m.partition}:${m.offset}`,
    });
    deps.metrics.deadLettered.inc({ connector: d.connector_id, stage: 'sink' });
    deps.logger.warn({ table: part.table, offset: m.offset }, `warehouse rejected a row: ${d.error}`);
    if (batch.topic === deps.topics.deadLetters) {
      deps.logger.error(
        { offset: m.offset },
        'a dead letter itself was rejected by the warehouse; it stays on the dead-letters topic',
      );
      return;
    }
    await deps.bus.produce(deps.topics.deadLetters, [encodeDeadLetter(d)]);
    return;
  }
  const mid = Math.ceil(part.lines.length / 2);
  const halves: [TableRows, string][] = [
    [{ table: part.table, lines: part.lines.slice(0, mid), origins: part.origins.slice(0, mid) }, `${token}/a`],
    [{ table: part.table, lines: part.lines.slice(mid), origins: part.origins.slice(mid) }, `${token}/b`],
  ];
  for (const [half, t] of halves) {
    try {
      await insert(half, t, deps);
      deps.metrics.sinkRows.inc({ table: half.table }, half.lines.length);
    } catch (e) {
      if (isOutage(e)) return insertWithRetry(half, t, batch, deps);
      await rejectBadRows(half, t, batch, deps, e);
    }
  }
}

async function waitWithHeartbeat(ms: number, batch: Batch): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !batch.signal.aborted) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        batch.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(1000, end - Date.now()));
      batch.signal.addEventListener('abort', done);
    });
    await batch.heartbeat().catch(() => undefined);
  }
}
