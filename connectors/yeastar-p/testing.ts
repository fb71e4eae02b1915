/** Test helpers for this connector: contexts with a controllable clock and instant sleeps. */
import pino from 'pino';
import type { NormaliseContext, PollBatch, PollContext, PollWindow, Cursor } from '../core/contract.js';
import { yeastarPConfigSchema, type YeastarPConfig } from './config.js';
import { readReports } from './poller.js';
import { normaliseYeastarP } from '../../transforms/yeastar-p/index.js';
import type { ReportRow } from '../../transforms/core/model.js';

export function config(overrides: Record<string, unknown> = {}): YeastarPConfig {
  return yeastarPConfigSchema.parse({
    id: 'pbx-p',
    type: 'yeastar-p',
    timezone: 'Europe/Berlin',
    country: 'DE',
    base_url: 'http://127.0.0.1:1',
    client_id: 'sim-client-id',
    client_secret: 'sim-client-secret',
    ...overrides,
  });
}

export interface TestClock {
  t: number;
  now(): number;
}

export function clockAt(iso: string): TestClock {
  const clock = { t: Date.parse(iso), now: () => clock.t };
  return clock;
}

export function pollContext(
  cfg: YeastarPConfig,
  clock: TestClock,
  opts: { sleep?: (ms: number) => Promise<void>; session?: Map<string, unknown>; signal?: AbortSignal } = {},
): PollContext<YeastarPConfig> & { slept: number[] } {
  const slept: number[] = [];
  return {
    config: cfg,
    logger: pino({ level: 'silent' }),
    signal: opts.signal ?? new AbortController().signal,
    session: opts.session ?? new Map(),
    sleep: async (ms) => {
      slept.push(ms);
      if (opts.sleep) await opts.sleep(ms);
    },
    now: () => new Date(clock.now()),
    slept,
  };
}

export async function collect(
  ctx: PollContext<YeastarPConfig>,
  cursor: Cursor | null,
  window?: PollWindow,
): Promise<PollBatch[]> {
  const out: PollBatch[] = [];
  for await (const b of readReports(ctx, cursor, window)) out.push(b);
  return out;
}

export function normaliseContext(cfg: YeastarPConfig, meta: Record<string, string> = {}): NormaliseContext {
  return {
    config: cfg,
    received_at: '2024-03-11 09:00:00.000',
    ingested_at: '2024-03-11 09:00:01.000',
    meta,
    warn: () => undefined,
  };
}

/** Every report row the batches' payloads normalise to, in order. */
export function rowsOf(cfg: YeastarPConfig, batches: PollBatch[]): ReportRow[] {
  return batches.flatMap((b) =>
    b.payloads.flatMap((p) => normaliseYeastarP(p.body, p.content_type, normaliseContext(cfg, p.meta)).reportRows),
  );
}
