/**
 * Analyst SQL against the real embedded engine, by attack class. Each refusal is checked by the
 * absence of its effect: a secret file's content never appears in an answer, an INTO OUTFILE
 * target never exists, an HTTP listener of the test receives no request, no row is written, and
 * the sink and other analysts go on while a slow analyst query runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ANALYST_LIMITS, embeddedSlots, threadpoolSize, type Analyst } from '../../runtime/analyst.js';
import { readOnlyQuery } from '../../runtime/sql.js';
import { analystClient, queryRows } from '../../runtime/warehouse.js';
import { batch1, batch2, call } from '../warehouse/fixture.js';
import { rollupCheckSql } from '../../runtime/rollups.js';
import { insertCalls } from '../warehouse/helpers.js';
import { openTestWarehouse, testDataDir } from '../helpers/warehouse.js';

const dir = mkdtempSync(join(tmpdir(), 'callhouse-sql-engine-'));
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const SECRET_FILE = join(dir, 'secret.txt');
writeFileSync(SECRET_FILE, `${SECRET}\n`);
const OUT = join(dir, 'outfile.txt');

let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
let analyst: Analyst;
let listener: Server;
let requests = 0;
let base = '';

beforeAll(async () => {
  listener = createServer((_req, res) => {
    requests += 1;
    res.end(SECRET);
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  wh = await openTestWarehouse();
  analyst = await analystClient(wh, {
    database: wh.database,
    dataDir: testDataDir(),
    analyst: { limits: { ...DEFAULT_ANALYST_LIMITS, max_execution_time: 10, max_concurrent_queries: 4 } },
  });
});
afterAll(async () => {
  await wh?.drop();
  await wh?.close();
  listener?.close();
});

/** Rows this process has inserted anywhere (only grows; a merge does not lower it). */
const rowsWritten = async (): Promise<number> => {
  const r = await queryRows<{ n: number | string }>(
    wh,
    "SELECT sum(value) AS n FROM system.events WHERE event = 'InsertedRows'",
  );
  return Number(r[0]?.n ?? 0);
};

/** Runs a query that must be refused; checks what the caller saw and that nothing happened. */
async function expectRefused(q: string, says: RegExp = /refused|one statement|query failed/): Promise<void> {
  const before = { rows: await rowsWritten(), requests };
  const seen = await readOnlyQuery(analyst, q.replaceAll('{secret}', SECRET_FILE).replaceAll('{url}', base)).then(
    (r) => JSON.stringify(r),
    (e: Error) => `error: ${e.message}`,
  );
  expect(seen, q).toMatch(/^error: /);
  expect(seen, q).toMatch(says);
  expect(seen).not.toContain(SECRET);
  expect(existsSync(OUT), `${q} wrote ${OUT}`).toBe(false);
  expect(requests, `${q} reached the test's listener`).toBe(before.requests);
  expect(await rowsWritten(), `${q} wrote rows`).toBe(before.rows);
}

const UNICODE_QUOTES = [
  'SELECT * FROM file(‘{secret}’, ‘LineAsString’)',
  'SELECT * FROM file(’{secret}’, ’LineAsString’)',
  'SELECT * FROM “file”(‘{secret}’, ‘LineAsString’)',
  'SELECT ‘x’ AS a, * FROM url(‘{url}/x’, ‘LineAsString’)',
];
const DOLLARS = [
  "SELECT a$b FROM url('{url}/x', 'LineAsString', 'a$b String')",
  "SELECT 1 AS x$ , * FROM url('{url}/x', 'LineAsString') -- $",
  "SELECT $tag$ ' $tag$ AS s, * FROM file('{secret}', 'LineAsString')",
  "SELECT $$ $$, line FROM url('{url}/x', 'LineAsString', 'line String')",
];
const COMMENTS = [
  "SELECT * FROM file/**/('{secret}', 'LineAsString')",
  "SELECT * FROM file -- x\n('{secret}', 'LineAsString')",
  "SELECT * FROM file # x\n('{secret}', 'LineAsString')",
  "SELECT * FROM file /* a /* nested */ b */ ('{secret}', 'LineAsString')",
  "SELECT 1 INTO/**/OUTFILE '" + OUT + "'",
  "SELECT 1 INTO -- x\n OUTFILE '" + OUT + "'",
  "/* SELECT */ INSERT INTO calls (call_id) VALUES ('x')",
];
const MULTI = [
  "SELECT 1; INSERT INTO calls (call_id) VALUES ('x')",
  "SELECT 1;INSERT INTO calls (call_id) VALUES ('x')",
  "SELECT ';' ; SELECT * FROM file('{secret}', 'LineAsString')",
  "SELECT 1 /* ; */ ; SELECT 1 INTO OUTFILE '" + OUT + "'",
  "SELECT 1;\n-- comment\nSELECT * FROM url('{url}/x', 'LineAsString')",
];
const SETTINGS = [
  "SELECT * FROM (SELECT * FROM file('{secret}', 'LineAsString') SETTINGS readonly = 0)",
  "SELECT * FROM (SELECT * FROM url('{url}/x', 'LineAsString') SETTINGS readonly = 0)",
  'SELECT * FROM (SELECT 1 SETTINGS readonly = 0)',
  'SELECT count() FROM (SELECT * FROM calls SETTINGS final = 0)',
  'SELECT sleep(1) SETTINGS max_execution_time = 1000',
  'SELECT 1 IN (SELECT 1 SETTINGS max_memory_usage = 0)',
  'EXPLAIN SYNTAX readonly = 0 SELECT 1',
  'WITH x AS (SELECT 1 SETTINGS readonly = 0) SELECT * FROM x',
  'SET readonly = 0',
  'SET max_execution_time = 0',
];
// Every kind of reach outside the warehouse the engine has, pointed at the test's own listener or secret.
const OUTSIDE = [
  "SELECT * FROM file('{secret}', 'LineAsString')",
  "SELECT file('{secret}')",
  "SELECT * FROM fileCluster('default', '{secret}', 'LineAsString')",
  "SELECT * FROM url('{url}/x', 'LineAsString')",
  "SELECT * FROM urlCluster('default', '{url}/x', 'LineAsString')",
  "SELECT * FROM s3('{url}/b/x', 'LineAsString')",
  "SELECT * FROM s3Cluster('default', '{url}/b/x', 'LineAsString')",
  "SELECT * FROM gcs('{url}/b/x', 'LineAsString')",
  "SELECT * FROM azureBlobStorage('{url}', 'c', 'x')",
  "SELECT * FROM icebergS3('{url}/b/x')",
  "SELECT * FROM deltaLake('{url}/b/x')",
  "SELECT * FROM hudi('{url}/b/x')",
  "SELECT * FROM hdfs('hdfs://127.0.0.1:1/x', 'LineAsString')",
  "SELECT * FROM remote('127.0.0.1:1', system.one)",
  "SELECT * FROM remoteSecure('127.0.0.1:1', system.one)",
  "SELECT * FROM cluster('default', system.one)",
  "SELECT * FROM clusterAllReplicas('default', system.one)",
  "SELECT * FROM mysql('127.0.0.1:1', 'db', 't', 'u', 'p')",
  "SELECT * FROM postgresql('127.0.0.1:1', 'db', 't', 'u', 'p')",
  "SELECT * FROM mongodb('127.0.0.1:1', 'db', 't', 'u', 'p', 'x String')",
  "SELECT * FROM redis('127.0.0.1:1', 'k', 'k String')",
  "SELECT * FROM sqlite('{secret}', 't')",
  "SELECT * FROM odbc('DSN=x', 't')",
  "SELECT * FROM jdbc('jdbc:x', 't')",
  "SELECT * FROM executable('cat {secret}', 'LineAsString', 'x String')",
  "SELECT * FROM input('a String')",
  "SELECT * FROM dictionary('d')",
  "SELECT dictGet('d', 'a', 1)",
  "SELECT joinGet('system.one', 'dummy', 0)",
  "SELECT catboostEvaluate('{secret}', 1)",
  "SELECT aiGenerate('{url}')",
  "SELECT * FROM merge('system', '^users$')",
  'SELECT * FROM system.users',
  'SELECT * FROM default.anything',
  'SELECT 1 IN system.users',
  "SELECT * FROM `file`('{secret}', 'LineAsString')",
  "DESCRIBE TABLE url('{url}/x', 'LineAsString')",
  "SELECT * FROM view(SELECT * FROM file('{secret}', 'LineAsString'))",
  "SELECT * FROM numbers(1) WHERE 1 IN (SELECT 1 FROM url('{url}/x', 'LineAsString'))",
  `SELECT 1 INTO OUTFILE '${OUT}'`,
  `SELECT 1 INTO OUTFILE '${OUT}' FORMAT CSV`,
  `SHOW TABLES INTO OUTFILE '${OUT}'`,
  `EXPLAIN SELECT 1 INTO OUTFILE '${OUT}'`,
  "INSERT INTO FUNCTION file('" + OUT + "') SELECT 1",
  'SELECT 1 FORMAT JSON',
];
const WRITES = [
  "INSERT INTO calls (call_id) VALUES ('x')",
  'CREATE TABLE pwned (a UInt8) ENGINE = Memory',
  'DROP TABLE calls',
  'ALTER TABLE calls DELETE WHERE 1',
  'TRUNCATE TABLE calls',
  'OPTIMIZE TABLE calls FINAL',
  'SYSTEM STOP MERGES',
  'KILL QUERY WHERE 1',
];

describe('analyst SQL refuses, and nothing happens', () => {
  for (const [name, list] of Object.entries({
    'Unicode quotes': UNICODE_QUOTES,
    '$ in bare words': DOLLARS,
    comments: COMMENTS,
    'more than one statement': MULTI,
    'settings, in subqueries too': SETTINGS,
    'every reach outside the warehouse': OUTSIDE,
    writes: WRITES,
  })) {
    it.each(list)(`${name}: %s`, async (q) => expectRefused(q));
  }

  it('names what it refuses', async () => {
    await expectRefused("SELECT * FROM url('{url}/x', 'LineAsString')", /table function url/);
    await expectRefused("SELECT file('{secret}')", /function file/);
    await expectRefused(`SELECT 1 INTO OUTFILE '${OUT}'`, /INTO OUTFILE/);
    await expectRefused('SELECT * FROM (SELECT 1 SETTINGS readonly = 0)', /SETTINGS clause/);
    await expectRefused('SELECT 1; SELECT 2', /one statement at a time/);
    await expectRefused('SELECT * FROM system.users', /system\.users/);
    await expectRefused("SELECT dictGet('d', 'a', 1)", /function dictGet/);
  });
});

describe('the analyst session is read-only by the engine, not by our check alone', () => {
  // SYSTEM and KILL statements are left out: a read-only chdb session runs them, so only the
  // allow-list (a statement kind it does not list) refuses them.
  it.each([
    ...WRITES.filter((q) => !/^(SYSTEM|KILL)/.test(q)),
    'SET readonly = 0',
    'SET final = 0',
    "SELECT * FROM url('{url}/x', 'LineAsString')",
    "INSERT INTO FUNCTION url('{url}/x', 'LineAsString') SELECT 'x'",
  ])('the engine itself refuses: %s', async (q) => {
    const before = { rows: await rowsWritten(), requests };
    // Straight to the analyst's session, past the allow-list.
    const r = await analyst
      .withSession((run) => run(q.replaceAll('{url}', base)))
      .then(
        () => 'ran',
        (e: Error) => e.message,
      );
    expect(r).toMatch(/READONLY|readonly/);
    expect(requests).toBe(before.requests);
    expect(await rowsWritten()).toBe(before.rows);
  });

  it('keeps its settings whatever a query says', async () => {
    const settings = await readOnlyQuery(
      analyst,
      "SELECT getSetting('readonly') AS ro, getSetting('final') AS final, getSetting('max_execution_time') AS t",
    );
    expect(settings.rows).toEqual([{ ro: 1, final: true, t: 10 }]);
    const sink = await queryRows<{ ro: number }>(wh, "SELECT getSetting('readonly') AS ro");
    expect(Number(sink[0]!.ro)).toBe(0);
  });
});

describe('what analysts may do', () => {
  it.each([
    "SELECT count() AS n FROM calls WHERE call_id != 'file(' AND caller != 'x; y'",
    'SELECT /* file( */ 1 AS one -- INTO OUTFILE',
    'WITH 2 AS two SELECT two',
    'SHOW TABLES',
    'DESCRIBE TABLE calls',
    'EXPLAIN SELECT 1',
    'EXISTS TABLE calls',
    'SELECT $$INTO OUTFILE$$ AS s',
    'SELECT direction, count() AS n, sumIf(talk_seconds, talk_seconds > 0) AS talk FROM calls GROUP BY direction',
    'SELECT toStartOfHour(started_at) AS h, uniqExact(call_id) FROM calls GROUP BY h ORDER BY h WITH FILL',
    'SELECT call_id, row_number() OVER (PARTITION BY tenant ORDER BY started_at) AS n FROM calls',
    'SELECT * FROM kpi_daily ORDER BY day LIMIT 5',
    "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'call%'",
    'SELECT sum(number) FROM numbers(1000)',
    "SELECT * FROM values('a UInt8, b String', (1, 'x'))",
    'SELECT arrayMap(x -> x * 2, [1, 2, 3]) AS a, JSONExtractString(\'{"a":"b"}\', \'a\') AS j',
    'SELECT c.call_id FROM calls AS c INNER JOIN (SELECT call_id FROM calls) AS d ON c.call_id = d.call_id',
    'SELECT 1 UNION ALL SELECT 2',
    "SELECT formatReadableSize(1024), toTypeName(1), version() != ''",
  ])('%s', async (q) => {
    const r = await readOnlyQuery(analyst, q);
    expect(r.columns.length).toBeGreaterThan(0);
  });

  it('counts each call once, merged or not (final = 1)', async () => {
    await wh.client.command({ query: `SYSTEM STOP MERGES ${wh.database}.calls` });
    const c = call({
      tenant: 'lon',
      call_id: 'dup-1',
      at: '2024-05-01 10:00:00',
      direction: 'inbound',
      disposition: 'answered',
    });
    await insertCalls(wh, [c]);
    await insertCalls(wh, [{ ...c, talk_seconds: 30, ingested_at: '2024-05-01 10:05:00.000' }]);
    const raw = await queryRows<{ n: number | string }>(
      wh,
      `SELECT count() AS n FROM ${wh.database}.calls WHERE call_id = 'dup-1'`,
    );
    expect(Number(raw[0]!.n)).toBe(2);
    const seen = await readOnlyQuery(
      analyst,
      "SELECT count() AS n, any(talk_seconds) AS talk FROM calls WHERE call_id = 'dup-1'",
    );
    expect(seen.rows).toEqual([{ n: 1, talk: 30 }]);
    await wh.client.command({ query: `SYSTEM START MERGES ${wh.database}.calls` });
  });

  it('reads the views as the sink does: kpi_daily agrees with calls under final = 1', async () => {
    // Redeliveries, a changed re-delivery and short calls: the rollup's arrays are merged by FINAL.
    await insertCalls(wh, batch1);
    await insertCalls(wh, batch2);
    expect(await queryRows(wh, rollupCheckSql(wh.database))).toEqual([]);
    expect((await readOnlyQuery(analyst, rollupCheckSql())).rows).toEqual([]);
    const short = await readOnlyQuery(
      analyst,
      "SELECT short_calls FROM kpi_daily WHERE tenant = 'lon' AND day = '2024-03-31' AND direction = 'inbound'",
    );
    expect(short.rows).toEqual([{ short_calls: 1 }]); // L2, 9 s of talk, below the 10 s default
  });
});

describe('limits', () => {
  it('says which limit a query passed', async () => {
    // Limits of their own: a warehouse of another database name on the same engine.
    const other = await openTestWarehouse({ migrate: false });
    try {
      await other.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${other.database}` });
      const small = await analystClient(other, {
        database: other.database,
        dataDir: testDataDir(),
        analyst: {
          limits: {
            max_execution_time: 1,
            max_result_rows: 10,
            max_result_bytes: 1_000_000,
            max_memory_usage: 50_000_000,
            max_concurrent_queries: 1,
          },
        },
      });
      await expect(readOnlyQuery(small, 'SELECT sleepEachRow(0.5) FROM numbers(4)')).rejects.toThrow(
        'query exceeded the analyst time limit of 1 s (analyst.max_execution_time)',
      );
      await expect(readOnlyQuery(small, 'SELECT number FROM numbers(100)')).rejects.toThrow(
        'query exceeded the analyst result limit of 10 rows (analyst.max_result_rows)',
      );
      await expect(readOnlyQuery(small, 'SELECT groupArray(number) FROM numbers(100000000)')).rejects.toThrow(
        'query exceeded the analyst memory limit of 50000000 bytes (analyst.max_memory_usage)',
      );
      const slow = readOnlyQuery(small, 'SELECT sleepEachRow(0.3) FROM numbers(2)');
      await expect(readOnlyQuery(small, 'SELECT 1')).rejects.toThrow(
        '1 analyst queries are already running (analyst.max_concurrent_queries)',
      );
      await slow;
    } finally {
      await other.drop();
      await other.close();
    }
  });

  it('slow analyst queries hold up neither the sink nor another analyst', async () => {
    const order: string[] = [];
    // Three at once: with Node's default pool of 4 threads, the sink's insert would wait for them.
    const slow = [1, 2, 3].map((i) =>
      readOnlyQuery(analyst, `SELECT sleepEachRow(1) + ${i} FROM numbers(3)`).then(() => order.push('slow analyst')),
    );
    await new Promise((r) => setTimeout(r, 300));
    const c = call({
      tenant: 'nyc',
      call_id: 'during-slow',
      at: '2024-05-02 10:00:00',
      direction: 'outbound',
      disposition: 'answered',
    });
    await insertCalls(wh, [c]).then(() => order.push('sink insert'));
    const other = await readOnlyQuery(analyst, "SELECT count() AS n FROM calls WHERE call_id = 'during-slow'");
    order.push('other analyst');
    await Promise.all(slow);
    expect(order).toEqual(['sink insert', 'other analyst', 'slow analyst', 'slow analyst', 'slow analyst']);
    expect(other.rows).toEqual([{ n: 1 }]);
  });

  it('keeps threads of the pool for the sink', () => {
    const limits = { ...DEFAULT_ANALYST_LIMITS, max_concurrent_queries: 4 };
    expect(embeddedSlots(limits, 16)).toBe(4);
    expect(embeddedSlots(limits, 6)).toBe(2);
    expect(embeddedSlots(limits, 4)).toBe(1);
    expect(threadpoolSize({})).toBe(4);
    expect(threadpoolSize({ UV_THREADPOOL_SIZE: '16' })).toBe(16);
  });
});
