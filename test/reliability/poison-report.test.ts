/**
 * A report Kafka refuses for good never blocks the spool, against the real broker: the raw topic
 * is created with a small max.message.bytes (64 KiB) before callhouse starts. The broker's own
 * refusal is KAFKA_REJECTED; sends are split by the topic's limit; the start-up check says what to
 * change; a poison report spooled while Kafka was away is dead-lettered with its reason and the
 * drain lands the reports after it; a live report over what Kafka takes is answered 413.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRaw } from '../../runtime/codec.js';
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import { checkKafkaLimits, RAW_ENVELOPE_BYTES } from '../../runtime/ingest-kafka.js';
import { Bus, topicNames } from '../../runtime/kafka.js';
import { Spool } from '../../runtime/spool.js';
import { randomPrefix, testBrokers, testBus } from '../helpers/kafka.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { testDataDir } from '../helpers/warehouse.js';

const TOKEN = 'poison-token-3e9f1a';
const TOPIC_MAX = 64 * 1024;
const cdr = (id: string, pad = 0) =>
  JSON.stringify({
    action: 'NewCdr',
    callid: id,
    timestart: '2024-05-01 10:00:00',
    callfrom: '1001',
    callto: '1002',
    callduraction: '30',
    talkduraction: '20',
    status: 'ANSWERED',
    type: 'Internal',
    ...(pad ? { pad: 'x'.repeat(pad) } : {}),
  });

describe('poison reports against the real broker', () => {
  const prefix = randomPrefix();
  const topics = topicNames(prefix);
  const raw = topics.raw('yeastar-s');
  const bus = testBus();
  const connector = {
    id: 'pbx',
    type: 'yeastar-s',
    tenant: 'pbx',
    enabled: true,
    token: TOKEN,
    max_body_bytes: 1024 * 1024,
  };
  let t: TestService | undefined;

  beforeAll(async () => {
    await bus.ensureTopics([{ name: raw, partitions: 2, config: { 'max.message.bytes': String(TOPIC_MAX) } }]);
  });
  afterAll(async () => {
    await t?.stop();
    await bus.close();
  });

  it('the broker’s own refusal of an oversized record is KAFKA_REJECTED, and large sends are split by the limit', async () => {
    // A client that has not read the limits: the broker answers.
    const fresh = new Bus({ brokers: testBrokers(), clientId: 'poison-fresh' });
    try {
      await expect(
        fresh.produce(raw, [{ key: 'k', value: Buffer.alloc(TOPIC_MAX + 1000, 120) }]),
      ).rejects.toMatchObject({
        code: 'KAFKA_REJECTED',
        retriable: false,
        details: { kafka: 'MESSAGE_TOO_LARGE' },
      });
      // 300 records of 1000 bytes in one call to a topic taking 4 KiB batches: split, all delivered.
      const small = `${prefix}split`;
      await fresh.ensureTopics([{ name: small, partitions: 1, config: { 'max.message.bytes': '4096' } }]);
      await fresh.produce(
        small,
        Array.from({ length: 300 }, (_, i) => ({ key: null, value: Buffer.from(String(i).padEnd(1000, '.')) })),
      );
      const got = await fresh.readAll(small);
      expect(got.map((m) => Number(m.value.toString().replace(/\.+$/, '')))).toEqual(
        Array.from({ length: 300 }, (_, i) => i),
      );
    } finally {
      await fresh.close();
    }
  });

  it('checks max_body_bytes against the topic at start-up and says what to change', async () => {
    const check = await checkKafkaLimits(bus, topics, [connector as BaseConnectorConfig]);
    const fits = TOPIC_MAX - RAW_ENVELOPE_BYTES;
    expect(check.warnings).toHaveLength(1);
    expect(check.warnings[0]).toContain(`connector pbx: max_body_bytes 1048576 plus up to ${RAW_ENVELOPE_BYTES} bytes`);
    expect(check.warnings[0]).toContain(`max.message.bytes ${TOPIC_MAX}`);
    expect(check.warnings[0]).toContain(`Raise max.message.bytes of ${raw}`);
    expect(check.warnings[0]).toContain(`or lower max_body_bytes to ${fits}`);
    expect(check.bodyLimit(connector as BaseConnectorConfig)).toBe(fits);
    // A connector within the limit gets no warning and keeps its own.
    const fine = { ...connector, id: 'fine', max_body_bytes: 1000 } as BaseConnectorConfig;
    const ok = await checkKafkaLimits(bus, topics, [fine]);
    expect([ok.warnings, ok.bodyLimit(fine)]).toEqual([[], 1000]);
  });

  it('dead-letters a spooled poison report with its reason and lands the reports after it', async () => {
    // Reports acknowledged from the spool while Kafka was away, before this process restarted.
    const spool = await Spool.open({ dataDir: testDataDir(), maxBytes: 64 << 20 });
    const poison = cdr('poison.1', TOPIC_MAX);
    for (const [id, body] of [
      ['good.1', cdr('good.1')],
      ['poison.1', poison],
      ['good.2', cdr('good.2')],
    ] as const) {
      const m = encodeRaw({ key: id, body: Buffer.from(body), content_type: 'application/json', meta: {} }, connector);
      await spool.append([{ topic: raw, ...m }]);
    }
    await spool.close();

    t = await startTestService({
      connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: TOKEN }],
      prefix,
    });
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id LIKE 'good.%'`, 2, 60_000);
    await t.waitForCount(`SELECT count() AS n FROM {db}.dead_letters WHERE connector_id = 'pbx'`, 1, 60_000);
    const dl = await t.query<{ error_code: string; error: string; stage: string; len: string; origin_topic: string }>(
      `SELECT error_code, error, stage, length(payload) AS len, origin_topic FROM {db}.dead_letter_log FINAL WHERE connector_id = 'pbx'`,
    );
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ error_code: 'KAFKA_REJECTED', stage: 'ingest', origin_topic: raw });
    expect(Number(dl[0]!.len)).toBe(poison.length);
    expect(dl[0]!.error).toMatch(/larger than max\.message\.bytes \(65536\)/);
    expect(await t.query(`SELECT call_id FROM {db}.calls FINAL WHERE call_id = 'poison.1'`)).toEqual([]);
    expect(t.service.status.all().find((s) => s.id === 'pbx')?.last_error).toMatch(
      /refused by Kafka and sent to dead letters/,
    );
    const metrics = await (await fetch(`${t.ingestUrl}/metrics`)).text();
    expect(metrics).toMatch(/^callhouse_ingest_spool_set_aside_total\{to="dead-letters"\} 1$/m);
    expect(metrics).toMatch(/^callhouse_ingest_spool_bytes 0$/m);
  }, 120_000);

  it('answers 413 to a live report over what Kafka takes, and 200 to the next one', async () => {
    const post = (body: string) =>
      fetch(`${t!.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`, { method: 'POST', body }).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    const over = await post(cdr('live.big', TOPIC_MAX - RAW_ENVELOPE_BYTES));
    expect(over.status).toBe(413);
    expect(over.text).toContain(`at most ${TOPIC_MAX - RAW_ENVELOPE_BYTES} bytes`);
    expect((await post(cdr('live.1'))).status).toBe(200);
    await t!.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id = 'live.1'`, 1, 60_000);
    expect(t!.service.status.all().length).toBe(1);
  }, 60_000);
});
