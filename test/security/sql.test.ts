/**
 * Read-only SQL cannot write, change settings, reach the system, or read/write files and URLs —
 * through the admin listener's POST /sql and through `callhouse sql`. The bypasses marked "found"
 * got past earlier guards that re-read the query by hand: `file`(…) read /etc files and
 * INTO/**\/OUTFILE wrote one. Each is now judged on the engine's own parse and run on a read-only
 * session of its own; each test checks the effect is absent, not only the error.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { testBrokers } from '../helpers/kafka.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'callhouse-sql-'));
const OUT = join(dir, 'written.txt');
const HOSTNAME = readFileSync('/etc/hostname', 'utf8').trim();
const REFUSED = /refused|one statement|query failed/;

const WRITES = [
  "INSERT INTO calls (call_id) VALUES ('x')",
  'DROP TABLE calls',
  'DROP DATABASE {db}',
  'ALTER TABLE calls DELETE WHERE 1',
  'ALTER TABLE calls ADD COLUMN pwned UInt8',
  'CREATE TABLE pwned (a UInt8) ENGINE = Memory',
  'CREATE USER pwned',
  'TRUNCATE TABLE calls',
  'RENAME TABLE calls TO gone',
  'OPTIMIZE TABLE calls FINAL',
  'DETACH TABLE calls',
  'SET readonly = 0',
  'SET allow_ddl = 1',
  'SYSTEM FLUSH LOGS',
  'SYSTEM SHUTDOWN',
  'KILL QUERY WHERE 1',
  'GRANT ALL ON *.* TO default',
  'SELECT 1; DROP TABLE calls',
  'SELECT 1 /* ; */ ; DROP TABLE calls',
  "SELECT ';' ; DROP TABLE calls",
  ' \n insert into calls (call_id) values (1)',
  '/* SELECT */ DROP TABLE calls',
  '-- SELECT\nDROP TABLE calls',
];
const FILES_AND_URLS = [
  "SELECT * FROM file('/etc/hostname', 'LineAsString')",
  "SELECT * FROM FILE('/etc/hostname', 'LineAsString')",
  "SELECT * FROM `file`('/etc/hostname', 'LineAsString')", // found
  "SELECT * FROM \"file\"('/etc/hostname', 'LineAsString')", // found
  "SELECT * FROM file/**/('/etc/hostname', 'LineAsString')", // found
  "SELECT * FROM file -- x\n('/etc/hostname', 'LineAsString')", // found
  "SELECT * FROM fileCluster('default', '/etc/hostname', 'LineAsString')",
  "DESCRIBE TABLE `file`('/etc/hostname', 'LineAsString')", // found
  "SELECT * FROM view(SELECT * FROM `file`('/etc/hostname', 'LineAsString'))", // found
  "SELECT * FROM url('http://127.0.0.1:1/x', 'LineAsString')",
  "SELECT * FROM urlCluster('default', 'http://127.0.0.1:1/x', 'LineAsString')",
  "SELECT * FROM s3('http://127.0.0.1:1/b/x', 'LineAsString')",
  "SELECT * FROM s3Cluster('default', 'http://127.0.0.1:1/b/x')",
  "SELECT * FROM icebergS3('http://127.0.0.1:1/b/x')", // found (reached the S3 client)
  "SELECT * FROM deltaLakeS3('http://127.0.0.1:1/b/x')", // found
  "SELECT * FROM hdfsCluster('default', 'hdfs://127.0.0.1:1/x')",
  "SELECT * FROM remote('127.0.0.1:1', system.one)",
  "SELECT * FROM mysql('127.0.0.1:1', 'db', 't', 'u', 'p')",
  "SELECT * FROM postgresql('127.0.0.1:1', 'db', 't', 'u', 'p')",
  "SELECT * FROM executable('cat /etc/hostname', 'LineAsString', 'x String')",
  "SELECT * FROM input('a String')",
  `SELECT 1 INTO OUTFILE '${OUT}'`,
  `SELECT 1 INTO/**/OUTFILE '${OUT}'`, // found: wrote the file
  `SELECT 1 INTO -- x\n OUTFILE '${OUT}'`,
  "SELECT $$ ' $$, * FROM file('/etc/hostname', 'LineAsString')",
  "WITH x AS (SELECT 1) SELECT * FROM url('http://127.0.0.1:1/x', 'LineAsString')",
];
const ALLOWED = [
  "SELECT count() AS n FROM calls WHERE call_id != 'file(' AND caller != 'x; y'",
  'SELECT /* file( */ 1 AS one -- INTO OUTFILE',
  'WITH 2 AS two SELECT two',
  'SHOW TABLES',
  'DESCRIBE TABLE calls',
  'EXPLAIN SELECT 1',
  'SELECT $$INTO OUTFILE$$ AS s',
];

describe('read-only SQL', () => {
  let t: TestService;
  const sql = async (query: string): Promise<{ status: number; body: { rows?: unknown[]; error?: string } }> => {
    const r = await t.admin('/sql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: query.replaceAll('{db}', t.warehouse.database) }),
    });
    return { status: r.status, body: (await r.json()) as { rows?: unknown[]; error?: string } };
  };

  beforeAll(async () => {
    t = await startTestService({
      connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: 'sql-test-token-1' }],
    });
  });
  afterAll(async () => t?.stop());

  const callRows = async (): Promise<number> =>
    Number((await t.query<{ n: string }>(`SELECT count() AS n FROM ${t.warehouse.database}.calls`))[0]!.n);

  it.each(WRITES)('POST /sql refuses a write or setting: %s', async (q) => {
    const before = await callRows();
    const r = await sql(q);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(REFUSED);
    expect(await callRows()).toBe(before);
  });

  it.each(FILES_AND_URLS)('POST /sql refuses files, URLs and servers: %s', async (q) => {
    const r = await sql(q);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/refused|one statement/);
    expect(JSON.stringify(r.body)).not.toContain(HOSTNAME);
    expect(existsSync(OUT)).toBe(false);
  });

  it.each(ALLOWED)('POST /sql still answers analysts: %s', async (q) => {
    const r = await sql(q);
    expect([r.status, r.body.error]).toEqual([200, undefined]);
  });

  it('leaves the warehouse as it was', async () => {
    const tables = (await sql('SHOW TABLES')).body.rows as { name: string }[];
    expect(tables.map((x) => x.name)).toContain('calls');
    expect(tables.map((x) => x.name)).not.toContain('pwned');
    const cols = (await sql('DESCRIBE TABLE calls')).body.rows as { name: string }[];
    expect(cols.map((c) => c.name)).not.toContain('pwned');
  });

  it('`callhouse sql` refuses the same, going through the process that holds the warehouse', async () => {
    const cfg = join(dir, 'callhouse.yaml');
    writeFileSync(cfg, 'connectors:\n  - id: pbx\n    type: yeastar-s\n    timezone: UTC\n');
    const env = {
      ...process.env,
      CALLHOUSE_CONFIG: cfg,
      CALLHOUSE_DATA_DIR: t.config.env.dataDir,
      CLICKHOUSE_DATABASE: t.warehouse.database,
      KAFKA_BROKERS: testBrokers().join(','),
      LOG_LEVEL: 'silent',
    };
    const cli = (q: string) =>
      run(process.execPath, ['bin/callhouse.js', 'sql', '--format', 'json', q], { env }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const ok = await cli('SELECT 41 + 1 AS answer');
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toContain('42');
    for (const q of [
      'DROP TABLE calls',
      "SELECT * FROM `file`('/etc/hostname', 'LineAsString')",
      `SELECT 1 INTO/**/OUTFILE '${OUT}'`,
      'SELECT 1; DROP TABLE calls',
    ]) {
      const r = await cli(q);
      expect(r.code, q).not.toBe(0);
      expect(r.out).toMatch(REFUSED);
      expect(r.out).not.toContain(HOSTNAME);
    }
    expect(existsSync(OUT)).toBe(false);
    const tables = (await sql('SHOW TABLES')).body.rows as { name: string }[];
    expect(tables.map((x) => x.name)).toContain('calls');
  }, 60_000);
});
