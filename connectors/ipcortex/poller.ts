/**
 * Reads the PABX day by day: one report per day (allcalls, or incalls + outcalls per company),
 * merged into one payload per acctid; after the last day of each month in the read, the monthly
 * outsummary per company. One batch per day, with the day as the cursor.
 */
import type { Cursor, PollBatch, PollContext, PollWindow, RawPayload } from '../core/contract.js';
import {
  CallMerger,
  addAllcalls,
  addIncalls,
  addOutcalls,
  isObject,
  type MergedCall,
} from '../../transforms/ipcortex/merge.js';
import { IpcortexClient } from './client.js';
import type { IpcortexConfig } from './config.js';
import { dayScope, scheduledDays, windowDays } from './windows.js';

const JSON_TYPE = 'application/json';

export async function* readIpcortex(
  ctx: PollContext<IpcortexConfig>,
  cursor: Cursor | null,
  window?: PollWindow,
): AsyncGenerator<PollBatch> {
  const zone = ctx.config.timezone ?? 'UTC';
  const days = window
    ? windowDays(window, zone, ctx.now())
    : scheduledDays(cursor, ctx.config.lookback_days, zone, ctx.now());
  if (days.length === 0) return;
  const client = new IpcortexClient(ctx);
  try {
    for (const [i, day] of days.entries()) {
      const payloads = await readDay(client, ctx.config, day);
      const month = day.slice(0, 7);
      const monthDone = i === days.length - 1 || days[i + 1]!.slice(0, 7) !== month;
      if (ctx.config.billing_summary && monthDone) payloads.push(...(await readSummary(client, ctx.config, month)));
      yield {
        payloads,
        // A backfill leaves the schedule's cursor where it is: it neither rewinds nor skips it.
        ...(window ? {} : { cursor: { day } }),
        progress: { done: i + 1, total: days.length, label: day },
      };
    }
  } finally {
    await client.close();
  }
}

export async function readDay(client: IpcortexClient, config: IpcortexConfig, day: string): Promise<RawPayload[]> {
  const scope = dayScope(day);
  const merger = new CallMerger();
  if (config.mode === 'allcalls') {
    addAllcalls(merger, await client.report('allcalls', scope), config.companies);
  } else {
    for (const company of config.companies ?? ['default']) {
      addIncalls(merger, company, '', await client.report('incalls', { ...scope, company }));
      addOutcalls(merger, company, '', await client.report('outcalls', { ...scope, company }));
    }
  }
  const merged = merger.result();
  const meta = (m: MergedCall) => ({ endpoint: config.mode, day, company: m.company });
  return [
    ...merged.calls.map(({ key, body }) => payload(key, body, meta(body))),
    ...merged.orphans.map((body) => payload('', body, meta(body))),
  ];
}

async function readSummary(client: IpcortexClient, config: IpcortexConfig, month: string): Promise<RawPayload[]> {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const scope = { year, month: m, detail: true };
  const answers = config.companies
    ? await sequence(
        config.companies,
        async (company) => [company, await client.report('outsummary', { ...scope, company })] as const,
      )
    : [[undefined, await client.report('outsummary', scope)] as const];
  const out: RawPayload[] = [];
  for (const [asked, values] of answers) {
    if (!isObject(values)) continue;
    for (const [company, entry] of Object.entries(values)) {
      if (asked !== undefined && company !== asked) continue;
      out.push(payload(`outsummary:${company}:${month}`, entry, { endpoint: 'outsummary', company, month }));
    }
  }
  return out;
}

function payload(key: string, body: unknown, meta: Record<string, string>): RawPayload {
  return { key, body: Buffer.from(JSON.stringify(body)), content_type: JSON_TYPE, meta };
}

/** One at a time: the PABX runs one report at once anyway. */
async function sequence<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}
