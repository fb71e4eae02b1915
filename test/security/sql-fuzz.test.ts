/**
 * Generated analyst queries against the real embedded engine: allowed forms (constants, names
 * that only look like functions, comments and quotes in every place) mixed with refused ones (a
 * file or URL read, INTO OUTFILE, a second statement, settings in a subquery, a write). Every
 * allowed query runs; every refused one fails and leaves no trace: no secret in the answer, no
 * file written, no request at the test's listener, no row inserted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analyst } from '../../runtime/analyst.js';
import { readOnlyQuery } from '../../runtime/sql.js';
import { analystClient, queryRows } from '../../runtime/warehouse.js';
import { openTestWarehouse, testDataDir } from '../helpers/warehouse.js';

/** Generated queries per run; the reliability chapter quotes this number. */
export const FUZZ_QUERIES = 600;

const dir = mkdtempSync(join(tmpdir(), 'callhouse-sql-fuzz-'));
const SECRET = `fuzz-secret-${randomBytes(8).toString('hex')}`;
const SECRET_FILE = join(dir, 'secret.txt');
writeFileSync(SECRET_FILE, `${SECRET}\n`);
const OUT = join(dir, 'out.txt');

let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
let analyst: Analyst;
let listener: Server;
let requests = 0;
let url = '';

beforeAll(async () => {
  listener = createServer((_q, res) => {
    requests += 1;
    res.end(SECRET);
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/x`;
  wh = await openTestWarehouse();
  analyst = await analystClient(wh, { database: wh.database, dataDir: testDataDir() });
});
afterAll(async () => {
  await wh?.drop();
  await wh?.close();
  listener?.close();
});

const inserted = async (): Promise<number> =>
  Number(
    (await queryRows<{ n: number }>(wh, "SELECT sum(value) AS n FROM system.events WHERE event = 'InsertedRows'"))[0]
      ?.n ?? 0,
  );

// Between tokens: anything the engine reads as white space.
const gap = fc.constantFrom(' ', '\n', '\t', ' /* ; */ ', ' /* a /* b */ c */ ', ' -- ; file(\n', ' # url(\n');
// The same name as the engine reads it, written in ways a hand-written guard could miss.
const spelled = (name: string) => fc.constantFrom(name, `\`${name}\``, `"${name}"`);

const allowedExpr = fc.constantFrom(
  '1',
  "'file(/etc/passwd)'",
  "'x; DROP TABLE calls'",
  '$$ INTO OUTFILE $$',
  "concat('url(', 'x')",
  "'‘quoted’'",
  "getSetting('readonly')",
  "toString(now()) != ''",
  'length($tag$ ; $tag$)',
);
const allowedTable = fc.constantFrom(
  'calls',
  'numbers(3)',
  'system.one',
  '(SELECT 1 AS x)',
  'kpi_daily',
  'view(SELECT 2)',
);
const tail = fc.constantFrom('', ' LIMIT 2', ' WHERE 1', ' ORDER BY a');

type Poison = { kind: string; table?: string; expr?: string; after?: string; whole?: string };
const lit = (s: string): string => `'${s}'`;
const uq = (s: string): string => `‘${s}’`;
const poison: fc.Arbitrary<Poison> = fc.oneof(
  fc
    .tuple(spelled('file'), fc.constantFrom(lit, uq))
    .map(([f, q]) => ({ kind: 'file', table: `${f}(${q(SECRET_FILE)}, ${q('LineAsString')})` })),
  fc
    .tuple(fc.constantFrom('url', 's3', 'urlCluster', 'icebergS3', 'deltaLake'), fc.constantFrom(lit, uq))
    .map(([f, q]) => ({
      kind: 'url',
      table: f === 'urlCluster' ? `${f}('default', ${q(url)}, 'LineAsString')` : `${f}(${q(url)}, 'LineAsString')`,
    })),
  fc.constant({ kind: 'scalar file', expr: `file('${SECRET_FILE}')` }),
  gap.map((g) => ({ kind: 'outfile', after: ` INTO${g}OUTFILE '${OUT}'` })),
  fc.constantFrom(
    { kind: 'second statement', after: "; INSERT INTO calls (call_id) VALUES ('fz')" },
    { kind: 'second statement', after: `;SELECT * FROM file('${SECRET_FILE}', 'LineAsString')` },
    { kind: 'second statement', after: `; SELECT 1 INTO OUTFILE '${OUT}'` },
  ),
  fc.constant({
    kind: 'settings in a subquery',
    table: `(SELECT * FROM file('${SECRET_FILE}', 'LineAsString') SETTINGS readonly = 0)`,
  }),
  fc.constant({ kind: 'settings', after: ' SETTINGS max_execution_time = 100000' }),
  fc.constant({ kind: 'write', whole: "INSERT INTO calls (call_id) SELECT 'fz'" }),
  fc.constant({ kind: 'write', whole: 'CREATE TABLE fz (a UInt8) ENGINE = Memory' }),
);

const query = fc
  .record({
    expr: allowedExpr,
    table: allowedTable,
    tail,
    gaps: fc.array(gap, { minLength: 6, maxLength: 6 }),
    select: fc.constantFrom('SELECT', 'select', 'SeLeCt'),
    poison: fc.option(poison, { freq: 2 }),
  })
  .map(({ expr, table, tail: t, gaps, select, poison: p }) => {
    if (p?.whole) return { q: p.whole, poison: p };
    const [g0, g1, g2, g3, g4] = gaps as [string, string, string, string, string];
    const q = `${g0}${select}${g1}${p?.expr ?? expr} AS a${g2}FROM${g3}${p?.table ?? table}${g4}${t}${p?.after ?? ''}`;
    return { q, poison: p ?? undefined };
  });

describe('generated analyst queries', () => {
  it(`${FUZZ_QUERIES} queries: each allowed one runs, each refused one has no effect`, async () => {
    const seen = { allowed: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(query, async ({ q, poison: p }) => {
        const before = { rows: await inserted(), requests };
        const r = await readOnlyQuery(analyst, q).then(
          (x) => ({ ok: true as const, text: JSON.stringify(x) }),
          (e: Error) => ({ ok: false as const, text: e.message }),
        );
        if (p) {
          seen.refused += 1;
          expect(r.ok, `${p.kind} ran: ${q}`).toBe(false);
        } else {
          seen.allowed += 1;
          expect(r, q).toMatchObject({ ok: true });
        }
        expect(r.text, q).not.toContain(SECRET);
        expect(existsSync(OUT), q).toBe(false);
        expect(requests, q).toBe(before.requests);
        expect(await inserted(), q).toBe(before.rows);
      }),
      { numRuns: FUZZ_QUERIES },
    );
    // Both halves were exercised, not one.
    expect(seen.allowed).toBeGreaterThan(FUZZ_QUERIES / 5);
    expect(seen.refused).toBeGreaterThan(FUZZ_QUERIES / 5);
  }, 300_000);
});
