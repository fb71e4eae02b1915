import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type VoicenterSimOptions, type VoicenterSimulator } from '../../simulators/voicenter/index.js';
import type { Cursor, PollBatch, PollWindow } from '../core/contract.js';
import { CallhouseError } from '../../runtime/errors.js';
import { voicenter } from './index.js';
import { virtualContext, type VirtualPollContext } from './test-poll-context.js';
import { ALL_CDR_FIELDS } from './config.js';

const DAY = '2024-06-10';
const dayStart = new Date(`${DAY}T00:00:00Z`);
const dayEnd = new Date('2024-06-11T00:00:00Z');
let sim: VoicenterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A simulator and a context that share one virtual clock. */
async function setUp(
  simOpts: VoicenterSimOptions,
  config: Record<string, unknown> = {},
  nowIso = '2024-06-12T12:00:00Z',
) {
  // eslint-disable-next-line prefer-const -- the simulator's clock reads it before it is set
  let ctx: VirtualPollContext | undefined;
  sim = await startSimulator({
    seed: 7,
    callsPerDay: 300,
    now: () => ctx!.clock.ms,
    ...simOpts,
  });
  ctx = virtualContext(
    {
      base_url: sim.url,
      code: sim.code,
      requests_per_minute: 1000,
      min_spacing_ms: 0,
      ...config,
    },
    nowIso,
  );
  return { sim, ctx };
}

async function collect(ctx: VirtualPollContext, cursor: Cursor | null, window?: PollWindow): Promise<PollBatch[]> {
  const out: PollBatch[] = [];
  for await (const b of voicenter.poll!.read(ctx, cursor, window)) out.push(b);
  return out;
}
const bodies = (batches: PollBatch[]) =>
  batches.flatMap((b) => b.payloads.map((p) => JSON.parse(p.body.toString('utf8')) as Record<string, unknown>));
const identity = (r: Record<string, unknown>) => `${String(r.CallID)}#${String(r.CdrType)}`;
async function readError(p: Promise<unknown>): Promise<CallhouseError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CallhouseError);
    return e as CallhouseError;
  }
  throw new Error('expected a CallhouseError');
}

describe('voicenter poller against the simulator', () => {
  it('reads a day that needs window splitting: exactly the simulator calls, no duplicates', async () => {
    const { sim, ctx } = await setUp({ maxReturn: 50 }, { max_records_per_request: 50 });
    const batches = await collect(ctx, null, { from: dayStart, to: dayEnd });
    const expected = sim.cdrsBetween(dayStart, dayEnd);
    expect(expected.length).toBeGreaterThan(300);
    expect(bodies(batches)).toEqual(expected);
    const ids = bodies(batches).map(identity);
    expect(new Set(ids).size).toBe(ids.length);
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(expected.length / 50));
    expect(sim.requests.every((r) => r.returned <= 50 && r.errorNumber === 0)).toBe(true);
    // every payload is keyed by its CallID and marked as a Call Log record
    expect(batches.flatMap((b) => b.payloads.map((p) => [p.key, p.meta.endpoint]))).toEqual(
      expected.map((r) => [r.CallID, 'cdr']),
    );
    // backfill leaves the cursor alone and reports progress by day
    expect(batches.every((b) => b.cursor === undefined)).toBe(true);
    expect(batches.at(-1)!.progress).toEqual({ done: 1, total: 1, label: DAY });
  });

  it('splits on error 3 (CDR limit exceeded) just the same', async () => {
    const { sim, ctx } = await setUp({ maxReturn: 60, overLimit: 'error' }, { max_records_per_request: 60 });
    const batches = await collect(ctx, null, { from: dayStart, to: dayEnd });
    expect(bodies(batches)).toEqual(sim.cdrsBetween(dayStart, dayEnd));
    expect(sim.requests.some((r) => r.errorNumber === 3)).toBe(true);
  });

  it('backfills several days day by day, with progress', async () => {
    const { sim, ctx } = await setUp({ callsPerDay: 40 });
    const from = new Date('2024-06-08T06:00:00Z');
    const batches = await collect(ctx, null, { from, to: dayEnd });
    expect(batches.map((b) => b.progress)).toEqual([
      { done: 1, total: 3, label: '2024-06-08' },
      { done: 2, total: 3, label: '2024-06-09' },
      { done: 3, total: 3, label: '2024-06-10' },
    ]);
    expect(bodies(batches)).toEqual(sim.cdrsBetween(from, dayEnd));
  });

  it('sends the documented request: code, fields, GMT-0 dates without zone, todate inclusive', async () => {
    const { sim, ctx } = await setUp({ callsPerDay: 5 }, { identity_criteria: 'Account' });
    await collect(ctx, null, { from: dayStart, to: dayEnd });
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]!.body).toEqual({
      code: sim.code,
      format: 'JSON',
      fields: [...ALL_CDR_FIELDS],
      search: {
        fromdate: '2024-06-10T00:00:00',
        todate: '2024-06-10T23:59:59',
        IdentityCriteria: 'Account',
      },
      sort: [{ field: 'date', order: 'asc' }],
    });
  });

  it('always asks for CallID and Date, and reads response keys whatever their casing', async () => {
    const { sim, ctx } = await setUp({ callsPerDay: 30 }, { fields: ['Targetextension', 'DialStatus'] });
    const batches = await collect(ctx, null, { from: dayStart, to: dayEnd });
    expect(sim.requests[0]!.body.fields).toEqual(['Targetextension', 'DialStatus', 'CallID', 'Date']);
    const items = bodies(batches);
    expect(Object.keys(items[0]!).sort()).toEqual(['CallID', 'Date', 'DialStatus', 'TargetExtension']);
    const withExt = items.find((i) => i.TargetExtension !== '')!;
    const payload = batches.flatMap((b) => b.payloads).find((p) => p.key === withExt.CallID)!;
    const [call] = voicenter.normalise(payload.body, payload.content_type, {
      config: ctx.config,
      received_at: '2024-06-12 12:00:00.000',
      ingested_at: '2024-06-12 12:00:00.000',
      meta: payload.meta,
      warn: () => undefined,
    }).calls;
    expect(call!.callee_ext).toBe(withExt.TargetExtension);
  });

  it('backs off on error 1 (rate limit) and loses nothing', async () => {
    const { sim, ctx } = await setUp({ maxReturn: 50, requestsPerMinute: 3 }, { max_records_per_request: 50 });
    const batches = await collect(ctx, null, { from: dayStart, to: dayEnd });
    expect(bodies(batches)).toEqual(sim.cdrsBetween(dayStart, dayEnd));
    const limited = sim.requests.filter((r) => r.errorNumber === 1).length;
    expect(limited).toBeGreaterThan(0);
    expect(ctx.slept.length).toBeGreaterThanOrEqual(limited);
  });

  it('enforces requests_per_minute and min_spacing_ms on our side', async () => {
    const { sim, ctx } = await setUp(
      { maxReturn: 20, requestsPerMinute: 30 },
      {
        max_records_per_request: 20,
        requests_per_minute: 30,
        min_spacing_ms: 2000,
      },
    );
    await collect(ctx, null, { from: dayStart, to: dayEnd });
    expect(sim.requests.length).toBeGreaterThan(30);
    expect(sim.requests.every((r) => r.errorNumber === 0)).toBe(true);
    expect(ctx.slept.every((ms) => ms > 0)).toBe(true);
    expect(ctx.clock.ms - Date.parse('2024-06-12T12:00:00Z')).toBeGreaterThanOrEqual((sim.requests.length - 1) * 2000);
  });

  it('error 2 stops with VENDOR_AUTH, without the code in the message', async () => {
    const { ctx } = await setUp({ code: 'the-right-code' }, { code: 'a-wrong-code-123' });
    const e = await readError(collect(ctx, null, { from: dayStart, to: dayEnd }));
    expect(e.code).toBe('VENDOR_AUTH');
    expect(e.retriable).toBe(false);
    expect(e.message).toBe(
      'Voicenter refused the code (error 2: Authorization failed.): check `code` of connector vc-test against the Call Log API code in Voicenter CPanel',
    );
  });

  it('error 4 stops with VENDOR_FORBIDDEN, saying to whitelist the server IP', async () => {
    const { ctx } = await setUp({ allowIps: ['192.0.2.10'] });
    const e = await readError(collect(ctx, null, { from: dayStart, to: dayEnd }));
    expect(e.code).toBe('VENDOR_FORBIDDEN');
    expect(e.message).toBe(
      "Voicenter does not trust this server's address (error 4: IP address 127.0.0.1 is not trusted.): whitelist the server's public IP in Voicenter CPanel (API settings)",
    );
  });

  it('error 4 sent with HTTP 403 is read from the body too', async () => {
    const { ctx } = await setUp({
      allowIps: ['192.0.2.10'],
      httpErrorStatus: true,
    });
    expect((await readError(collect(ctx, null, { from: dayStart, to: dayEnd }))).code).toBe('VENDOR_FORBIDDEN');
  });

  it('error 5 is a clear VENDOR_ERROR naming the window', async () => {
    const { sim, ctx } = await setUp({});
    sim.failNext(5);
    const e = await readError(collect(ctx, null, { from: dayStart, to: dayEnd }));
    expect(e.code).toBe('VENDOR_ERROR');
    expect(e.message).toBe(
      'Voicenter rejected the date range 2024-06-10T00:00:00..2024-06-10T23:59:59 UTC (error 5: Date range invalid.)',
    );
  });

  it('a minute that still overflows is an error, not a loop', async () => {
    const { ctx } = await setUp({ maxReturn: 0, overLimit: 'error' });
    const e = await readError(collect(ctx, null, { from: dayStart, to: dayEnd }));
    expect(e.code).toBe('VENDOR_ERROR');
    expect(e.message).toMatch(/the window cannot be split further$/);
  });

  it('incremental reads: first run one day back, then from the cursor less the overlap', async () => {
    const { sim, ctx } = await setUp({ callsPerDay: 200 }, {}, '2024-06-10T12:00:30Z');
    const first = await collect(ctx, null);
    const end1 = new Date('2024-06-10T11:59:30Z');
    expect(bodies(first)).toEqual(sim.cdrsBetween(new Date('2024-06-09T11:59:30Z'), end1));
    expect(first.at(-1)!.cursor).toEqual({ to: end1.toISOString() });

    ctx.clock.ms = Date.parse('2024-06-10T12:05:30Z');
    const second = await collect(ctx, first.at(-1)!.cursor!);
    const end2 = new Date('2024-06-10T12:04:30Z');
    // re-reads the 30 minutes of overlap: duplicates there are expected and removed in the warehouse
    expect(bodies(second)).toEqual(sim.cdrsBetween(new Date('2024-06-10T11:29:30Z'), end2));
    expect(second.at(-1)!.cursor).toEqual({ to: end2.toISOString() });
  });

  it('never moves the cursor backwards while re-reading the overlap', async () => {
    const { ctx } = await setUp({ maxReturn: 3 }, { max_records_per_request: 3 }, '2024-06-10T12:01:00Z');
    const cursor = { to: '2024-06-10T11:50:00.000Z' };
    const batches = await collect(ctx, cursor);
    expect(batches.length).toBeGreaterThan(1);
    const tos = batches.map((b) => Date.parse(String(b.cursor!.to)));
    expect(tos.every((t) => t >= Date.parse(cursor.to))).toBe(true);
    expect(batches.at(-1)!.cursor).toEqual({ to: '2024-06-10T12:00:00.000Z' });
  });

  it('a cursor in the future reads nothing', async () => {
    const { sim, ctx } = await setUp({});
    expect(await collect(ctx, { to: '2030-01-01T00:00:00.000Z' })).toEqual([]);
    expect(sim.requests).toHaveLength(0);
  });

  it('without a code there is nothing to poll', async () => {
    const { sim, ctx } = await setUp({}, { code: undefined });
    expect(await collect(ctx, null)).toEqual([]);
    expect(sim.requests).toHaveLength(0);
  });

  it('check() passes with good credentials and fails with a bad code', async () => {
    const { sim, ctx } = await setUp({});
    await expect(voicenter.poll!.check!(ctx)).resolves.toBeUndefined();
    expect(sim.requests).toHaveLength(1);
    sim.failNext(2);
    expect((await readError(voicenter.poll!.check!(ctx))).code).toBe('VENDOR_AUTH');
  });
});
