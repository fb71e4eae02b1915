/**
 * The poll role: runs each polling connector on its schedule. Every batch is made durable in
 * `raw.<type>` before its cursor is stored; a vendor's bad-credentials or untrusted-address error
 * stops that connector (with a clear status) while the others run on.
 */
import { DateTime } from 'luxon';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import type { ConnectorSpec, Cursor, PollBatch, PollContext, PollWindow } from '../../connectors/core/contract.js';
import { connectorSpec } from '../../connectors/registry.js';
import { encodeRaw } from '../codec.js';
import type { CursorStore } from '../cursors.js';
import { asCallhouseError } from '../errors.js';
import type { Bus, TopicNames } from '../kafka.js';
import type { Metrics } from '../metrics.js';
import { redactText } from '../redact.js';
import type { StatusBoard } from '../status.js';

export interface PollDeps {
  bus: Bus;
  topics: TopicNames;
  cursors: CursorStore;
  logger: Logger;
  metrics: Metrics;
  status: StatusBoard;
  /** The data directory (locks shared with other callhouse processes). */
  dataDir?: string;
}

const STOPPING_CODES = new Set(['VENDOR_AUTH', 'VENDOR_FORBIDDEN', 'CONFIG_INVALID', 'UNTRUSTED_URL']);

export function pollContext(
  config: BaseConnectorConfig,
  logger: Logger,
  signal: AbortSignal,
  session: Map<string, unknown>,
  dataDir?: string,
): PollContext {
  return {
    config,
    ...(dataDir ? { dataDir } : {}),
    logger: logger.child({ connector: config.id }),
    signal,
    session,
    now: () => new Date(),
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const t = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        const onAbort = (): void => {
          clearTimeout(t);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}

/** Makes one batch durable and reports it. */
export async function deliverBatch(
  config: BaseConnectorConfig,
  batch: PollBatch,
  deps: Pick<PollDeps, 'bus' | 'topics' | 'metrics' | 'status'>,
): Promise<void> {
  const labels = { connector: config.id, type: config.type };
  deps.metrics.received.inc(labels, batch.payloads.length);
  deps.status.count(config.id, 'received', batch.payloads.length);
  await deps.bus.produce(
    deps.topics.raw(config.type),
    batch.payloads.map((p) => encodeRaw(p, config)),
  );
  deps.metrics.produced.inc(labels, batch.payloads.length);
  deps.status.count(config.id, 'produced', batch.payloads.length);
}

export class Poller {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly sessions = new Map<string, Map<string, unknown>>();

  constructor(
    private readonly connectors: BaseConnectorConfig[],
    private readonly deps: PollDeps,
  ) {}

  static pollable(connectors: BaseConnectorConfig[]): { config: BaseConnectorConfig; spec: ConnectorSpec }[] {
    return connectors
      .map((config) => ({ config, spec: connectorSpec(config.type)! }))
      .filter((c) => c.spec?.poll !== undefined);
  }

  async start(opts: { runNow?: boolean } = {}): Promise<void> {
    for (const { config, spec } of Poller.pollable(this.connectors)) {
      if (!config.enabled) continue;
      const schedule = (config as { schedule?: string }).schedule ?? spec.poll!.defaultSchedule;
      const state = await this.deps.cursors.get(config.id);
      this.deps.status.update(config.id, { cursor: state?.cursor ?? null });
      const task = cron.schedule(schedule, () => void this.runOnce(config.id), {
        noOverlap: true,
        name: `poll-${config.id}`,
      });
      this.tasks.push(task);
      if (opts.runNow !== false) void this.runOnce(config.id);
    }
  }

  /** One incremental read of a connector from its stored cursor (never two at once). */
  runOnce(connectorId: string): Promise<void> {
    const existing = this.running.get(connectorId);
    if (existing) return existing;
    const run = this.read(connectorId).finally(() => this.running.delete(connectorId));
    this.running.set(connectorId, run);
    return run;
  }

  private async read(connectorId: string): Promise<void> {
    const config = this.connectors.find((c) => c.id === connectorId)!;
    const spec = connectorSpec(config.type)!;
    const { status, cursors, logger } = this.deps;
    if (status.get(config.id)?.state === 'stopped') return;
    status.update(config.id, { state: 'running' });
    const ctx = pollContext(config, logger, this.abort.signal, this.session(config.id), this.deps.dataDir);
    try {
      const state = await cursors.get(config.id);
      let cursor: Cursor | null = state?.cursor ?? null;
      for await (const batch of spec.poll!.read(ctx, cursor)) {
        await deliverBatch(config, batch, this.deps);
        if (batch.cursor) {
          cursor = batch.cursor;
          await cursors.put({
            connector_id: config.id,
            cursor,
            updated_at: new Date().toISOString(),
            backfill: state?.backfill ?? null,
          });
          status.update(config.id, { cursor });
        }
      }
      status.update(config.id, { state: 'ok' });
      status.success(config.id);
      this.deps.metrics.pollLastSuccess.set({ connector: config.id, type: config.type }, Date.now() / 1000);
      this.deps.metrics.connectorUp.set({ connector: config.id, type: config.type }, 1);
    } catch (e) {
      if (this.abort.signal.aborted) return;
      const err = asCallhouseError(e, 'VENDOR_ERROR');
      const stop = STOPPING_CODES.has(err.code);
      const message = redactText(err.message);
      status.failure(config.id, err.code, message, stop);
      this.deps.metrics.failed.inc({ connector: config.id, type: config.type, code: err.code });
      if (stop) this.deps.metrics.connectorUp.set({ connector: config.id, type: config.type }, 0);
      logger[stop ? 'error' : 'warn'](
        { connector: config.id, error_code: err.code },
        stop ? `connector stopped: ${message}` : `poll failed, will retry on schedule: ${message}`,
      );
    }
  }

  private session(id: string): Map<string, unknown> {
    let s = this.sessions.get(id);
    if (!s) this.sessions.set(id, (s = new Map()));
    return s;
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    this.abort.abort(new Error('shutting down'));
    await Promise.allSettled([...this.running.values()]);
  }
}

/**
 * Cuts a range at the connector's local midnights, so that a vendor whose reports are local days
 * (IPCortex, the P-Series) reads each day once; the first and last windows may be partial days.
 */
export function dayWindows(range: PollWindow, zone: string): PollWindow[] {
  const out: PollWindow[] = [];
  let t = DateTime.fromJSDate(range.from, { zone });
  const end = range.to.getTime();
  while (t.toMillis() < end) {
    const next = t.startOf('day').plus({ days: 1 });
    out.push({ from: t.toJSDate(), to: new Date(Math.min(next.toMillis(), end)) });
    t = next;
  }
  return out;
}

export interface BackfillProgress {
  done: number;
  total: number;
  records: number;
  window: PollWindow;
}

/**
 * Reads a past window once, day by day, resuming after the last completed day of an interrupted
 * run over the same range. Idempotent: the warehouse keeps one row per call however often read.
 */
export async function backfill(
  config: BaseConnectorConfig,
  range: PollWindow,
  deps: PollDeps,
  onProgress: (p: BackfillProgress) => void,
  signal: AbortSignal = new AbortController().signal,
): Promise<{ records: number; days: number; resumedFrom: string | null }> {
  const spec = connectorSpec(config.type);
  if (!spec?.poll)
    throw asCallhouseError(
      new Error(`connector ${config.id} (${config.type}) does not poll; nothing to backfill`),
      'USAGE',
    );
  const days = dayWindows(range, config.timezone ?? 'UTC');
  const state = await deps.cursors.get(config.id);
  const sameRange =
    state?.backfill && state.backfill.from === range.from.toISOString() && state.backfill.to === range.to.toISOString();
  const doneTo = sameRange ? new Date(state!.backfill!.done_to).getTime() : range.from.getTime();
  const ctx = pollContext(config, deps.logger, signal, new Map(), deps.dataDir);
  let records = 0;
  let done = days.filter((d) => d.to.getTime() <= doneTo).length;
  onProgress({ done, total: days.length, records, window: days[Math.max(0, done - 1)] ?? range });
  for (const day of days) {
    if (day.to.getTime() <= doneTo) continue;
    for await (const batch of spec.poll.read(ctx, null, day)) {
      await deliverBatch(config, batch, deps);
      records += batch.payloads.length;
      onProgress({ done, total: days.length, records, window: day });
    }
    done += 1;
    const latest = await deps.cursors.get(config.id);
    await deps.cursors.put({
      connector_id: config.id,
      cursor: latest?.cursor ?? null,
      updated_at: new Date().toISOString(),
      backfill: { from: range.from.toISOString(), to: range.to.toISOString(), done_to: day.to.toISOString() },
    });
    onProgress({ done, total: days.length, records, window: day });
  }
  // Finished: forget the range, so that running it again reads it again (adding no rows).
  const latest = await deps.cursors.get(config.id);
  await deps.cursors.put({
    connector_id: config.id,
    cursor: latest?.cursor ?? null,
    updated_at: new Date().toISOString(),
    backfill: null,
  });
  return {
    records,
    days: days.length,
    resumedFrom: sameRange && doneTo > range.from.getTime() ? new Date(doneTo).toISOString() : null,
  };
}
