/**
 * The reporting views of CONTRACT section 6 on the real embedded engine, over the hand-built
 * data set in ./fixture.ts. Every expected row below was worked out by hand from that file;
 * the comments name the calls each figure comes from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../runtime/migrations.js';
import { insertRows } from '../../runtime/warehouse.js';
import { openTestWarehouse } from '../helpers/warehouse.js';
import { batch1, batch2, localOf } from './fixture.js';
import { columnsOf, expectRows, insertCalls, rowsOf } from './helpers.js';

type TestWarehouse = Awaited<ReturnType<typeof openTestWarehouse>>;
let wh: TestWarehouse;

beforeAll(async () => {
  wh = await openTestWarehouse();
  // Separate inserts leave separate unmerged parts, as redeliveries do.
  await insertCalls(wh, batch1);
  await insertCalls(wh, batch2);
});
afterAll(async () => wh?.drop());

describe('fixture', () => {
  it('puts the DST edges where the tests assume them', () => {
    expect(localOf('2024-03-31 00:30:00.000', 'Europe/London')).toBe('2024-03-31 00:30:00.000');
    expect(localOf('2024-03-31 01:30:00.000', 'Europe/London')).toBe('2024-03-31 02:30:00.000');
    expect(localOf('2024-10-27 00:30:00.000', 'Europe/London')).toBe('2024-10-27 01:30:00.000');
    expect(localOf('2024-10-27 01:30:00.000', 'Europe/London')).toBe('2024-10-27 01:30:00.000');
    expect(localOf('2024-03-10 06:59:00.000', 'America/New_York')).toBe('2024-03-10 01:59:00.000');
    expect(localOf('2024-03-10 07:00:00.000', 'America/New_York')).toBe('2024-03-10 03:00:00.000');
    expect(localOf('2024-03-11 03:30:00.000', 'America/New_York')).toBe('2024-03-10 23:30:00.000');
  });
});

describe('reporting views', () => {
  it('have exactly the contract columns, in order', async () => {
    const expected: Record<string, string[]> = {
      kpi_daily: [
        'day',
        'tenant',
        'source',
        'direction',
        'attempts',
        'answered',
        'no_answer',
        'busy',
        'cancelled',
        'abandoned',
        'voicemail',
        'failed',
        'asr',
        'ner',
        'acd_seconds',
        'avg_ring_seconds',
        'short_calls',
        'talk_seconds',
      ],
      calls_hourly: ['hour', 'tenant', 'direction', 'attempts', 'answered', 'talk_seconds', 'erlangs'],
      extension_daily: [
        'day',
        'tenant',
        'extension',
        'inbound',
        'outbound',
        'internal',
        'answered',
        'missed',
        'talk_seconds',
      ],
      trunk_daily: ['day', 'tenant', 'trunk', 'direction', 'attempts', 'answered', 'talk_seconds'],
      queue_daily: [
        'day',
        'tenant',
        'queue',
        'offered',
        'answered',
        'abandoned',
        'answered_within_sla',
        'service_level',
        'avg_wait_seconds',
        'max_wait_seconds',
      ],
      unreturned_missed_calls: ['tenant', 'number', 'first_missed_at', 'last_missed_at', 'missed_count'],
      cost_monthly: ['month', 'tenant', 'source', 'calls', 'billable_seconds', 'cost', 'currency'],
    };
    for (const [view, cols] of Object.entries(expected)) expect(await columnsOf(wh, view), view).toEqual(cols);
  });

  it('kpi_daily', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'kpi_daily', 'tenant, day, direction'), [
      // L1 L2 L3 L4 L5 L7 L8 L10 L11 L15 L15T L16; answered L1 L2 L4 L8 L15 L15T:
      // talk 120+9+60+15+40+100 = 344, ring 5+8+3+2+4+3 = 25, short L2 (9 s); L16 system counts only as an attempt.
      ['2024-03-31', 'lon', 'yeastar-s', 'inbound', 12, 6, 1, 0, 1, 1, 1, 1, 6 / 12, 8 / 12, 344 / 6, 25 / 6, 1, 344],
      ['2024-03-31', 'lon', 'yeastar-s', 'internal', 2, 1, 1, 0, 0, 0, 0, 0, 0.5, 1, 30, 2, 0, 30], // L13 L14 (L18 leg 1 not)
      ['2024-03-31', 'lon', 'yeastar-s', 'outbound', 2, 1, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 50, 5, 0, 50], // L17 unknown, L18 leg 2
      ['2024-04-01', 'lon', 'yeastar-s', 'inbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 25, 2, 0, 25], // L9
      ['2024-04-01', 'lon', 'yeastar-s', 'outbound', 2, 1, 0, 1, 0, 0, 0, 0, 0.5, 1, 300, 6, 0, 300], // L6 busy, L12 (3 deliveries)
      ['2024-10-27', 'lon', 'yeastar-s', 'outbound', 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1800, 1, 0, 3600], // L19 L20
      ['2024-02-29', 'nyc', 'voicenter', 'inbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 30, 3, 0, 30], // N7, late
      ['2024-02-29', 'nyc', 'voicenter', 'outbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 45, 7, 0, 45], // N8, UTC March
      ['2024-03-09', 'nyc', 'voicenter', 'inbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 200, 6, 0, 200], // N1, UTC 03-10
      ['2024-03-10', 'nyc', 'voicenter', 'inbound', 2, 1, 1, 0, 0, 0, 0, 0, 0.5, 1, 5, 2, 1, 5], // N2 N3
      ['2024-03-10', 'nyc', 'voicenter', 'internal', 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, null, null, 0, 0], // N6: no answered call, no mean
      ['2024-03-10', 'nyc', 'voicenter', 'outbound', 2, 1, 0, 0, 0, 0, 0, 1, 0.5, 0.5, 600, 10, 0, 600], // N4, N5 (UTC 03-11)
      ['2024-03-31', 'nyc', 'voicenter', 'inbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 12, 2, 0, 12], // N9's correction
      ['2024-03-31', 'nyc', 'voicenter', 'outbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 60, 5, 0, 60], // N10
    ]);
  });

  it('calls_hourly', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'calls_hourly', 'tenant, hour, direction'), [
      ['2024-03-31 00:00:00', 'lon', 'inbound', 1, 1, 120, 120 / 3600], // L1, GMT
      ['2024-03-31 02:00:00', 'lon', 'inbound', 1, 1, 9, 9 / 3600], // L2, BST: no 01:00 that day
      ['2024-03-31 10:00:00', 'lon', 'internal', 2, 1, 30, 30 / 3600],
      ['2024-03-31 11:00:00', 'lon', 'inbound', 2, 1, 60, 60 / 3600],
      ['2024-03-31 13:00:00', 'lon', 'inbound', 2, 1, 15, 15 / 3600],
      ['2024-03-31 14:00:00', 'lon', 'inbound', 1, 0, 0, 0],
      ['2024-03-31 15:00:00', 'lon', 'inbound', 2, 2, 140, 140 / 3600], // L15 + L15T
      ['2024-03-31 16:00:00', 'lon', 'inbound', 1, 0, 0, 0],
      ['2024-03-31 17:00:00', 'lon', 'outbound', 1, 0, 0, 0],
      ['2024-03-31 18:00:00', 'lon', 'outbound', 1, 1, 50, 50 / 3600],
      ['2024-03-31 19:00:00', 'lon', 'inbound', 1, 0, 0, 0],
      ['2024-03-31 21:00:00', 'lon', 'inbound', 1, 0, 0, 0],
      ['2024-04-01 12:00:00', 'lon', 'outbound', 1, 0, 0, 0],
      ['2024-04-01 15:00:00', 'lon', 'inbound', 1, 1, 25, 25 / 3600],
      ['2024-04-01 21:00:00', 'lon', 'outbound', 1, 1, 300, 300 / 3600],
      ['2024-10-27 01:00:00', 'lon', 'outbound', 2, 2, 3600, 1], // both real 01:xx hours in one wall-clock hour
      ['2024-02-29 11:00:00', 'nyc', 'inbound', 1, 1, 30, 30 / 3600],
      ['2024-02-29 21:00:00', 'nyc', 'outbound', 1, 1, 45, 45 / 3600],
      ['2024-03-09 23:00:00', 'nyc', 'inbound', 1, 1, 200, 200 / 3600],
      ['2024-03-10 01:00:00', 'nyc', 'inbound', 1, 0, 0, 0], // N2, EST
      ['2024-03-10 03:00:00', 'nyc', 'inbound', 1, 1, 5, 5 / 3600], // N3, EDT a minute later
      ['2024-03-10 10:00:00', 'nyc', 'internal', 1, 0, 0, 0],
      ['2024-03-10 11:00:00', 'nyc', 'outbound', 1, 1, 600, 600 / 3600],
      ['2024-03-10 23:00:00', 'nyc', 'outbound', 1, 0, 0, 0],
      ['2024-03-31 08:00:00', 'nyc', 'outbound', 1, 1, 60, 60 / 3600],
      ['2024-03-31 19:00:00', 'nyc', 'inbound', 1, 1, 12, 12 / 3600],
    ]);
  });

  it('extension_daily', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'extension_daily', 'tenant, day, extension'), [
      // 201: in L1 L4 L7 L8 L15, out L18, internal L13 L14 (caller); answered L1 L4 L8 L15 L18 L13; missed L7
      ['2024-03-31', 'lon', '201', 5, 1, 2, 6, 1, 120 + 60 + 15 + 40 + 50 + 30],
      // 202: in L2 L5 L10, internal L13 (callee); answered L2 L13; missed L5 L10
      ['2024-03-31', 'lon', '202', 3, 0, 1, 2, 2, 9 + 30],
      // 203: in L15T, out L17, internal L14 (callee, missed)
      ['2024-03-31', 'lon', '203', 1, 1, 1, 1, 1, 100],
      ['2024-04-01', 'lon', '201', 1, 1, 0, 2, 0, 25 + 300], // L9, L12
      ['2024-04-01', 'lon', '202', 0, 1, 0, 0, 0, 0], // L6
      ['2024-10-27', 'lon', '201', 0, 2, 0, 2, 0, 3600],
      ['2024-02-29', 'nyc', '301', 1, 1, 0, 2, 0, 30 + 45], // N7, N8
      ['2024-03-09', 'nyc', '301', 1, 0, 0, 1, 0, 200],
      ['2024-03-10', 'nyc', '301', 1, 0, 1, 1, 0, 5], // N3, N6 as caller (N2 reached no extension)
      ['2024-03-10', 'nyc', '302', 0, 2, 1, 1, 1, 600], // N4 N5, N6 as callee (busy: missed)
      ['2024-03-31', 'nyc', '301', 0, 1, 0, 1, 0, 60],
      ['2024-03-31', 'nyc', '302', 1, 0, 0, 1, 0, 12],
    ]);
  });

  it('trunk_daily', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'trunk_daily', 'tenant, day, trunk, direction'), [
      ['2024-03-31', 'lon', 'bt', 'inbound', 12, 6, 344],
      ['2024-03-31', 'lon', 'bt', 'outbound', 2, 1, 50],
      ['2024-04-01', 'lon', 'bt', 'inbound', 1, 1, 25],
      ['2024-04-01', 'lon', 'bt', 'outbound', 2, 1, 300],
      ['2024-10-27', 'lon', 'bt', 'outbound', 2, 2, 3600],
      ['2024-02-29', 'nyc', 'att', 'inbound', 1, 1, 30],
      ['2024-02-29', 'nyc', 'att', 'outbound', 1, 1, 45],
      ['2024-03-09', 'nyc', 'att', 'inbound', 1, 1, 200],
      ['2024-03-10', 'nyc', 'att', 'inbound', 2, 1, 5],
      ['2024-03-10', 'nyc', 'att', 'outbound', 2, 1, 600],
      ['2024-03-31', 'nyc', 'att', 'inbound', 1, 1, 12],
      ['2024-03-31', 'nyc', 'att', 'outbound', 1, 1, 60],
    ]);
  });

  it('queue_daily', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'queue_daily', 'tenant, day, queue'), [
      // L1 answered after 20 s (within), L2 after 21 s (not), L3 abandoned after 45 s, L4 answered, wait unknown
      ['2024-03-31', 'lon', 'sales', 4, 3, 1, 1, 0.25, (20 + 21) / 2, 45],
      ['2024-03-09', 'nyc', 'support', 1, 1, 0, 1, 1, 10, 10], // N1
      ['2024-03-10', 'nyc', 'support', 2, 1, 0, 1, 0.5, 19, 25], // N2 no answer after 25 s, N3 after 19 s
    ]);
  });

  it('unreturned_missed_calls', async () => {
    // L5 returned by L6 23 h later; L11 by L12 exactly 24 h later; L7 only by L9 25 h later (and L8
    // before it); N2 by N4; N10 (another tenant) does not return L3 / L10.
    expectRows(await rowsOf(wh, 'unreturned_missed_calls', 'tenant, number'), [
      ['lon', '+447700900003', '2024-03-31 10:00:00.000', '2024-03-31 18:00:00.000', 2],
      ['lon', '+447700900006', '2024-03-31 13:00:00.000', '2024-03-31 13:00:00.000', 1],
      ['lon', '+447700900009', '2024-03-31 15:00:00.000', '2024-03-31 15:00:00.000', 1],
    ]);
  });

  it('cost_monthly', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'cost_monthly', 'tenant, month, currency'), [
      // 16 calls of 03-31; talk 344 + 30 + 50; cost L1 .10 L2 .05 L4 .06 L8 .02 L15 .04 L15T .10 L18/2 .20
      ['2024-03-01', 'lon', 'yeastar-s', 16, 424, 0.57, 'GBP'],
      ['2024-04-01', 'lon', 'yeastar-s', 3, 325, 0.33, 'GBP'], // L6 L9 L12
      ['2024-10-01', 'lon', 'yeastar-s', 2, 3600, 1, 'GBP'],
      ['2024-02-01', 'nyc', 'voicenter', 2, 75, 0.1, 'USD'], // N7, N8 (local February)
      ['2024-03-01', 'nyc', 'voicenter', 1, 0, null, ''], // N5, unpriced: cost unknown, not 0
      // N1 N2 N3 N4 N6 N9 N10; talk 200+5+600+12+60; cost .50 .01 1.20 .02 .60
      ['2024-03-01', 'nyc', 'voicenter', 7, 877, 2.33, 'USD'],
    ]);
  });
});

describe('thresholds', () => {
  it('are read from report_settings, and a newer row changes the views', async () => {
    // Each change is a newer row; updated_at (default now64) must move on between a change and its undo.
    const set = async (name: string, value: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, 5));
      await insertRows(wh, 'report_settings', [{ name, value, description: 'test' }]);
    };
    await set('service_level_seconds', 21);
    await set('short_call_seconds', 6);
    await set('callback_window_hours', 23);
    try {
      expectRows(await rowsOf(wh, 'queue_daily', 'tenant, day, queue'), [
        ['2024-03-31', 'lon', 'sales', 4, 3, 1, 2, 0.5, 20.5, 45], // L2's 21 s now within
        ['2024-03-09', 'nyc', 'support', 1, 1, 0, 1, 1, 10, 10],
        ['2024-03-10', 'nyc', 'support', 2, 1, 0, 1, 0.5, 19, 25],
      ]);
      const shorts = await rowsOf(wh, 'kpi_daily', 'tenant, day, direction');
      expect(shorts.map((r) => Number(r[16]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]); // only N3 (5 s)
      expectRows(await rowsOf(wh, 'unreturned_missed_calls', 'tenant, number'), [
        ['lon', '+447700900003', '2024-03-31 10:00:00.000', '2024-03-31 18:00:00.000', 2],
        ['lon', '+447700900006', '2024-03-31 13:00:00.000', '2024-03-31 13:00:00.000', 1],
        ['lon', '+447700900007', '2024-03-31 20:00:00.000', '2024-03-31 20:00:00.000', 1], // L12 came 24 h later
        ['lon', '+447700900009', '2024-03-31 15:00:00.000', '2024-03-31 15:00:00.000', 1],
      ]);
    } finally {
      await set('service_level_seconds', 20);
      await set('short_call_seconds', 10);
      await set('callback_window_hours', 24);
    }
  });
});

describe('migrations with the views present', () => {
  it('re-apply as a no-op and leave every view answering the same', async () => {
    const views = [
      'kpi_daily',
      'calls_hourly',
      'extension_daily',
      'trunk_daily',
      'queue_daily',
      'unreturned_missed_calls',
      'cost_monthly',
    ];
    const before = await Promise.all(views.map((v) => rowsOf(wh, v, 'ALL')));
    const again = await migrate(wh);
    expect(again.applied).toEqual([]);
    expect(again.views).toEqual(expect.arrayContaining(views.map((v, i) => `${10 + i}_${v}.sql`)));
    const after = await Promise.all(views.map((v) => rowsOf(wh, v, 'ALL')));
    expect(after).toEqual(before);
  });
});
