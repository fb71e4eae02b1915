/**
 * kpi_daily is read from an incremental rollup (sql/030_kpi_rollup.sql) that the sink keeps exact.
 * These tests hold it to kpi_daily_from_calls (the same figures from `calls FINAL` at query time,
 * whose values reporting-views.test.ts checks by hand) under every order of delivery: one call per
 * insert in reverse, retried inserts, redeliveries, late corrections that move a call to another
 * day, direction or disposition, older versions arriving after newer ones, and random histories.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callVersionOf, encodeCall } from '../../runtime/codec.js';
import type { InMessage } from '../../runtime/kafka.js';
import { migrate } from '../../runtime/migrations.js';
import { rebuildRollups, rollupCheckSql } from '../../runtime/rollups.js';
import { insertBody, insertRows, queryRows } from '../../runtime/warehouse.js';
import { annotateCalls, CALLS_INGEST, chunks, writeCalls } from '../../sinks/clickhouse/rollup.js';
import { DISPOSITIONS, type CallRecord } from '../../transforms/core/model.js';
import { openTestWarehouse } from '../helpers/warehouse.js';
import { batch1, batch2, call } from './fixture.js';
import { rowsOf } from './helpers.js';

type TestWarehouse = Awaited<ReturnType<typeof openTestWarehouse>>;

/** The rows on which kpi_daily and kpi_daily_from_calls differ (none when the rollup is exact). */
async function differences(wh: TestWarehouse): Promise<unknown[]> {
  return queryRows(wh, rollupCheckSql(wh.database));
}

const rows = (records: CallRecord[]): Record<string, unknown>[] => records as unknown as Record<string, unknown>[];

describe('kpi_daily rollup', () => {
  let reference: TestWarehouse;
  let wh: TestWarehouse;
  beforeAll(async () => {
    reference = await openTestWarehouse();
    await writeCalls(reference, rows(batch1));
    await writeCalls(reference, rows(batch2));
    wh = await openTestWarehouse();
  });
  afterAll(async () => {
    await reference?.drop();
    await wh?.drop();
  });

  it('agrees with kpi_daily_from_calls on the hand-checked data set', async () => {
    expect(await differences(reference)).toEqual([]);
    expect((await rowsOf(reference, 'kpi_daily', 'ALL')).length).toBeGreaterThan(10);
  });

  it('gives the same rows whatever the order and batching of deliveries, retries included', async () => {
    // Every record on its own insert, newest first (so every older version arrives late), each
    // insert retried with its token (applied once) and then redelivered under a new token.
    const all = [...batch1, ...batch2].reverse();
    for (const [i, r] of all.entries()) {
      const token = `one-${i}`;
      const body = await annotateCalls(wh, [JSON.stringify(r)]);
      await insertBody(wh, CALLS_INGEST, body, token);
      await insertBody(wh, CALLS_INGEST, body, token); // a retry of the same insert
      await writeCalls(wh, rows([r])); // a redelivery
    }
    // And the whole data set again in one insert, each call twice within it.
    await writeCalls(wh, rows([...batch1, ...batch2, ...batch1, ...batch2]));
    expect(await differences(wh)).toEqual([]);
    expect(await rowsOf(wh, 'kpi_daily', 'ALL')).toEqual(await rowsOf(reference, 'kpi_daily', 'ALL'));
  });

  it('takes a call version from its message header only where the header agrees with the row', async () => {
    const db = await openTestWarehouse();
    try {
      const a = batch1[0]!;
      const b = batch1.find((r) => r.call_id !== a.call_id)!;
      await writeCalls(db, rows([a])); // so that `a` has a counted version to look up
      const later = { ...a, ingested_at: '2099-01-01 00:00:00.000' };
      const message = (r: CallRecord, headers?: Record<string, string>): InMessage => {
        const out = encodeCall(r);
        return {
          topic: 't',
          partition: 0,
          offset: '0',
          key: out.key as string,
          value: Buffer.from(out.value),
          headers: headers ?? (out.headers as Record<string, string>),
          timestamp: '0',
        };
      };
      const good = [message(later), message(b)];
      expect(callVersionOf(good[0]!)).toEqual({
        tenant: a.tenant,
        connector_id: a.connector_id,
        call_id: a.call_id,
        leg: a.leg,
        ingested_at: '2099-01-01 00:00:00.000',
      });
      // A header that names another call, an older ingested_at, or none at all is not used.
      const header = JSON.parse(good[0]!.headers['callhouse-call-version']!) as unknown[];
      const liar = message(later, {
        'callhouse-call-version': JSON.stringify([...header.slice(0, 4), '2000-01-01 00:00:00.000']),
      });
      const other = message(later, {
        'callhouse-call-version': JSON.stringify([header[0], header[1], 'other', 0, header[4]]),
      });
      expect(callVersionOf(liar)).toBeUndefined();
      expect(callVersionOf(other)).toBeUndefined();
      expect(callVersionOf(message(later, {}))).toBeUndefined();
      expect(callVersionOf(message({ ...later, tenant: 'zürich' }))).toBeUndefined(); // not ASCII: parsed instead
      // With or without headers, the body sent to the warehouse is the same: `a` replaces its counted version.
      const lines = good.map((m) => m.value);
      const parsed = await annotateCalls(db, lines);
      expect((await annotateCalls(db, lines, good.map(callVersionOf))).equals(parsed)).toBe(true);
      expect((await annotateCalls(db, lines, [liar, other].map(callVersionOf))).equals(parsed)).toBe(true);
      const [first, second] = parsed
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(first).toMatchObject({
        call_id: a.call_id,
        rollup_apply: 1,
        prev_exists: 1,
        prev_disposition: a.disposition,
      });
      expect(second).toMatchObject({ call_id: b.call_id, rollup_apply: 1, prev_exists: 0 });
      // Bytes around the object are kept as the engine would read them: whitespace, an empty object.
      const odd = await annotateCalls(db, [Buffer.from('{ }'), Buffer.from(' {"call_id":"x"} \n'), 'not json']);
      expect(odd.toString()).toBe(
        '{"rollup_apply":1,"prev_exists":0}\n {"call_id":"x","rollup_apply":1,"prev_exists":0}\nnot json\n',
      );
    } finally {
      await db.drop();
    }
  });

  it('finds the counted version of calls whose ids hold tabs, newlines, backslashes, NULs and other text', async () => {
    const db = await openTestWarehouse();
    try {
      const ids = [
        'tab\there',
        'new\nline',
        'cr\rlf\r\n',
        'back\\slash\\',
        'nul\u0000byte',
        'qu\'o"te',
        'ünï cødé 📞',
        '',
        ' ',
        '\\t',
      ];
      const first = ids.map((call_id) =>
        call({ tenant: 'lon', call_id, at: '2024-05-01 10:00:00', direction: 'inbound', disposition: 'no_answer' }),
      );
      await writeCalls(db, rows(first));
      const later = first.map((r) => ({
        ...r,
        disposition: 'answered' as const,
        talk_seconds: 30,
        ingested_at: '2024-05-03 00:00:00.000',
      }));
      // Every later version must find the first one counted: prev_exists 1, and the same day.
      const body = (
        await annotateCalls(
          db,
          later.map((r) => JSON.stringify(r)),
        )
      ).toString('utf8');
      const annotated = body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(annotated.map((r) => [r.call_id, r.prev_exists, r.prev_disposition])).toEqual(
        ids.map((id) => [id, 1, 'no_answer']),
      );
      await insertBody(db, CALLS_INGEST, Buffer.from(body), 'odd-ids-later');
      expect(await differences(db)).toEqual([]);
      const kpi = await queryRows<{ attempts: string; answered: string }>(
        db,
        `SELECT attempts, answered FROM ${db.database}.kpi_daily`,
      );
      expect(kpi.map((r) => [Number(r.attempts), Number(r.answered)])).toEqual([[ids.length, ids.length]]);
    } finally {
      await db.drop();
    }
  });

  it('looks calls up in parts for a ClickHouse server (parameters travel in its URL), finding each', async () => {
    const db = await openTestWarehouse();
    try {
      const first = Array.from({ length: 12_000 }, (_, i) =>
        call({
          tenant: 'lon',
          call_id: `${'x'.repeat(40)}-${i}`,
          at: '2024-05-01 10:00:00',
          direction: 'inbound',
          disposition: 'no_answer',
        }),
      );
      await writeCalls(db, rows(first));
      const later = first.map((r) => ({
        ...r,
        disposition: 'answered' as const,
        ingested_at: '2024-05-03 00:00:00.000',
      }));
      // The same engine, taken for a server: the look-up goes out in parts of at most 256 KiB of text.
      const body = await annotateCalls(
        { ...db, embedded: false },
        later.map((r) => JSON.stringify(r)),
      );
      const prevExists = body
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { prev_exists: number }).prev_exists);
      expect(prevExists.length).toBe(first.length);
      expect(prevExists.every((p) => p === 1)).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('moves a corrected call from its old day, direction and disposition to the new ones', async () => {
    const db = await openTestWarehouse();
    try {
      const first = call({
        tenant: 'lon',
        call_id: 'moved',
        at: '2024-05-01 23:30:00',
        direction: 'inbound',
        disposition: 'no_answer',
      });
      const later = call({
        tenant: 'lon',
        call_id: 'moved',
        at: '2024-05-02 00:30:00',
        direction: 'outbound',
        disposition: 'answered',
        talk_seconds: 7,
        ring_seconds: 3,
      });
      later.ingested_at = '2024-05-03 00:00:00.000';
      await writeCalls(db, rows([first]));
      await writeCalls(db, rows([later]));
      await writeCalls(db, rows([first])); // the older version again: changes nothing
      const kpi = await queryRows<Record<string, unknown>>(
        db,
        `SELECT toString(day) AS day, direction, attempts, answered, no_answer, short_calls, talk_seconds, avg_ring_seconds
         FROM ${db.database}.kpi_daily`,
      );
      expect(
        kpi.map((r) => ({
          ...r,
          attempts: Number(r.attempts),
          answered: Number(r.answered),
          no_answer: Number(r.no_answer),
          short_calls: Number(r.short_calls),
          talk_seconds: Number(r.talk_seconds),
        })),
      ).toEqual([
        {
          day: '2024-05-02',
          direction: 'outbound',
          attempts: 1,
          answered: 1,
          no_answer: 0,
          short_calls: 1,
          talk_seconds: 7,
          avg_ring_seconds: 3,
        },
      ]);
      expect(await differences(db)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('takes the last inserted of two versions with the same ingested_at, as calls FINAL does', async () => {
    const db = await openTestWarehouse();
    try {
      await db.client.command({ query: `SYSTEM STOP MERGES ${db.database}.call_contrib` });
      const at = { tenant: 'lon' as const, call_id: 'tie', at: '2024-05-01 10:00:00', direction: 'inbound' as const };
      const versions = (['busy', 'failed', 'answered', 'no_answer', 'voicemail'] as const).map((disposition) => ({
        ...call({ ...at, disposition, talk_seconds: disposition === 'answered' ? 30 : 0 }),
        ingested_at: '2024-05-02 00:00:00.000',
      }));
      for (const v of versions) await writeCalls(db, rows([v])); // five parts, one version each
      const body = await annotateCalls(db, [
        JSON.stringify({ ...versions[0], ingested_at: '2024-05-03 00:00:00.000' }),
      ]);
      expect(JSON.parse(body.toString())).toMatchObject({
        rollup_apply: 1,
        prev_exists: 1,
        prev_disposition: 'voicemail',
      });
      expect(await differences(db)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('stays exact over random histories of deliveries (property)', async () => {
    const db = await openTestWarehouse();
    const version = fc.record({
      call: fc.integer({ min: 0, max: 5 }),
      leg: fc.constantFrom(0, 0, 0, 1, 2),
      day: fc.integer({ min: 1, max: 3 }),
      hour: fc.constantFrom(0, 12, 23),
      direction: fc.constantFrom('inbound', 'outbound', 'internal'),
      disposition: fc.constantFrom(...DISPOSITIONS),
      talk: fc.constantFrom(0, 5, 9, 10, 11, 119, 120, 121, 3600),
      ring: fc.integer({ min: 0, max: 30 }),
      ingested: fc.integer({ min: 0, max: 4 }), // few values, so that equal versions happen
    });
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(version, { minLength: 1, maxLength: 30 }),
          fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
          async (history, cuts) => {
            const tenant = `p${run++}`;
            const records = history.map((v) => ({
              ...call({
                tenant: 'lon',
                call_id: `c${v.call}`,
                at: `2024-06-0${v.day} ${String(v.hour).padStart(2, '0')}:15:00`,
                direction: v.direction as CallRecord['direction'],
                disposition: v.disposition as CallRecord['disposition'],
                talk_seconds: v.talk,
                ring_seconds: v.ring,
              }),
              tenant,
              leg: v.leg,
              ingested_at: `2024-07-01 00:00:0${v.ingested}.000`,
            }));
            // Deliver in inserts of the sizes `cuts` gives, in order.
            for (let i = 0, c = 0; i < records.length; c++) {
              const n = cuts[c % cuts.length]!;
              await writeCalls(db, rows(records.slice(i, i + n)));
              i += n;
            }
            const diff = (await differences(db)).filter((r) => (r as { tenant: string }).tenant === tenant);
            expect(diff).toEqual([]);
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      await db.drop();
    }
  });

  it('applies any short-call threshold: up to 120 s from the rollup, above it from calls', async () => {
    const db = await openTestWarehouse();
    try {
      await writeCalls(db, rows([...batch1, ...batch2]));
      for (const [i, value] of [0, 5.5, 61, 120].entries()) {
        await insertRows(db, 'report_settings', [
          { name: 'short_call_seconds', value, description: 'test', updated_at: `2030-01-01 00:00:0${i}.000` },
        ]);
        expect(await rowsOf(db, 'kpi_daily', 'ALL')).toEqual(await rowsOf(db, 'kpi_daily_from_calls', 'ALL'));
      }
      await insertRows(db, 'report_settings', [
        { name: 'short_call_seconds', value: 3601, description: 'test', updated_at: '2030-01-01 00:00:09.000' },
      ]);
      const kpi = await rowsOf(db, 'kpi_daily', 'ALL');
      expect(kpi).toEqual(await rowsOf(db, 'kpi_daily_from_calls', 'ALL'));
      // Every answered call is now short.
      const sums = await queryRows<{ s: number; a: number }>(
        db,
        `SELECT sum(short_calls) AS s, sum(answered) AS a FROM ${db.database}.kpi_daily`,
      );
      expect(Number(sums[0]!.s)).toBe(Number(sums[0]!.a));
      expect(Number(sums[0]!.a)).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });

  it('counts the calls already in the warehouse when an upgrade adds it, and a rebuild recounts', async () => {
    const db = await openTestWarehouse();
    try {
      // A warehouse from before the rollup: calls written straight into `calls`.
      for (const q of [
        'DROP VIEW IF EXISTS {db}.calls_ingest_to_kpi_daily',
        'DROP VIEW IF EXISTS {db}.calls_ingest_to_contrib',
        'DROP VIEW IF EXISTS {db}.calls_ingest_to_calls',
        'DROP TABLE IF EXISTS {db}.calls_ingest',
        'DROP TABLE IF EXISTS {db}.call_contrib',
        'DROP TABLE IF EXISTS {db}.kpi_daily_rollup',
        "DELETE FROM {db}.schema_migrations WHERE version IN ('030', '040')",
      ]) {
        await db.client.command({ query: q.replaceAll('{db}', db.database) });
      }
      await insertRows(db, 'calls', rows(batch1), 'before-upgrade-1');
      await insertRows(db, 'calls', rows(batch2), 'before-upgrade-2');
      const upgrade = await migrate(db);
      expect(upgrade.applied).toEqual(['030_kpi_rollup.sql', '040_call_merge.sql']);
      expect(await rowsOf(db, 'kpi_daily', 'ALL')).toEqual(await rowsOf(reference, 'kpi_daily', 'ALL'));

      // Rows that bypass calls_ingest are not counted, which the check reports; a rebuild recounts.
      await insertRows(
        db,
        'calls',
        rows([
          call({
            tenant: 'nyc',
            call_id: 'bypass',
            at: '2024-03-12 12:00:00',
            direction: 'inbound',
            disposition: 'busy',
          }),
        ]),
      );
      expect((await differences(db)).length).toBeGreaterThan(0);
      await rebuildRollups(db);
      expect(await differences(db)).toEqual([]);
      await rebuildRollups(db); // a second rebuild is not mistaken for a retry of the first
      expect(await differences(db)).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});

describe('chunks', () => {
  it('joins lines into texts of at most the given size, in order, a longer line on its own', () => {
    expect(chunks(['ab\n', 'cd\n', 'ef\n'], 6)).toEqual(['ab\ncd\n', 'ef\n']);
    expect(chunks(['a-very-long-line\n', 'x\n'], 4)).toEqual(['a-very-long-line\n', 'x\n']);
    expect(chunks([], 4)).toEqual([]);
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 30 })),
        fc.integer({ min: 1, max: 100 }),
        (lines, n) => {
          const out = chunks(lines, n);
          expect(out.join('')).toBe(lines.join(''));
          for (const c of out) expect(c.length <= n || lines.includes(c)).toBe(true);
        },
      ),
    );
  });
});
