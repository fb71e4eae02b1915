/**
 * Polls the Call Log. A read covers [start, end) in UTC days; each day is one request, halved
 * again and again while Voicenter says it holds more CDRs than one response carries. One batch
 * per window read, carrying the cursor `{to}` of that window.
 *
 * Incremental: start = cursor.to − overlap_minutes (CDRs show up minutes after the call ends),
 * end = now − 1 minute; the first run starts one day back. Backfill: exactly the given window,
 * without touching the cursor.
 */
import { CallhouseError } from '../../runtime/errors.js';
import type { Cursor, PollBatch, PollContext, PollWindow, RawPayload } from '../core/contract.js';
import { ItemFields } from '../../transforms/voicenter/fields.js';
import type { VoicenterConfig } from './config.js';
import { fetchCdrs } from './client.js';

const DAY_MS = 86_400_000;
/** CDRs of the last minute may still be in flight inside Voicenter. */
export const END_DELAY_MS = 60_000;
export const FIRST_RUN_LOOKBACK_MS = DAY_MS;
/** A window this short that still overflows cannot be split usefully. */
export const MIN_WINDOW_MS = 60_000;

export async function* readCdrs(
  ctx: PollContext<VoicenterConfig>,
  cursor: Cursor | null,
  window?: PollWindow,
): AsyncIterable<PollBatch> {
  if (!ctx.config.code) {
    ctx.logger.debug('voicenter: no `code` configured; notifications only, nothing to poll');
    return;
  }
  const range = window ? backfillRange(window) : incrementalRange(ctx, cursor);
  if (!range) return;
  const previousTo = typeof cursor?.to === 'string' ? Date.parse(cursor.to) : NaN;
  const days = splitDays(range.from, range.to);
  for (const [i, day] of days.entries()) {
    for await (const part of readWindow(ctx, day.from, day.to)) {
      const batch: PollBatch = {
        payloads: part.items.map(toPayload),
        progress: {
          done: part.to.getTime() === day.to.getTime() ? i + 1 : i,
          total: days.length,
          label: day.from.toISOString().slice(0, 10),
        },
      };
      // The overlap re-reads behind the saved cursor: never move it backwards.
      if (!window)
        batch.cursor = {
          to: new Date(Math.max(part.to.getTime(), previousTo || 0)).toISOString(),
        };
      yield batch;
    }
  }
}

interface Range {
  from: Date;
  to: Date;
}

function backfillRange(w: PollWindow): Range | null {
  const from = floorSecond(w.from);
  const to = floorSecond(w.to);
  return to > from ? { from, to } : null;
}

function incrementalRange(ctx: PollContext<VoicenterConfig>, cursor: Cursor | null): Range | null {
  const end = floorSecond(new Date(ctx.now().getTime() - END_DELAY_MS));
  let from: Date;
  if (cursor && typeof cursor.to === 'string') {
    const saved = Date.parse(cursor.to);
    if (Number.isNaN(saved))
      throw new CallhouseError('INVALID_VALUE', `voicenter cursor.to is not a time: ${cursor.to}`);
    // A cursor at or past the end has nothing new to read.
    if (saved >= end.getTime()) return null;
    from = floorSecond(new Date(saved - ctx.config.overlap_minutes * 60_000));
  } else {
    from = new Date(end.getTime() - FIRST_RUN_LOOKBACK_MS);
  }
  return end > from ? { from, to: end } : null;
}

/** Cuts [from, to) at UTC midnights. */
export function splitDays(from: Date, to: Date): Range[] {
  const out: Range[] = [];
  let start = from.getTime();
  while (start < to.getTime()) {
    const midnight = Math.floor(start / DAY_MS) * DAY_MS + DAY_MS;
    const end = Math.min(midnight, to.getTime());
    out.push({ from: new Date(start), to: new Date(end) });
    start = end;
  }
  return out;
}

async function* readWindow(
  ctx: PollContext<VoicenterConfig>,
  from: Date,
  to: Date,
): AsyncGenerator<{ from: Date; to: Date; items: Record<string, unknown>[] }> {
  const page = await fetchCdrs(ctx, from, to);
  if (!page.overflow) {
    yield { from, to, items: page.items };
    return;
  }
  const span = to.getTime() - from.getTime();
  if (span <= MIN_WINDOW_MS) {
    throw new CallhouseError(
      'VENDOR_ERROR',
      `Voicenter holds ${page.totalHits} CDRs between ${from.toISOString()} and ${to.toISOString()}, more than one request returns (${ctx.config.max_records_per_request}); the window cannot be split further`,
    );
  }
  ctx.logger.debug({ from, to, total: page.totalHits }, 'voicenter: window holds too many CDRs; splitting');
  const mid = floorSecond(new Date(from.getTime() + span / 2));
  yield* readWindow(ctx, from, mid);
  yield* readWindow(ctx, mid, to);
}

function toPayload(item: Record<string, unknown>): RawPayload {
  return {
    key: new ItemFields(item).text('CallID'),
    body: Buffer.from(JSON.stringify(item), 'utf8'),
    content_type: 'application/json',
    meta: { endpoint: 'cdr' },
  };
}

function floorSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
