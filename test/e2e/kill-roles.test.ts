/**
 * Roles as separate processes: ingest, transform and sink. The sink is killed with SIGKILL in the
 * middle of its batches and restarted; every record is in `calls` exactly once afterwards.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/kafka-local.js';
import { testBrokers, testBus, until } from '../helpers/kafka.js';
import { rollupCheckSql } from '../../runtime/rollups.js';
import { adminSql, startProcess, type Proc } from '../helpers/process.js';

const TOKEN = 'kill-test-token-42';
const N = 3000;

function cdr(i: number): string {
  const id = `${1720000000 + i}.${i}`;
  return JSON.stringify({
    action: 'NewCdr',
    callid: id,
    timestart: '2024-07-03 09:46:40',
    callfrom: '1001',
    callto: '1002',
    callduraction: String(20 + (i % 50)),
    talkduraction: String(i % 30),
    status: i % 30 ? 'ANSWERED' : 'NO ANSWER',
    type: 'Internal',
  });
}

describe('a transform and a sink killed mid-batch', () => {
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL').catch(() => undefined);
  });

  it('loses nothing and duplicates nothing after SIGKILL and restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-kill-'));
    const configFile = join(dir, 'callhouse.yaml');
    writeFileSync(
      configFile,
      `connectors:\n  - id: pbx\n    type: yeastar-s\n    timezone: UTC\n    token: ${TOKEN}\nsink:\n  batch_rows: 200\n  batch_ms: 50\n`,
    );
    const env = {
      KAFKA_BROKERS: testBrokers().join(','),
      CALLHOUSE_DATA_DIR: join(dir, 'var'),
      CALLHOUSE_TOPIC_PREFIX: `k${randomBytes(4).toString('hex')}.`,
      CALLHOUSE_CONFIG: configFile,
      CLICKHOUSE_DATABASE: 'callhouse',
    };
    const ingestPort = await freePort();
    const ingest = await startProcess(
      ['start', '--role', 'ingest'],
      { ...env, CALLHOUSE_HTTP_PORT: String(ingestPort), CALLHOUSE_ADMIN_PORT: String(await freePort()) },
      dir,
      'ingest',
    );
    procs.push(ingest);
    // Every report is acknowledged (durable in Kafka) before the transform and the sink even run.
    const url = `http://127.0.0.1:${ingestPort}/ingest/yeastar-s/pbx?token=${TOKEN}`;
    for (let i = 0; i < N; i += 50) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, j) => fetch(url, { method: 'POST', body: cdr(i + j) }).then((r) => r.status)),
      );
      expect(new Set(statuses)).toEqual(new Set([200]));
    }

    // The transform is killed with SIGKILL part-way through its backlog, then restarted.
    const transformAdmin = String(await freePort());
    let transform = await startProcess(
      ['start', '--role', 'transform'],
      { ...env, CALLHOUSE_ADMIN_PORT: transformAdmin },
      dir,
      'transform-1',
    );
    procs.push(transform);
    const bus = testBus();
    const raw = `${env.CALLHOUSE_TOPIC_PREFIX}raw.yeastar-s`;
    const lagOf = async (): Promise<number> =>
      (await bus.lag(`${env.CALLHOUSE_TOPIC_PREFIX}transform`, [raw]))[raw] ?? N;
    await until(
      'the transform to have committed part of its backlog',
      async () => {
        const lag = await lagOf();
        return lag < N ? lag : undefined;
      },
      60_000,
      20,
    );
    await transform.kill('SIGKILL');
    transform = await startProcess(
      ['start', '--role', 'transform'],
      { ...env, CALLHOUSE_ADMIN_PORT: transformAdmin },
      dir,
      'transform-2',
    );
    procs.push(transform);
    await until('the transform backlog to be done', async () => (await lagOf()) === 0, 120_000, 250);
    await bus.close();

    const sinkAdmin = String(await freePort());
    let sink = await startProcess(
      ['start', '--role', 'sink'],
      { ...env, CALLHOUSE_ADMIN_PORT: sinkAdmin },
      dir,
      'sink-1',
    );
    procs.push(sink);
    const count = async (): Promise<number> =>
      Number((await adminSql<{ n: number }>(sink, 'SELECT count() AS n FROM calls FINAL'))[0]?.n ?? 0);
    const partial = await until(
      'some rows in calls',
      async () => {
        const n = await count();
        return n > 0 ? n : undefined;
      },
      60_000,
      20,
    );
    await sink.kill('SIGKILL');
    expect(partial).toBeLessThan(N);

    sink = await startProcess(['start', '--role', 'sink'], { ...env, CALLHOUSE_ADMIN_PORT: sinkAdmin }, dir, 'sink-2');
    procs.push(sink);
    await until(`${N} calls`, async () => (await count()) >= N, 120_000, 250);
    const rows = await adminSql<{ n: number; d: number; answered: number }>(
      sink,
      "SELECT count() AS n, uniqExact(call_id) AS d, countIf(disposition = 'answered') AS answered FROM calls FINAL",
    );
    expect(Number(rows[0]!.n)).toBe(N);
    expect(Number(rows[0]!.d)).toBe(N);
    expect(Number(rows[0]!.answered)).toBe(N - N / 30);
    // The kpi_daily rollup counted every call once too (a sink killed mid-insert is repaired on restart).
    const kpi = await adminSql<{ attempts: number; answered: number }>(
      sink,
      'SELECT sum(attempts) AS attempts, sum(answered) AS answered FROM kpi_daily',
    );
    expect([Number(kpi[0]!.attempts), Number(kpi[0]!.answered)]).toEqual([N, N - N / 30]);
    expect(await adminSql(sink, rollupCheckSql())).toEqual([]);
  }, 300_000);
});
