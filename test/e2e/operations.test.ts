/**
 * An operator's day, with callhouse as real processes: backfill interrupted and resumed,
 * `callhouse sql` while a service holds the embedded warehouse and after it stopped, `status`,
 * graceful shutdown under load, and dead-letter replay.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/kafka-local.js';
import { startSimulator as startVoicenter } from '../../simulators/voicenter/index.js';
import { cdrsOfDay } from '../../simulators/voicenter/data.js';
import voicenter from '../../connectors/voicenter/index.js';
import { testBrokers, testBus, until } from '../helpers/kafka.js';
import { encodeDeadLetter, encodeRaw } from '../../runtime/codec.js';
import { deadLetter } from '../../runtime/dead-letters.js';
import { adminSql, runCli, startProcess, type Proc } from '../helpers/process.js';

const TOKEN = 'ops-token-123456';
const CODE = 'ops-voicenter-code';
const SEED = 21;
const PER_DAY = 60;
const DAYS = ['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04'];
/** The backfilled window (the service's own scheduled read covers the last day instead). */
const WINDOW = "connector_id = 'vc' AND started_at >= '2024-05-01 00:00:00' AND started_at < '2024-05-05 00:00:00'";

/** The (call_id, leg) pairs the pipeline must land for the backfill window: worked out by the normaliser alone. */
function expectedKeys(config: Parameters<typeof voicenter.normalise>[2]['config']): Set<string> {
  const from = Date.parse(`${DAYS[0]}T00:00:00Z`) / 1000;
  const to = Date.parse(`${DAYS[DAYS.length - 1]}T00:00:00Z`) / 1000 + 86_400;
  const keys = new Set<string>();
  for (const day of ['2024-04-30', ...DAYS]) {
    for (const cdr of cdrsOfDay(SEED, day, PER_DAY)) {
      if (cdr.epoch < from || cdr.epoch >= to) continue;
      const n = voicenter.normalise(Buffer.from(JSON.stringify(cdr.record)), 'application/json', {
        config,
        received_at: '2024-06-01 00:00:00.000',
        ingested_at: '2024-06-01 00:00:00.000',
        meta: { endpoint: 'cdr' },
        warn: () => {},
      });
      for (const c of n.calls) keys.add(`${c.call_id}|${c.leg}`);
    }
  }
  return keys;
}

const cli = runCli;

describe('operating callhouse', () => {
  const procs: Proc[] = [];
  let sim: Awaited<ReturnType<typeof startVoicenter>>;
  let dir: string;
  let env: Record<string, string>;
  let service: Proc;
  let ingestPort: number;

  beforeAll(async () => {
    sim = await startVoicenter({
      seed: SEED,
      callsPerDay: PER_DAY,
      code: CODE,
      maxReturn: 40,
      requestsPerMinute: 10_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'callhouse-ops-'));
    const configFile = join(dir, 'callhouse.yaml');
    writeFileSync(
      configFile,
      [
        'connectors:',
        '  - id: vc',
        '    type: voicenter',
        '    tenant: ops',
        `    base_url: ${sim.url}`,
        `    code: ${CODE}`,
        `    token: ${TOKEN}`,
        '    min_spacing_ms: 10',
        '    schedule: "0 0 1 1 *"',
        '  - id: pbx',
        '    type: yeastar-s',
        '    tenant: ops',
        '    timezone: UTC',
        `    token: ${TOKEN}`,
        'sink:',
        '  batch_ms: 100',
        '',
      ].join('\n'),
    );
    ingestPort = await freePort();
    env = {
      KAFKA_BROKERS: testBrokers().join(','),
      CALLHOUSE_DATA_DIR: join(dir, 'var'),
      CALLHOUSE_TOPIC_PREFIX: `o${randomBytes(4).toString('hex')}.`,
      CALLHOUSE_CONFIG: configFile,
      CALLHOUSE_HTTP_PORT: String(ingestPort),
      CALLHOUSE_ADMIN_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    service = await startProcess(['start'], env, dir, 'service');
    procs.push(service);
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL').catch(() => undefined);
    await sim?.close();
  });

  it('resumes an interrupted backfill and lands every call once', async () => {
    const args = ['backfill', 'vc', '--from', `${DAYS[0]}T00:00:00Z`, '--to', '2024-05-05T00:00:00Z'];
    // Interrupt the first run once it has finished a day.
    const child = spawn(process.execPath, ['bin/callhouse.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until('the first day done', async () => /vc: [1-9]\/\d+ days/.test(out), 120_000, 100);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const second = await cli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resumed from 2024-05-0[1-4]T\d\d:00:00.000Z/);
    expect(second.stdout).not.toMatch(/vc: 0\/\d+ days/);

    const config = {
      id: 'vc',
      type: 'voicenter',
      tenant: 'ops',
      enabled: true,
      max_body_bytes: 1 << 20,
      timezone: 'Asia/Jerusalem',
      country: 'IL',
      currency: 'ILS',
    } as Parameters<typeof expectedKeys>[0];
    const expected = expectedKeys(config);
    expect(expected.size).toBeGreaterThan(150);
    await until(
      'every backfilled call',
      async () => {
        const n = await adminSql<{ n: number }>(service, `SELECT count() AS n FROM calls FINAL WHERE ${WINDOW}`);
        return Number(n[0]!.n) >= expected.size;
      },
      90_000,
    );
    const rows = await adminSql<{ k: string }>(
      service,
      `SELECT concat(call_id, '|', toString(leg)) AS k FROM calls FINAL WHERE ${WINDOW}`,
    );
    expect(new Set(rows.map((r) => r.k))).toEqual(expected);
    expect(rows.length).toBe(expected.size);

    // A second backfill of the same window adds nothing.
    const third = await cli(args, env);
    expect(third.code, third.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    const again = await adminSql<{ n: number }>(service, `SELECT count() AS n FROM calls FINAL WHERE ${WINDOW}`);
    expect(Number(again[0]!.n)).toBe(expected.size);
  }, 300_000);

  it('prints status as a table and as JSON', async () => {
    const table = await cli(['status'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/│ vc\s+│ voicenter/);
    expect(table.stdout).toMatch(/│ pbx\s+│ yeastar-s/);
    const json = JSON.parse((await cli(['status', '--json'], env)).stdout) as {
      connectors: { id: string; mode: string; dead_letters: number; cursor: unknown }[];
    };
    expect(json.connectors.map((c) => [c.id, c.mode])).toEqual([
      ['vc', 'push+poll'],
      ['pbx', 'push'],
    ]);
  });

  it('answers `callhouse sql` through the running service while it holds the embedded warehouse', async () => {
    const r = await cli(
      ['sql', "SELECT count() AS n FROM calls FINAL WHERE connector_id = 'vc'", '--format', 'json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(Number((JSON.parse(r.stdout.trim()) as { n: number }).n)).toBeGreaterThan(150);
    const csv = await cli(['sql', "SELECT 'a,b' AS x, 2 AS y", '--format', 'csv'], env);
    expect(csv.stdout.trim()).toBe('x,y\n"a,b",2');
    const write = await cli(['sql', 'DROP TABLE calls'], env);
    expect(write.code).toBe(2);
    // The kpi_daily rollup agrees with calls after everything above; a rebuild waits for a stop.
    const check = await cli(['rollup', 'check'], env);
    expect([check.code, check.stdout.trim()], check.stderr).toEqual([
      0,
      'kpi_daily agrees with kpi_daily_from_calls on every row',
    ]);
    const rebuild = await cli(['rollup', 'rebuild'], env);
    expect(rebuild.code).toBe(2);
    expect(rebuild.stderr).toContain('stop it first');
  });

  it('replays a dead letter through the pipeline, and it leaves the dead-letter view', async () => {
    const bad =
      '{"action":"NewCdr","callid":"1714000000.5","timestart":"2024-04-24 23:06:40","callfrom":"1001","callto":"1002","callduraction":"soon","talkduraction":"5","status":"ANSWERED","type":"Internal"}';
    const post = await fetch(`http://127.0.0.1:${ingestPort}/ingest/yeastar-s/pbx?token=${TOKEN}`, {
      method: 'POST',
      body: bad,
    });
    expect(post.status).toBe(200);
    await until(
      'the dead letter',
      async () =>
        (await adminSql(service, "SELECT id FROM dead_letters WHERE connector_id = 'pbx'")).length === 1 || undefined,
    );
    const listed = await cli(['dlq', 'list', '--format', 'json'], env);
    expect(listed.stdout).toContain('INVALID_VALUE');
    // Replaying a payload that is still bad keeps it a dead letter (same id, not marked replayed).
    const r1 = await cli(['dlq', 'replay', '--connector', 'pbx'], env);
    expect(r1.stdout).toContain('replayed 1 dead letter');
    await new Promise((r) => setTimeout(r, 3000));
    const still = await adminSql<{ n: number }>(
      service,
      "SELECT count() AS n FROM dead_letters WHERE connector_id = 'pbx'",
    );
    expect(Number(still[0]!.n)).toBe(1);
    expect(await adminSql(service, "SELECT call_id FROM calls FINAL WHERE call_id = '1714000000.5'")).toEqual([]);

    // After a fix the same payload would parse: a dead letter whose bytes are good now lands and leaves the view.
    const fixed = bad.replace('"callduraction":"soon"', '"callduraction":"8"');
    const original = encodeRaw(
      { key: '1714000000.5', body: Buffer.from(fixed), content_type: 'application/json', meta: {} },
      { id: 'pbx', type: 'yeastar-s', tenant: 'ops', enabled: true, max_body_bytes: 1 << 20 },
    );
    const letter = deadLetter({
      stage: 'transform',
      error: new Error('fixed since'),
      connectorId: 'pbx',
      source: 'yeastar-s',
      payload: Buffer.from(fixed),
      originTopic: `${env.CALLHOUSE_TOPIC_PREFIX}raw.yeastar-s`,
      originKey: '1714000000.5',
      originHeaders: original.headers,
      id: 'transform:fixed-since',
    });
    const bus = testBus();
    await bus.produce(`${env.CALLHOUSE_TOPIC_PREFIX}dead-letters`, [encodeDeadLetter(letter)]);
    await bus.close();
    await until(
      'the crafted dead letter',
      async () =>
        (await adminSql(service, "SELECT id FROM dead_letters WHERE id = 'transform:fixed-since'")).length === 1 ||
        undefined,
    );
    const r2 = await cli(['dlq', 'replay', '--connector', 'pbx', '--since', '2000-01-01T00:00:00Z'], env);
    expect(r2.code, r2.stderr).toBe(0);
    await until(
      'the replayed call',
      async () =>
        (await adminSql(service, "SELECT call_id FROM calls FINAL WHERE call_id = '1714000000.5'")).length === 1 ||
        undefined,
    );
    await until(
      'the dead letter to leave the view',
      async () =>
        (await adminSql(service, "SELECT id FROM dead_letters WHERE id = 'transform:fixed-since'")).length === 0 ||
        undefined,
    );
    const call = await adminSql<{ total_seconds: number }>(
      service,
      "SELECT total_seconds FROM calls FINAL WHERE call_id = '1714000000.5'",
    );
    expect(Number(call[0]!.total_seconds)).toBe(8);
  }, 120_000);

  it('shuts down on SIGTERM under load without losing an acknowledged report, and a restart resumes', async () => {
    const acked: string[] = [];
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        const id = `1715000${String(i).padStart(4, '0')}.1`;
        const body = `{"action":"NewCdr","callid":"${id}","timestart":"2024-05-06 12:00:00","callfrom":"1001","callto":"1002","callduraction":"9","talkduraction":"3","status":"ANSWERED","type":"Internal"}`;
        const r = await fetch(`http://127.0.0.1:${ingestPort}/ingest/yeastar-s/pbx?token=${TOKEN}`, {
          method: 'POST',
          body,
        }).catch(() => undefined);
        if (r?.status === 200) acked.push(id);
      }
    })();
    await until('some load', async () => acked.length > 200, 60_000, 20);
    const code = await service.kill('SIGTERM');
    stop = true;
    await load;
    expect(code).toBe(0);
    service = await startProcess(['start'], env, dir, 'service-2');
    procs.push(service);
    await until(
      `${acked.length} acknowledged calls`,
      async () => {
        const n = await adminSql<{ n: number }>(
          service,
          "SELECT count() AS n FROM calls FINAL WHERE call_id LIKE '1715000%'",
        );
        return Number(n[0]!.n) >= acked.length;
      },
      90_000,
    );
    const rows = await adminSql<{ call_id: string }>(
      service,
      "SELECT call_id FROM calls FINAL WHERE call_id LIKE '1715000%'",
    );
    const landed = new Set(rows.map((r) => r.call_id));
    for (const id of acked) expect(landed.has(id)).toBe(true);
    expect(rows.length).toBe(landed.size);
  }, 240_000);

  it('answers `callhouse sql` from the embedded warehouse itself once no service holds it', async () => {
    const code = await service.kill('SIGTERM');
    expect(code).toBe(0);
    const r = await cli(
      ['sql', "SELECT count() AS n FROM calls FINAL WHERE connector_id = 'vc'", '--format', 'csv'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.stdout.trim().split('\n')[1])).toBeGreaterThan(150);
    // status without a running service: what Kafka and the warehouse know.
    const status = await cli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const body = JSON.parse(status.stdout) as {
      connectors: { id: string; state: string; dead_letters: number; backfill: unknown }[];
    };
    expect(body.connectors.map((c) => [c.id, c.state])).toEqual([
      ['vc', 'not running'],
      ['pbx', 'not running'],
    ]);
    expect(body.connectors.find((c) => c.id === 'pbx')!.dead_letters).toBe(1);
    // Recounted from calls, the rollup still agrees (and the SIGTERM-under-load test changed nothing).
    const rebuild = await cli(['rollup', 'rebuild'], env);
    expect([rebuild.code, rebuild.stdout.trim()], rebuild.stderr).toEqual([0, 'kpi_daily rollup rebuilt from calls']);
    const check = await cli(['rollup', 'check'], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 60_000);
});
