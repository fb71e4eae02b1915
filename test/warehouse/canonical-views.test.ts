/**
 * Every reporting view over the hand-written data set of ./canonical.ts, delivered the way the
 * sink delivers calls (message headers, look-up, merge, calls_ingest). Each expected row below is
 * worked out by hand from that file; the comments name the calls it comes from. A second
 * warehouse gets the same deliveries in the opposite order, one per insert, retried, recounted
 * in between and redelivered, and must show exactly the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOriginOf, callVersionOf, encodeCall } from '../../runtime/codec.js';
import type { InMessage } from '../../runtime/kafka.js';
import { rebuildRollups, rollupCheckSql } from '../../runtime/rollups.js';
import { insertBody, insertRows, queryRows } from '../../runtime/warehouse.js';
import { annotateCalls, CALLS_INGEST } from '../../sinks/clickhouse/rollup.js';
import { openTestWarehouse } from '../helpers/warehouse.js';
import { BILLING, DELIVERIES, type Delivery } from './canonical.js';
import { expectRows, rowsOf } from './helpers.js';

type TestWarehouse = Awaited<ReturnType<typeof openTestWarehouse>>;

/** One insert as the sink makes it: from messages, their headers read as the sink reads them. */
async function deliver(wh: TestWarehouse, ds: Delivery[], token: string): Promise<void> {
  const messages: InMessage[] = ds.map((d, i) => {
    const m = encodeCall(d.record, d.origin);
    return {
      topic: 'calls',
      partition: 0,
      offset: String(i),
      key: m.key as string,
      value: Buffer.from(m.value),
      headers: m.headers as Record<string, string>,
      timestamp: '0',
    };
  });
  const body = await annotateCalls(
    wh,
    messages.map((m) => m.value),
    messages.map(callVersionOf),
    messages.map(callOriginOf),
  );
  await insertBody(wh, CALLS_INGEST, body, token);
}

const VIEWS: [string, string][] = [
  ['kpi_daily', 'tenant, day, direction'],
  ['kpi_daily_from_calls', 'tenant, day, direction'],
  ['calls_hourly', 'tenant, hour, direction'],
  ['extension_daily', 'tenant, day, extension'],
  ['trunk_daily', 'tenant, day, trunk, direction'],
  ['queue_daily', 'tenant, day, queue'],
  ['unreturned_missed_calls', 'tenant, number'],
  ['cost_monthly', 'tenant, month, currency'],
];

const ALL_CALLS = `SELECT * FROM {db}.calls FINAL ORDER BY tenant, call_id, leg`;

let wh: TestWarehouse;
let shuffled: TestWarehouse;

beforeAll(async () => {
  wh = await openTestWarehouse();
  for (const batch of ['A', 'B', 'C'] as const) {
    await deliver(
      wh,
      DELIVERIES.filter((d) => d.batch === batch),
      `canonical-${batch}`,
    );
  }
  await insertRows(wh, 'billing_summary', BILLING, 'canonical-billing');

  // The other order: newest delivery first, one per insert, each insert retried with its token
  // (applied once) and every delivery made again under a new token at the end; the rollup is
  // recounted halfway (as after a restart that found it off), which must keep what it knows of
  // merged rows.
  shuffled = await openTestWarehouse();
  const reversed = [...DELIVERIES].reverse();
  for (const [i, d] of reversed.entries()) {
    await deliver(shuffled, [d], `one-${i}`);
    await deliver(shuffled, [d], `one-${i}`);
    if (i === Math.floor(reversed.length / 2)) await rebuildRollups(shuffled);
  }
  await deliver(shuffled, DELIVERIES, 'all-again');
  await insertRows(shuffled, 'billing_summary', [...BILLING].reverse(), 'canonical-billing');
}, 120_000);

afterAll(async () => {
  await wh?.drop();
  await shuffled?.drop();
});

describe('the canonical data set', () => {
  it('is one merged row per call record in calls', async () => {
    const [n] = await queryRows<{ n: string; calls: string }>(
      wh,
      `SELECT count() AS n, uniqExact(call_id, leg) AS calls FROM ${wh.database}.calls FINAL`,
    );
    // V1-V11 with V6's two legs (12), I1-I9 (9).
    expect([Number(n!.n), Number(n!.calls)]).toEqual([21, 21]);
  });

  it('keeps from every version what it knew, the precedence deciding between known values', async () => {
    const rows = await queryRows<Record<string, unknown>>(
      wh,
      `SELECT call_id, queue_wait_seconds, answered_at, ended_at, toString(cost) AS cost, recording, ring_seconds,
              talk_seconds, total_seconds, trunk, ingested_at
       FROM ${wh.database}.calls FINAL WHERE call_id IN ('V1', 'V2', 'V5', 'I3') ORDER BY call_id`,
    );
    expect(
      rows.map((r) => ({ ...r, ring_seconds: Number(r.ring_seconds), talk_seconds: Number(r.talk_seconds) })),
    ).toEqual([
      {
        call_id: 'I3',
        queue_wait_seconds: null,
        answered_at: null,
        ended_at: null,
        cost: null,
        recording: '',
        ring_seconds: 2,
        talk_seconds: 52, // the newer version's
        total_seconds: 54,
        trunk: 'sip1', // the older version's: the newer one has none
        ingested_at: '2024-10-27 09:00:00.000',
      },
      {
        call_id: 'V1',
        queue_wait_seconds: 15, // the notification's
        answered_at: '2024-03-28 22:00:18.000',
        ended_at: '2024-03-28 22:01:18.000',
        cost: '0.3', // the Call Log's
        recording: 'https://rec.example/v1.mp3',
        ring_seconds: 3,
        talk_seconds: 60,
        total_seconds: 63,
        trunk: '',
        ingested_at: '2024-03-29 06:00:00.000',
      },
      {
        call_id: 'V2',
        queue_wait_seconds: 25, // from the notification that arrived last but is older
        answered_at: '2024-03-29 00:30:29.000',
        ended_at: '2024-03-29 00:31:59.000',
        cost: '0.2',
        recording: '',
        ring_seconds: 4,
        talk_seconds: 90,
        total_seconds: 94,
        trunk: '',
        ingested_at: '2024-03-29 06:00:00.000', // the newest version's
      },
      {
        call_id: 'V5',
        queue_wait_seconds: null,
        answered_at: '2024-03-29 08:00:07.000', // the notification wins the answer time
        ended_at: '2024-03-29 08:02:05.000',
        cost: '0.5',
        recording: '',
        ring_seconds: 5, // the notification knew none
        talk_seconds: 120, // the Call Log wins talk over the notification's 118
        total_seconds: 125,
        trunk: '',
        ingested_at: '2024-03-29 08:10:00.000',
      },
    ]);
  });

  it('keeps the kpi_daily rollup exact', async () => {
    expect(await queryRows(wh, rollupCheckSql(wh.database))).toEqual([]);
    expect(await queryRows(shuffled, rollupCheckSql(shuffled.database))).toEqual([]);
  });

  it('kpi_daily (and kpi_daily_from_calls)', async () => {
    // prettier-ignore
    const expected = [
      ['2024-10-26', 'lon', 'ipcortex', 'outbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 52, 2, 0, 52], // I3, merged
      // I1 (four deliveries) I2 I5 I6 I7 I8; answered I1 I2 I6 I8: talk 100+200+30+10, ring 4+6+2+1
      ['2024-10-27', 'lon', 'ipcortex', 'inbound', 6, 4, 0, 0, 1, 1, 0, 0, 4 / 6, 5 / 6, 85, 3.25, 0, 340],
      ['2024-10-27', 'lon', 'ipcortex', 'outbound', 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, null, null, 0, 0], // I4: no mean of nothing
      ['2024-10-28', 'lon', 'ipcortex', 'outbound', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 15, 3, 0, 15], // I9
      ['2024-03-28', 'tlv', 'voicenter', 'internal', 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 20, 2, 0, 20], // V10
      // V1 V2 V3 V4 V7 V8; answered V1 V2 V4: talk 60+90+45, ring 3+4+5
      ['2024-03-29', 'tlv', 'voicenter', 'inbound', 6, 3, 2, 0, 0, 1, 0, 0, 0.5, 5 / 6, 65, 4, 0, 195],
      // V5 (talk 120 of the Call Log), V6 leg 2 (leg 1 not counted), V9: ring 5+6+4
      ['2024-03-29', 'tlv', 'voicenter', 'outbound', 3, 3, 0, 0, 0, 0, 0, 0, 1, 1, 190 / 3, 5, 0, 190],
      ['2024-04-01', 'tlv', 'voicenter', 'inbound', 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, null, null, 0, 0], // V11, local April
    ];
    expectRows(await rowsOf(wh, 'kpi_daily', 'tenant, day, direction'), expected);
    expectRows(await rowsOf(wh, 'kpi_daily_from_calls', 'tenant, day, direction'), expected);
  });

  it('calls_hourly', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'calls_hourly', 'tenant, hour, direction'), [
      ['2024-10-26 23:00:00', 'lon', 'outbound', 1, 1, 52, 52 / 3600],
      ['2024-10-27 01:00:00', 'lon', 'inbound', 2, 2, 300, 300 / 3600], // I1 (BST) and I2 (GMT): one wall-clock hour
      ['2024-10-27 12:00:00', 'lon', 'outbound', 1, 0, 0, 0],
      ['2024-10-27 13:00:00', 'lon', 'inbound', 1, 0, 0, 0],
      ['2024-10-27 14:00:00', 'lon', 'inbound', 2, 1, 30, 30 / 3600], // I6 I7
      ['2024-10-27 15:00:00', 'lon', 'inbound', 1, 1, 10, 10 / 3600],
      ['2024-10-28 10:00:00', 'lon', 'outbound', 1, 1, 15, 15 / 3600],
      ['2024-03-28 23:00:00', 'tlv', 'internal', 1, 1, 20, 20 / 3600],
      ['2024-03-29 00:00:00', 'tlv', 'inbound', 1, 1, 60, 60 / 3600],
      ['2024-03-29 03:00:00', 'tlv', 'inbound', 1, 1, 90, 90 / 3600], // V2: there is no 02:00 that day
      ['2024-03-29 09:00:00', 'tlv', 'inbound', 1, 0, 0, 0],
      ['2024-03-29 10:00:00', 'tlv', 'inbound', 1, 1, 45, 45 / 3600],
      ['2024-03-29 11:00:00', 'tlv', 'outbound', 1, 1, 120, 120 / 3600],
      ['2024-03-29 12:00:00', 'tlv', 'outbound', 1, 1, 40, 40 / 3600],
      ['2024-03-29 13:00:00', 'tlv', 'inbound', 1, 0, 0, 0],
      ['2024-03-29 14:00:00', 'tlv', 'inbound', 1, 0, 0, 0],
      ['2024-03-29 15:00:00', 'tlv', 'outbound', 1, 1, 30, 30 / 3600],
      ['2024-04-01 01:00:00', 'tlv', 'inbound', 1, 0, 0, 0],
    ]);
  });

  it('extension_daily', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'extension_daily', 'tenant, day, extension'), [
      ['2024-10-26', 'lon', '201', 0, 1, 0, 1, 0, 52], // I3
      ['2024-10-27', 'lon', '201', 3, 0, 0, 2, 1, 110], // I1 I8 answered, I5 missed
      ['2024-10-27', 'lon', '202', 2, 1, 0, 2, 0, 230], // I2 I6 in, I4 out (the caller missed nothing)
      ['2024-10-28', 'lon', '202', 0, 1, 0, 1, 0, 15], // I9
      ['2024-03-28', 'tlv', '101', 0, 0, 1, 1, 0, 20], // V10, its caller
      ['2024-03-28', 'tlv', '102', 0, 0, 1, 1, 0, 20], // V10, its callee
      ['2024-03-29', 'tlv', '101', 2, 1, 0, 2, 1, 180], // V1 V7 in (V7 missed), V5 out
      ['2024-03-29', 'tlv', '102', 2, 2, 0, 3, 1, 160], // V2 V8 in (V8 missed), V6 leg 2 and V9 out
      ['2024-03-29', 'tlv', '103', 1, 0, 0, 1, 0, 45], // V4
      ['2024-04-01', 'tlv', '101', 1, 0, 0, 0, 1, 0], // V11
    ]);
  });

  it('trunk_daily', async () => {
    // Voicenter gives no trunk; I3 keeps sip1 although its newer version came without one.
    expectRows(await rowsOf(wh, 'trunk_daily', 'tenant, day, trunk, direction'), [
      ['2024-10-26', 'lon', 'sip1', 'outbound', 1, 1, 52],
      ['2024-10-27', 'lon', 'sip1', 'inbound', 6, 4, 340],
      ['2024-10-27', 'lon', 'sip1', 'outbound', 1, 0, 0],
      ['2024-10-28', 'lon', 'sip1', 'outbound', 1, 1, 15],
    ]);
  });

  it('queue_daily', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'queue_daily', 'tenant, day, queue'), [
      // I6 answered after 8 s (within 20), I7 abandoned after 40 s, I8 answered, wait unknown
      ['2024-10-27', 'lon', 'help', 3, 2, 1, 1, 1 / 3, 8, 40],
      // V4 answered, its wait unknown: nothing that depends on a wait is known
      ['2024-03-29', 'tlv', 'sales', 1, 1, 0, null, null, null, null],
      // V1 after 15 s (within), V2 after 25 s (both from their notifications), V3 abandoned, wait unknown
      ['2024-03-29', 'tlv', 'support', 3, 2, 1, 1, 1 / 3, 20, 25],
    ]);
  });

  it('unreturned_missed_calls', async () => {
    // I7 called back by I9, V8 by V9; V6 leg 1 and outbound calls are never misses.
    expectRows(await rowsOf(wh, 'unreturned_missed_calls', 'tenant, number'), [
      ['lon', '+442071110005', '2024-10-27 13:00:00.000', '2024-10-27 13:00:00.000', 1], // I5
      ['tlv', '+972501114444', '2024-03-29 06:00:00.000', '2024-03-29 06:00:00.000', 1], // V3
      ['tlv', '+972501116666', '2024-03-31 22:30:00.000', '2024-03-31 22:30:00.000', 1], // V11
      ['tlv', '+972501234567', '2024-03-29 10:00:00.000', '2024-03-29 10:00:00.000', 1], // V7
    ]);
  });

  it('cost_monthly', async () => {
    // prettier-ignore
    expectRows(await rowsOf(wh, 'cost_monthly', 'tenant, month, currency'), [
      ['2024-09-01', 'lon', 'ipcortex', 0, 0, 5, 'GBP'], // a summary, no calls that month
      // I1-I9 unpriced; the summary: c1 12.34 (its device row d1 is part of it) + c2 1.50 (corrected from 1.00)
      ['2024-10-01', 'lon', 'ipcortex', 9, 52 + 100 + 200 + 30 + 10 + 15, 13.84, 'GBP'],
      // V10 V1-V5 V6 leg 2 V7-V9; priced V1 .30 V2 .20 V4 .25 V5 .50 V6/2 .15 V9 .10 (V6 leg 1's .05 not counted)
      ['2024-03-01', 'tlv', 'voicenter', 10, 20 + 60 + 90 + 45 + 120 + 40 + 30, 1.5, 'ILS'],
      ['2024-04-01', 'tlv', 'voicenter', 1, 0, null, 'ILS'], // V11: no cost known
    ]);
  });

  it('are the same whatever the order, batching, retries and redeliveries of the versions', async () => {
    for (const [view, order] of VIEWS) {
      expect(await rowsOf(shuffled, view, order), view).toEqual(await rowsOf(wh, view, order));
    }
    expect(await queryRows(shuffled, ALL_CALLS.replace('{db}', shuffled.database))).toEqual(
      await queryRows(wh, ALL_CALLS.replace('{db}', wh.database)),
    );
  });

  it('merges with the row written last when two stored rows of a call tie on ingested_at', async () => {
    // V2: the Call Log record, then its older notification merged in (same ingested_at as the
    // record, more fields), both rows left unmerged by the engine; then the record once more.
    const db = await openTestWarehouse();
    try {
      await db.client.command({ query: `SYSTEM STOP MERGES ${db.database}.calls` });
      const v2 = DELIVERIES.filter((d) => d.record.call_id === 'V2');
      const record = v2.find((d) => d.origin === 'cdr')!;
      await deliver(db, [record], 'v2-record');
      await deliver(db, [v2.find((d) => d.origin === 'notification')!], 'v2-notification');
      for (let i = 0; i < 3; i++) await deliver(db, [record], `v2-record-again-${i}`);
      const rows = await queryRows<{ w: number | null; n: string }>(
        db,
        `SELECT any(queue_wait_seconds) AS w, (SELECT count() FROM ${db.database}.calls) AS n FROM ${db.database}.calls FINAL`,
      );
      expect(rows.map((r) => [r.w, Number(r.n)])).toEqual([[25, 5]]);
    } finally {
      await db.drop();
    }
  });

  it('keeps, through a recount of the rollup, which feed each field of a merged row came from', async () => {
    const before = await queryRows(wh, ALL_CALLS.replace('{db}', wh.database));
    await rebuildRollups(wh);
    // The Call Log records once more: had the recount forgotten that V5's answer time is the
    // notification's, the Call Log's would now replace it.
    await deliver(
      wh,
      DELIVERIES.filter((d) => d.origin === 'cdr'),
      'cdr-again',
    );
    expect(await queryRows(wh, ALL_CALLS.replace('{db}', wh.database))).toEqual(before);
    expect(await queryRows(wh, rollupCheckSql(wh.database))).toEqual([]);
  });
});
