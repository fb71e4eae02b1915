/**
 * The CLI finds the admin token itself (the data directory's admin.token, or CALLHOUSE_ADMIN_TOKEN)
 * and works end to end against a running service; without the service's token, `dlq replay`
 * re-produces nothing and marks nothing replayed.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkajs } from '../../runtime/kafka-client.js';
import { runCli } from '../helpers/process.js';
import { testBrokers } from '../helpers/kafka.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'admin-cli-ingest-token-7';
const BAD =
  '{"action":"NewCdr","callid":"1714000000.9","timestart":"2024-04-24 23:06:40","callfrom":"1001","callto":"1002","callduraction":"soon","talkduraction":"5","status":"ANSWERED","type":"Internal"}';

describe('the CLI and the admin token', () => {
  let t: TestService;
  let env: Record<string, string>;
  const kafka = new kafkajs.Kafka({ brokers: testBrokers(), logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  /** Messages ever written to the topic a replay would write to. */
  const rawEnd = async (): Promise<number> =>
    (await admin.fetchTopicOffsets(t.service.topics.raw('yeastar-s'))).reduce((n, p) => n + Number(p.high), 0);
  const replayed = async (): Promise<number> =>
    Number(
      (
        await t.query<{ n: string }>(
          "SELECT count() AS n FROM {db}.dead_letter_log FINAL WHERE connector_id = 'pbx' AND replayed = 1",
        )
      )[0]!.n,
    );

  beforeAll(async () => {
    t = await startTestService({ connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: TOKEN }] });
    await admin.connect();
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-admin-cli-'));
    writeFileSync(
      join(dir, 'callhouse.yaml'),
      `connectors:\n  - {id: pbx, type: yeastar-s, timezone: UTC, token: ${TOKEN}}\n`,
    );
    env = {
      CALLHOUSE_CONFIG: join(dir, 'callhouse.yaml'),
      CALLHOUSE_DATA_DIR: t.config.env.dataDir,
      CALLHOUSE_TOPIC_PREFIX: t.config.env.topicPrefix,
      CALLHOUSE_ADMIN_PORT: new URL(t.adminUrl).port,
      CLICKHOUSE_DATABASE: t.warehouse.database,
      KAFKA_BROKERS: testBrokers().join(','),
      LOG_LEVEL: 'silent',
    };
    const post = await fetch(`${t.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`, { method: 'POST', body: BAD });
    expect(post.status).toBe(200);
    await t.waitForCount("SELECT count() AS n FROM {db}.dead_letters WHERE connector_id = 'pbx'", 1);
  }, 60_000);
  afterAll(async () => {
    await admin.disconnect();
    await t?.stop();
  });

  it('refuses `dlq replay`, `sql` and `status` with a wrong token, and replays nothing', async () => {
    const before = await rawEnd();
    const wrong = { ...env, CALLHOUSE_ADMIN_TOKEN: 'not-the-service-token-0123' };
    const replay = await runCli(['dlq', 'replay', '--connector', 'pbx'], wrong);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/refused the admin token \(401\)/);
    expect(replay.stdout).not.toContain('replayed');
    for (const args of [['sql', 'SELECT 1'], ['status'], ['dlq', 'list']]) {
      const r = await runCli(args, wrong);
      expect([r.code, r.stderr.split('\n')[0]], args.join(' ')).toEqual([
        1,
        expect.stringMatching(/refused the admin token \(401\)/),
      ]);
    }
    // Nothing was produced: the raw topic has the same messages, the dead letter is not marked replayed.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await rawEnd()).toBe(before);
    expect(await replayed()).toBe(0);
  }, 120_000);

  it('says where it looked when it finds no token at all', async () => {
    // Another data directory that names the same running service (its lock), without its token.
    const other = mkdtempSync(join(tmpdir(), 'callhouse-admin-cli-other-'));
    copyFileSync(join(t.config.env.dataDir, 'warehouse.lock'), join(other, 'warehouse.lock'));
    const r = await runCli(['sql', 'SELECT 1'], { ...env, CALLHOUSE_DATA_DIR: other });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(other, 'admin.token')} does not exist and CALLHOUSE_ADMIN_TOKEN is not set`);
  }, 60_000);

  it('runs `sql`, `status` and `dlq list` with the token of the data directory, `dlq replay` with CALLHOUSE_ADMIN_TOKEN', async () => {
    const sql = await runCli(['sql', "SELECT 'through the admin listener' AS via", '--format', 'json'], env);
    expect(sql.code, sql.stderr).toBe(0);
    expect(JSON.parse(sql.stdout.trim())).toEqual({ via: 'through the admin listener' });
    const status = await runCli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    // The running service's own board (it counted the request), not the offline fallback.
    expect((JSON.parse(status.stdout) as { connectors: { id: string; received: number }[] }).connectors).toEqual([
      expect.objectContaining({ id: 'pbx', received: 1 }),
    ]);
    const list = await runCli(['dlq', 'list', '--format', 'json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('INVALID_VALUE');
    const before = await rawEnd();
    const replay = await runCli(['dlq', 'replay', '--connector', 'pbx'], {
      ...env,
      CALLHOUSE_ADMIN_TOKEN: t.adminToken,
    });
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('replayed 1 dead letter');
    expect(await rawEnd()).toBe(before + 1);
  }, 120_000);
});
