/**
 * insertBody writes a JSONEachRow body in one of two ways: the embedded engine's raw insert, or
 * the statement text a ClickHouse server is sent. Both are run here against the engine (the
 * statement path by hiding the raw insert), with the same settings: a deduplication token that
 * applies a retried insert once, and best-effort time parsing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBody, insertLines, queryRows, type Warehouse } from '../../runtime/warehouse.js';
import { openTestWarehouse } from '../helpers/warehouse.js';

describe('insertBody', () => {
  let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
  beforeAll(async () => {
    wh = await openTestWarehouse({ migrate: false });
    await wh.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${wh.database}` });
    await wh.client.command({
      query: `CREATE TABLE ${wh.database}.t (path String, a String, d DateTime('UTC'))
              ENGINE = MergeTree ORDER BY (path, a) SETTINGS non_replicated_deduplication_window = 100`,
    });
  });
  afterAll(async () => wh?.drop());

  const paths: [string, () => Warehouse][] = [
    ['raw insert', () => wh],
    ['statement text', () => ({ ...wh, rawInsert: undefined })],
  ];
  for (const [path, target] of paths) {
    it(`applies a retried insert once, by its token (${path})`, async () => {
      // The embedded engine offers the raw insert; the statement path never uses it.
      expect(target().rawInsert !== undefined).toBe(path === 'raw insert' && wh.embedded);
      const lines = [
        JSON.stringify({ path, a: "it's", d: '2024-05-01T10:00:00+02:00' }),
        Buffer.from(JSON.stringify({ path, a: 'zürich', d: '2024-05-01 09:00:00' })),
      ];
      const token = `${path}'s token`;
      await insertLines(target(), 't', lines, token);
      await insertLines(target(), 't', lines, token); // a retry
      await insertBody(
        target(),
        't',
        Buffer.from(`${JSON.stringify({ path, a: 'new', d: '2024-05-02' })}\n`),
        `${token}-2`,
      );
      const rows = await queryRows<{ a: string; d: string }>(
        wh,
        `SELECT a, toString(d) AS d FROM ${wh.database}.t WHERE path = {p:String} ORDER BY a`,
        { p: path },
      );
      expect(rows).toEqual([
        { a: "it's", d: '2024-05-01 08:00:00' },
        { a: 'new', d: '2024-05-02 00:00:00' },
        { a: 'zürich', d: '2024-05-01 09:00:00' },
      ]);
    });
  }
});
