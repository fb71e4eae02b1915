import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CallhouseError } from '../../runtime/errors.js';
import type { Cursor, PollBatch, PollContext, PollWindow } from '../core/contract.js';
import { normaliseIpcortex } from '../../transforms/ipcortex/index.js';
import { INGESTED_AT } from '../../transforms/ipcortex/fixtures.js';
import {
  startSimulator,
  type IpcortexSimulator,
  type IpcortexSimulatorOptions,
} from '../../simulators/ipcortex/index.js';
import type { SimCall } from '../../simulators/ipcortex/data.js';
import { ipcortexConfigSchema, type IpcortexConfig } from './config.js';
import { readIpcortex } from './poller.js';
import { ipcortex } from './index.js';

const sims: IpcortexSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function sim(opts: IpcortexSimulatorOptions = {}): Promise<IpcortexSimulator> {
  const s = await startSimulator({ seed: 7, callsPerDay: 16, timezone: 'Europe/London', ...opts });
  sims.push(s);
  return s;
}

function config(s: IpcortexSimulator, extra: Record<string, unknown> = {}): IpcortexConfig {
  return ipcortexConfigSchema.parse({
    id: 'pabx-test',
    type: 'ipcortex',
    timezone: 'Europe/London',
    country: 'GB',
    base_url: s.url,
    username: 'billing',
    password: 'billing-pass',
    cost_divisor: 100,
    lookback_days: 0,
    retry_base_ms: 1000,
    retry_max_ms: 8000,
    ...extra,
  });
}

interface Harness {
  ctx: PollContext<IpcortexConfig>;
  sleeps: number[];
}

function harness(cfg: IpcortexConfig, now: string): Harness {
  const sleeps: number[] = [];
  return {
    sleeps,
    ctx: {
      config: cfg,
      logger: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      session: new Map(),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      now: () => new Date(now),
    },
  };
}

async function collect(h: Harness, cursor: Cursor | null, window?: PollWindow): Promise<PollBatch[]> {
  const out: PollBatch[] = [];
  for await (const b of readIpcortex(h.ctx, cursor, window)) out.push(b);
  return out;
}

async function failure(p: Promise<unknown>): Promise<CallhouseError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CallhouseError);
    return e as CallhouseError;
  }
  throw new Error('expected a failure');
}

const normalise = (cfg: IpcortexConfig, b: PollBatch['payloads'][number]) =>
  normaliseIpcortex(b.body, b.content_type, {
    config: cfg,
    meta: b.meta,
    received_at: INGESTED_AT,
    ingested_at: INGESTED_AT,
    warn: () => undefined,
  });

/** What the canonical record of a simulated call must say, worked out from the simulator's truth. */
function expected(c: SimCall) {
  const inn = c.in?.item;
  const out = c.out?.item;
  const direction =
    c.kind === 'inbound' || c.kind === 'queued' ? 'inbound' : c.kind === 'outbound' ? 'outbound' : 'internal';
  const talk = (inn ?? out)!.billsecs;
  let disposition: string;
  if (!inn) disposition = talk > 0 ? 'answered' : 'no_answer';
  else if (inn.detail === 'Answered') disposition = 'answered';
  else if (inn.qstatus === 'ABANDONED' || inn.qstatus === 'TIMEOUT') disposition = 'abandoned';
  else disposition = inn.detail === 'Busy' ? 'busy' : 'no_answer';
  return {
    call_id: String(c.acctid),
    direction,
    caller: inn ? inn.caller : out!.cid,
    callee: c.in ? c.in.extension : out!.dialled,
    talk_seconds: talk,
    ring_seconds: (inn ?? out)!.ringtime,
    disposition,
    queue: c.kind === 'queued' ? c.in!.extension : '',
    did: inn?.ddi ?? '',
    trunk: out?.trunk ?? '',
    started_local_day: c.day,
  };
}

function actual(r: ReturnType<typeof normalise>['calls'][number]) {
  return {
    call_id: r.call_id,
    direction: r.direction,
    caller: r.caller,
    callee: r.callee,
    talk_seconds: r.talk_seconds,
    ring_seconds: r.ring_seconds,
    disposition: r.disposition,
    queue: r.queue,
    did: r.did,
    trunk: r.trunk,
    started_local_day: r.started_local.slice(0, 10),
  };
}

describe('ipcortex poller against the simulator', () => {
  it('a known day (allcalls) gives exactly that day’s calls, one per acctid, plus the month summary', async () => {
    const s = await sim();
    const cfg = config(s);
    const batches = await collect(harness(cfg, '2026-03-11T05:00:00Z'), { day: '2026-03-09' });
    expect(batches.map((b) => [b.cursor, b.progress])).toEqual([
      [{ day: '2026-03-10' }, { done: 1, total: 1, label: '2026-03-10' }],
    ]);

    const truth = s.expectedCalls('2026-03-10');
    expect(truth.length).toBe(24);
    expect(truth.some((c) => c.kind === 'internal')).toBe(true);
    const payloads = batches[0]!.payloads;
    const callPayloads = payloads.filter((p) => p.meta.endpoint === 'allcalls');
    expect(callPayloads.map((p) => p.key)).toEqual(truth.map((c) => String(c.acctid)));

    const records = callPayloads.flatMap((p) => normalise(cfg, p).calls);
    expect(records.map(actual)).toEqual(truth.map(expected));
    // allcalls carries no cost; the month summary does.
    expect(records.every((r) => r.cost === null)).toBe(true);

    const summaries = payloads.filter((p) => p.meta.endpoint === 'outsummary');
    expect(summaries.map((p) => [p.key, p.meta])).toEqual([
      ['outsummary:default:2026-03', { endpoint: 'outsummary', company: 'default', month: '2026-03' }],
      ['outsummary:acme:2026-03', { endpoint: 'outsummary', company: 'acme', month: '2026-03' }],
    ]);
    const totals = s.expectedSummary(2026, 3);
    const billing = summaries.flatMap((p) => normalise(cfg, p).billing);
    const want = [...totals.entries()].flatMap(([company, devices]) => {
      const list = [...devices.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      const sum = (f: (t: (typeof list)[number][1]) => number) => list.reduce((n, [, t]) => n + f(t), 0);
      // tenths of a penny → pounds: three places.
      const gbp = (tenths: number) => String(tenths / 1000);
      return [
        [company, '', gbp(sum((t) => t.costTenths)), sum((t) => t.seconds), sum((t) => t.unknown)],
        ...list.map(([id, t]) => [company, id, gbp(t.costTenths), t.seconds, t.unknown]),
      ];
    });
    expect(billing.map((b) => [b.company, b.device_id, b.cost, b.billable_seconds, b.unknown_cost_calls])).toEqual(
      want,
    );
    expect(billing.every((b) => b.month === '2026-03-01' && b.currency === 'GBP')).toBe(true);
  });

  it('inout mode on an older PABX (no allcalls) gives the same calls with the same call_ids, with cost', async () => {
    const s = await sim({ allcalls: false });
    const cfg = config(s, { mode: 'inout', companies: ['default', 'acme'], billing_summary: false });
    const batches = await collect(harness(cfg, '2026-03-11T05:00:00Z'), { day: '2026-03-09' });
    const truth = s.expectedCalls('2026-03-10');
    const records = batches[0]!.payloads.flatMap((p) => normalise(cfg, p).calls);
    expect(records.map((r) => r.call_id)).toEqual(truth.map((c) => String(c.acctid)));
    // incalls carries no ddi: everything else agrees with the allcalls reading.
    expect(records.map((r) => ({ ...actual(r), did: '' }))).toEqual(truth.map((c) => ({ ...expected(c), did: '' })));
    const costs = new Map(truth.map((c) => [String(c.acctid), c.costTenths]));
    for (const r of records) {
      const tenths = costs.get(r.call_id);
      expect(r.cost).toBe(r.direction === 'inbound' ? null : tenths === null ? null : String(tenths! / 1000));
    }
    expect(s.requests.filter((r) => r.path.startsWith('/rest/call')).map((r) => r.path)).toEqual([
      '/rest/call/incalls',
      '/rest/call/outcalls',
      '/rest/call/incalls',
      '/rest/call/outcalls',
    ]);
  });

  it('allcalls on a PABX older than 6.2.16 says to use inout', async () => {
    const s = await sim({ allcalls: false });
    const e = await failure(collect(harness(config(s), '2026-03-11T05:00:00Z'), { day: '2026-03-09' }));
    expect([e.code, e.message]).toEqual([
      'VENDOR_ERROR',
      'allcalls: not found on this PABX (HTTP 404); allcalls needs 6.2.16+, use mode: inout',
    ]);
  });

  it('concurrent reads by two connectors on one PABX never overlap at the simulator', async () => {
    const s = await sim({ processingDelayMs: 25 });
    const a = harness(config(s, { id: 'pabx-a' }), '2026-03-11T05:00:00Z');
    const b = harness(
      config(s, { id: 'pabx-b', key: 'sim-api-key-0001', username: undefined, password: undefined }),
      '2026-03-11T05:00:00Z',
    );
    const [ra, rb] = await Promise.all([collect(a, { day: '2026-03-06' }), collect(b, { day: '2026-03-06' })]);
    expect(ra.length).toBe(4);
    expect(rb.length).toBe(4);
    expect(s.stats().maxConcurrency).toBe(1);
    expect(s.stats().retries).toBe(0);
    expect(s.stats().reports).toBe(10);
  });

  it('a locked billing engine is waited out with growing, jittered back-off', async () => {
    const s = await sim();
    const h = harness(config(s, { billing_summary: false }), '2026-03-11T05:00:00Z');
    s.lockNext(3);
    const batches = await collect(h, { day: '2026-03-09' });
    expect(batches[0]!.payloads.length).toBe(24);
    expect(s.stats().retries).toBe(3);
    expect(h.sleeps.length).toBe(3);
    [1000, 2000, 4000].forEach((exp, i) => {
      expect(h.sleeps[i]).toBeGreaterThanOrEqual(exp / 2);
      expect(h.sleeps[i]).toBeLessThanOrEqual(exp);
    });
  });

  it('a lock that outlasts the retries → VENDOR_LOCKED (retriable)', async () => {
    const s = await sim();
    s.lockNext(100);
    const e = await failure(
      collect(harness(config(s, { lock_retries: 2 }), '2026-03-11T05:00:00Z'), { day: '2026-03-09' }),
    );
    expect([e.code, e.retriable]).toEqual(['VENDOR_LOCKED', true]);
    expect(e.message).toBe(
      'allcalls: billing engine still locked after 3 attempts: Another user has billing locked. Please try again in a moment.',
    );
    expect(s.stats().retries).toBe(3);
  });

  it('bad credentials → VENDOR_AUTH, not retriable, with no secret in the message', async () => {
    const s = await sim();
    const bad = await failure(
      collect(harness(config(s, { password: 'wrong-password-42' }), '2026-03-11T05:00:00Z'), null),
    );
    expect([bad.code, bad.retriable]).toEqual(['VENDOR_AUTH', false]);
    expect(bad.message).toBe('login as "billing" refused: Authentication failed: bad username or password');
    const badKey = await failure(
      collect(
        harness(config(s, { key: 'not-a-key-123', username: undefined, password: undefined }), '2026-03-11T05:00:00Z'),
        null,
      ),
    );
    expect([badKey.code, badKey.message]).toEqual(['VENDOR_AUTH', 'allcalls: Authentication failed: invalid auth key']);
    expect(s.stats().reports).toBe(0);
  });

  it('a user without billing permission → VENDOR_FORBIDDEN', async () => {
    const s = await sim({ users: [{ username: 'billing', password: 'billing-pass', billing: false }] });
    const e = await failure(collect(harness(config(s), '2026-03-11T05:00:00Z'), null));
    expect(e.code).toBe('VENDOR_FORBIDDEN');
  });

  it('an expired session is renewed transparently, and the session is closed at the end', async () => {
    const s = await sim({ sessionMaxRequests: 2 });
    const batches = await collect(harness(config(s), '2026-03-11T05:00:00Z'), { day: '2026-03-06' });
    expect(batches.map((b) => b.cursor)).toEqual([
      { day: '2026-03-07' },
      { day: '2026-03-08' },
      { day: '2026-03-09' },
      { day: '2026-03-10' },
    ]);
    const calls = batches.flatMap((b) => b.payloads.filter((p) => p.meta.endpoint === 'allcalls').map((p) => p.key));
    expect(calls).toEqual(s.expectedCalls('2026-03-07', '2026-03-10').map((c) => String(c.acctid)));
    // 5 reports, 2 per session: logins before reports 1, 3 and 5.
    expect(s.stats()).toMatchObject({ reports: 5, logins: 3, logouts: 1, openSessions: 0 });
  });

  it('a resumed cursor re-reads only the lookback window, then yesterday', async () => {
    const s = await sim();
    const h = harness(config(s, { lookback_days: 3, billing_summary: false }), '2026-03-20T04:00:00Z');
    const batches = await collect(h, { day: '2026-03-15' });
    expect(batches.map((b) => b.cursor!.day)).toEqual([
      '2026-03-13',
      '2026-03-14',
      '2026-03-15',
      '2026-03-16',
      '2026-03-17',
      '2026-03-18',
      '2026-03-19',
    ]);
    const s2 = await sim();
    const again = await collect(
      harness(config(s2, { lookback_days: 3, billing_summary: false }), '2026-03-20T23:59:00Z'),
      { day: '2026-03-19' },
    );
    expect(again.map((b) => b.cursor!.day)).toEqual(['2026-03-17', '2026-03-18', '2026-03-19']);
    expect(s2.requests.filter((r) => r.path === '/rest/call/allcalls').map((r) => r.scope?.day)).toEqual([17, 18, 19]);
  });

  it('the first run reads the lookback window before yesterday, and yesterday', async () => {
    const s = await sim();
    const batches = await collect(
      harness(config(s, { lookback_days: 2, billing_summary: false }), '2026-03-20T04:00:00Z'),
      null,
    );
    expect(batches.map((b) => b.cursor!.day)).toEqual(['2026-03-17', '2026-03-18', '2026-03-19']);
  });

  it('a cursor in the future (or today) reads nothing and asks the PABX nothing', async () => {
    const s = await sim();
    expect(
      await collect(harness(config(s, { lookback_days: 3 }), '2026-03-20T04:00:00Z'), { day: '2026-04-01' }),
    ).toEqual([]);
    expect(
      await collect(harness(config(s, { lookback_days: 3 }), '2026-03-20T04:00:00Z'), { day: '2026-03-20' }),
    ).toEqual([]);
    expect(s.requests).toEqual([]);
  });

  it('days are the PABX’s local days: a UTC evening in New York is still that local day', async () => {
    const s = await sim({ timezone: 'America/New_York' });
    const cfg = config(s, { timezone: 'America/New_York', billing_summary: false });
    // 02:00 UTC on the 11th is 22:00 on the 10th in New York: yesterday there is the 9th.
    const batches = await collect(harness(cfg, '2026-03-11T02:00:00Z'), { day: '2026-03-08' });
    expect(batches.map((b) => b.cursor!.day)).toEqual(['2026-03-09']);
    const records = batches[0]!.payloads.flatMap((p) => normalise(cfg, p).calls);
    expect(records.map((r) => r.started_local.slice(0, 10))).toEqual(records.map(() => '2026-03-09'));
  });

  it('a backfill window reads each local day once, summaries per month, and moves no cursor', async () => {
    const s = await sim();
    const h = harness(config(s), '2026-03-20T04:00:00Z');
    const batches = await collect(h, null, {
      from: new Date('2026-02-27T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
    });
    expect(batches.map((b) => [b.cursor, b.progress])).toEqual([
      [undefined, { done: 1, total: 3, label: '2026-02-27' }],
      [undefined, { done: 2, total: 3, label: '2026-02-28' }],
      [undefined, { done: 3, total: 3, label: '2026-03-01' }],
    ]);
    expect(
      s.requests
        .filter((r) => r.path.startsWith('/rest/call'))
        .map((r) => [r.path, r.scope?.month, r.scope?.day ?? null]),
    ).toEqual([
      ['/rest/call/allcalls', 2, 27],
      ['/rest/call/allcalls', 2, 28],
      ['/rest/call/outsummary', 2, null],
      ['/rest/call/allcalls', 3, 1],
      ['/rest/call/outsummary', 3, null],
    ]);
    const keys = batches.flatMap((b) => b.payloads.filter((p) => p.meta.endpoint === 'allcalls').map((p) => p.key));
    expect(keys).toEqual(s.expectedCalls('2026-02-27', '2026-03-01').map((c) => String(c.acctid)));
  });

  it('an unreachable PABX → retriable VENDOR_UNAVAILABLE after the retries', async () => {
    const s = await sim();
    const cfg = config(s, { lock_retries: 1, key: 'secret-key-abcdef', username: undefined, password: undefined });
    await s.close();
    sims.splice(sims.indexOf(s), 1);
    const e = await failure(collect(harness(cfg, '2026-03-11T05:00:00Z'), null));
    expect([e.code, e.retriable]).toEqual(['VENDOR_UNAVAILABLE', true]);
    expect(e.message).not.toContain('secret-key-abcdef');
  });

  it('check logs in and out with session credentials, and reports bad ones', async () => {
    const s = await sim();
    await ipcortex.poll!.check!(harness(config(s), '2026-03-11T05:00:00Z').ctx);
    expect(s.stats()).toMatchObject({ logins: 1, logouts: 1, openSessions: 0, reports: 0 });
    const e = await failure(
      ipcortex.poll!.check!(harness(config(s, { password: 'nope-nope' }), '2026-03-11T05:00:00Z').ctx),
    );
    expect(e.code).toBe('VENDOR_AUTH');
  });

  it('every simulated call of a week normalises, for several seeds, in both modes', async () => {
    for (const seed of [1, 2, 99]) {
      const s = await sim({ seed, callsPerDay: 40 });
      for (const mode of ['allcalls', 'inout'] as const) {
        const cfg = config(s, { mode, companies: mode === 'inout' ? ['default', 'acme'] : undefined });
        const batches = await collect(harness(cfg, '2026-01-05T05:00:00Z'), { day: '2025-12-28' });
        const records = batches.flatMap((b) => b.payloads.flatMap((p) => normalise(cfg, p).calls));
        expect(records.map((r) => r.call_id)).toEqual(
          s.expectedCalls('2025-12-29', '2026-01-04').map((c) => String(c.acctid)),
        );
        expect(new Set(records.map((r) => r.disposition))).toEqual(
          new Set(['answered', 'no_answer', 'busy', 'abandoned']),
        );
      }
    }
  });
});
