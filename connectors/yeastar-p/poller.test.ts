import { afterEach, describe, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import {
  startSimulator,
  type YeastarPSimulator,
  type YeastarPSimulatorOptions,
} from '../../simulators/yeastar-p/index.js';
import { buildReport } from '../../simulators/yeastar-p/reports.js';
import { clockAt, collect, config, pollContext, rowsOf } from './testing.js';
import { lastFire } from './periods.js';

let sim: YeastarPSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function setup(simOpts: YeastarPSimulatorOptions, cfg: Record<string, unknown>, at = '2024-03-11T09:00:00Z') {
  const clock = clockAt(at);
  sim = await startSimulator({ timezone: 'Europe/Berlin', seed: 7, now: clock.now, ...simOpts });
  const c = config({ base_url: sim.url, ...cfg });
  return { clock, cfg: c, ctx: pollContext(c, clock), sim };
}

const reportQueries = (s: YeastarPSimulator) =>
  s.requests.filter((r) => r.path.endsWith('/call_report/download')).map((r) => r.query);

describe('yeastar-p poller: display formats', () => {
  // The Berlin day 2024-03-10 is 2024-03-09 23:00Z .. 2024-03-10 23:00Z.
  const report = { type: 'extcallstatistics', ext_id_list: [2, 4] };
  const cases = [
    { displayFormat: 'MM/DD/YYYY', clock: '24', start: '03/10/2024 00:00:00', end: '03/10/2024 23:59:59' },
    { displayFormat: 'DD/MM/YYYY', clock: '12', start: '10/03/2024 12:00:00 AM', end: '10/03/2024 11:59:59 PM' },
    { displayFormat: 'YYYY/MM/DD', clock: '24', start: '2024/03/10 00:00:00', end: '2024/03/10 23:59:59' },
  ] as const;

  test.each(cases)('$displayFormat $clock-hour: exact times in the request and exact report rows', async (c) => {
    const { ctx, cfg } = await setup(
      { displayFormat: c.displayFormat, clock: c.clock },
      { display_format: c.displayFormat, clock: c.clock, reports: [report] },
    );
    const batches = await collect(ctx, null);
    expect(reportQueries(sim!)).toEqual([
      {
        type: 'extcallstatistics',
        ext_id_list: '2,4',
        start_time: c.start,
        end_time: c.end,
        access_token: expect.any(String),
      },
    ]);
    // The data depends only on the period's instants, so every format yields the same rows.
    const built = buildReport(
      'extcallstatistics',
      { ext_id_list: '2,4', start_time: '03/10/2024 00:00:00', end_time: '03/10/2024 23:59:59' },
      { ...sim!.settings, displayFormat: 'MM/DD/YYYY', clock: '24' },
    );
    expect(built.rows.map((r) => r.slice(0, 2))).toEqual([
      ['1002', '王伟'],
      ['1004', 'Smith, John'],
    ]);
    expect(rowsOf(cfg, batches)).toEqual(
      built.rows.map((cells, i) => ({
        tenant: 'pbx-p',
        connector_id: 'pbx-p',
        report_type: 'extcallstatistics',
        period_start: '2024-03-09 23:00:00.000',
        period_end: '2024-03-10 23:00:00.000',
        row_number: i + 1,
        fields: Object.fromEntries(built.columns.map((h, j) => [h, cells[j]])),
        ingested_at: '2024-03-11 09:00:01.000',
      })),
    );
    expect(batches.map((b) => b.cursor)).toEqual([{ extcallstatistics: '2024-03-10T23:00:00.000Z' }]);
  });

  test('a clock the PBX does not use gets an empty report (as on a real PBX), not an error', async () => {
    const { ctx } = await setup({ clock: '12' }, { clock: '24', reports: [report] });
    const batches = await collect(ctx, null);
    expect(batches.map((b) => b.payloads.length)).toEqual([0]);
  });

  test('`time` reports name a day, a month or a year in the display format', async () => {
    const { ctx, cfg } = await setup(
      { displayFormat: 'DD/MM/YYYY', durationFormat: 'hhmmss' },
      {
        display_format: 'DD/MM/YYYY',
        reports: [
          { type: 'trunkactivity', trunk_id_list: [1], include_internal: true },
          { type: 'queueperformanceactivity', queue_id_list: [1, 2], granularity: 'month' },
          { type: 'extcallactivity', ext_id_list: [1], granularity: 'year' },
        ],
      },
      '2024-01-02T09:00:00Z',
    );
    const batches = await collect(ctx, null);
    expect(reportQueries(sim!).map(({ access_token: _, ...q }) => q)).toEqual([
      { type: 'trunkactivity', trunk_id_list: '1', include_internal: '1', time: '01/01/2024' },
      { type: 'queueperformanceactivity', queue_id_list: '1,2', time: '12/2023' },
      { type: 'extcallactivity', ext_id_list: '1', time: '2023' },
    ]);
    const rows = rowsOf(cfg, batches);
    const per = (t: string) => rows.filter((r) => r.report_type === t);
    expect(per('trunkactivity').map((r) => r.fields.Time)).toEqual(
      Array.from(
        { length: 24 },
        (_, h) => `${String(h).padStart(2, '0')}:00 - ${String((h + 1) % 24).padStart(2, '0')}:00`,
      ),
    );
    expect(per('trunkactivity')[0]!.fields['Inbound Talking Time']).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(per('queueperformanceactivity').map((r) => r.fields.Time)).toHaveLength(31);
    expect(per('queueperformanceactivity')[30]!.fields.Time).toBe('31/12/2023');
    expect(per('extcallactivity').map((r) => [r.fields.Time, r.period_start, r.period_end])[11]).toEqual([
      '12/2023',
      '2022-12-31 23:00:00.000',
      '2023-12-31 23:00:00.000',
    ]);
  });
});

describe('yeastar-p poller: periods and cursor', () => {
  test('first run reads the last whole period; the cursor moves on; a cursor in the future reads nothing', async () => {
    const { ctx, clock } = await setup(
      {},
      { reports: [{ type: 'queueperformance', queue_id_list: [1], granularity: 'hour' }] },
    );
    const first = await collect(ctx, null);
    expect(first.map((b) => [b.progress?.label, b.cursor])).toEqual([
      ['queueperformance 2024-03-11 09:00', { queueperformance: '2024-03-11T09:00:00.000Z' }],
    ]);
    clock.t += 3 * 3600_000;
    const next = await collect(ctx, first[0]!.cursor!);
    expect(next.map((b) => b.progress)).toEqual([
      { done: 1, total: 3, label: 'queueperformance 2024-03-11 10:00' },
      { done: 2, total: 3, label: 'queueperformance 2024-03-11 11:00' },
      { done: 3, total: 3, label: 'queueperformance 2024-03-11 12:00' },
    ]);
    expect(await collect(ctx, { queueperformance: '2024-03-12T00:00:00.000Z' })).toEqual([]);
  });

  test('a per-report schedule holds a period back until the schedule fires after it', async () => {
    const report = { type: 'ringgroupstatistics', ring_group_id_list: [1, 2], schedule: '30 6 * * *' };
    const cursor = { ringgroupstatistics: '2024-03-08T23:00:00.000Z' };
    const early = await setup({}, { reports: [report] }, '2024-03-11T05:00:00Z'); // 06:00 Berlin
    expect((await collect(early.ctx, cursor)).map((b) => b.progress?.label)).toEqual([
      'ringgroupstatistics 2024-03-09 00:00',
    ]);
    early.clock.t += 3600_000; // 07:00 Berlin: today's 06:30 has fired
    expect((await collect(early.ctx, cursor)).map((b) => b.progress?.label)).toEqual([
      'ringgroupstatistics 2024-03-09 00:00',
      'ringgroupstatistics 2024-03-10 00:00',
    ]);
  });

  test('lastFire follows cron day-of-week and the zone', () => {
    const at = (iso: string) => DateTime.fromISO(iso, { zone: 'UTC' });
    expect(lastFire('30 6 * * 1-5', at('2024-03-10T12:00:00Z'), 'Europe/Berlin')?.toISO()).toBe(
      '2024-03-08T06:30:00.000+01:00',
    );
    expect(lastFire('5 * * * *', at('2024-03-10T12:04:00Z'), 'UTC')?.toISO()).toBe('2024-03-10T11:05:00.000Z');
    expect(lastFire('0 0 29 2 *', at('2024-03-01T00:00:00Z'), 'UTC')?.toISO()).toBe('2024-02-29T00:00:00.000Z');
  });

  test('a long report is split into payloads of at most 500 rows with stable row numbers', async () => {
    const { ctx, cfg } = await setup(
      { detailRowsPerHour: 30 },
      { reports: [{ type: 'extcallbillingdetails', trunk_id_list: [1, 2] }] },
    );
    const batches = await collect(ctx, null);
    const payloads = batches[0]!.payloads;
    const built = buildReport(
      'extcallbillingdetails',
      { trunk_id_list: '1,2', start_time: '03/10/2024 00:00:00', end_time: '03/10/2024 23:59:59' },
      sim!.settings,
    );
    expect(built.rows.length).toBeGreaterThan(500);
    expect(payloads.map((p) => [p.key, p.meta.first_row_number, p.meta.rows])).toEqual([
      ['extcallbillingdetails:2024-03-09 23:00:00.000', '1', '500'],
      ['extcallbillingdetails:2024-03-09 23:00:00.000', '501', String(built.rows.length - 500)],
    ]);
    expect(payloads[1]!.body.toString('utf8').split('\r\n')[0]).toBe(
      'Time,Extension Number,Extension Name,Callee,Trunk,Billable Duration,Cost',
    );
    const rows = rowsOf(cfg, batches);
    expect(rows.map((r) => r.row_number)).toEqual(built.rows.map((_, i) => i + 1));
    expect(rows.map((r) => Object.values(r.fields))).toEqual(built.rows);
  });

  test('re-reading the same period (backfill) yields identical payloads and moves no cursor', async () => {
    const { ctx } = await setup(
      {},
      {
        reports: [
          { type: 'queueagentperformance', queue_id: 1, agent_id_list: [1, 2, 3] },
          { type: 'ivr', ivr_id_list: [1, 2], granularity: 'hour' },
        ],
      },
    );
    const window = { from: new Date('2024-03-10T06:00:00Z'), to: new Date('2024-03-10T09:00:00Z') };
    const a = await collect(ctx, null, window);
    const b = await collect(ctx, null, window);
    expect(a.map((x) => x.progress?.label)).toEqual([
      'queueagentperformance 2024-03-10 00:00',
      'ivr 2024-03-10 07:00',
      'ivr 2024-03-10 08:00',
      'ivr 2024-03-10 09:00',
    ]);
    expect(a.every((x) => x.cursor === undefined)).toBe(true);
    const flat = (batches: typeof a) =>
      batches.flatMap((x) => x.payloads.map((p) => ({ ...p, body: p.body.toString('utf8') })));
    expect(flat(b)).toEqual(flat(a));
    expect(flat(a).map((p) => p.key)).toEqual([
      'queueagentperformance:2024-03-09 23:00:00.000',
      'ivr:2024-03-10 06:00:00.000',
      'ivr:2024-03-10 07:00:00.000',
      'ivr:2024-03-10 08:00:00.000',
    ]);
    // Different file names each time (the PBX stamps them), same payloads.
    const files = sim!.requests.filter((r) => r.path.startsWith('/api/download/')).map((r) => r.path);
    expect(new Set(files).size).toBe(8);
  });
});
