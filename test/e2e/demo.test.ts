/**
 * `callhouse demo` on a fresh data directory: five simulators, the whole pipeline, then a KPI table
 * whose numbers match `callhouse sql` on the same data afterwards, and example queries that run
 * as printed. The screen carries the demo's own lines only; log lines go to the printed log file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/kafka-local.js';
import { EXAMPLE_QUERIES, KPI_SUMMARY_SQL } from '../../runtime/demo.js';
import { testBrokers } from '../helpers/kafka.js';
import { runCli } from '../helpers/process.js';

const run = runCli;

describe('callhouse demo', () => {
  it('ends with a KPI table of all five vendors whose numbers match callhouse sql, and queries that run as printed', async () => {
    const env = {
      KAFKA_BROKERS: testBrokers().join(','),
      CALLHOUSE_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'callhouse-demo-')), 'var'),
      CALLHOUSE_TOPIC_PREFIX: `d${randomBytes(4).toString('hex')}.`,
      CALLHOUSE_HTTP_PORT: String(await freePort()),
      CALLHOUSE_ADMIN_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    const demo = await run(['demo', '--duration', '3s'], env);
    expect(demo.code, demo.stderr).toBe(0);
    // Nothing but the demo's own lines: no log line of callhouse or of a library on either stream.
    expect(demo.stderr).toBe('');
    expect(demo.stdout).not.toMatch(/^\s*\{/m);
    const logFile = /log lines go to (\S+)/.exec(demo.stdout)?.[1];
    expect(logFile).toBe(join(env.CALLHOUSE_DATA_DIR, 'demo.log'));
    expect(existsSync(logFile!)).toBe(true);
    expect(readFileSync(logFile!, 'utf8')).toMatch(/"msg":"ingest listening on /);
    expect(demo.stdout).toContain('KPI summary (from the kpi_daily view)');
    // Rows of the printed table: │ tenant │ source │ calls │ answered_calls │ asr │ acd │ talk │
    const printed = demo.stdout
      .split('\n')
      .filter((l) => /^│ \w/.test(l) && !l.includes('tenant'))
      .map((l) =>
        l
          .split('│')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(printed.map((r) => `${r[0]}/${r[1]}`)).toEqual([
      'acme/yeastar-s',
      'brightdesk/ipcortex',
      'lotus/yeastar-p',
      'northwind/asterisk',
      'shalom/voicenter',
    ]);
    for (const r of printed) expect(Number(r[2])).toBeGreaterThan(10);

    const sql = await run(['sql', KPI_SUMMARY_SQL, '--format', 'json'], env);
    expect(sql.code, sql.stderr).toBe(0);
    const rows = sql.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.tenant, r.source, String(r.calls), String(r.answered_calls), String(r.talk)])).toEqual(
      printed.map((r) => [r[0], r[1], r[2], r[3], r[6]]),
    );
    const reports = await run(
      ['sql', "SELECT count() AS n FROM report_rows FINAL WHERE connector_id = 'shanghai-p570'", '--format', 'csv'],
      env,
    );
    expect(Number(reports.stdout.trim().split('\n')[1])).toBeGreaterThan(0);

    // The example queries, exactly as printed (a shell would pass the text between the quotes).
    const examples = [...demo.stdout.matchAll(/^ {2}npx callhouse sql "([^"]+)"$/gm)].map((m) => m[1]!);
    expect(examples).toEqual(EXAMPLE_QUERIES.map((q) => q.sql));
    for (const q of examples) {
      const r = await run(['sql', q, '--format', 'json'], env);
      expect(r.code, `${q}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim().split('\n').length, q).toBeGreaterThan(1);
    }
  }, 300_000);
});
