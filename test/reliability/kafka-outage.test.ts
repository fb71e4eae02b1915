/**
 * The ingest edge while Kafka is down: reports are kept in the on-disk spool (fsynced before the
 * 200), and drained in order when the broker returns; nothing acknowledged is lost. Uses a broker
 * of its own, never the shared one.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalKafka, type LocalKafka } from '../../runtime/kafka-local.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'outage-token-1234';
const cdr = (i: number): string =>
  JSON.stringify({
    action: 'NewCdr',
    callid: `${1716000000 + i}.${i}`,
    timestart: '2024-05-18 02:40:00',
    callfrom: '1001',
    callto: '1002',
    callduraction: '30',
    talkduraction: String(i % 20),
    status: i % 20 ? 'ANSWERED' : 'NO ANSWER',
    type: 'Internal',
  });

describe('Kafka down at the ingest edge', () => {
  let broker: LocalKafka | undefined;
  let t: TestService | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'callhouse-outage-'));
  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    await broker?.stop();
  });

  it('answers 200 from the spool while the broker is stopped, and lands every report once it is back', async () => {
    broker = await startLocalKafka({ dataDir, heapMb: 256 });
    t = await startTestService({
      connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: TOKEN }],
      env: { KAFKA_BROKERS: broker.brokers },
    });
    const post = (body: string) =>
      fetch(`${t!.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`, { method: 'POST', body }).then((r) => r.status);
    for (let i = 0; i < 10; i++) expect(await post(cdr(i))).toBe(200);
    await t.waitForCount('SELECT count() AS n FROM {db}.calls FINAL', 10, 60_000);

    await broker.stop();
    const before = broker.brokers;
    for (let i = 10; i < 40; i++) expect(await post(cdr(i))).toBe(200);
    // The 30 acknowledged reports wait on disk, fsynced.
    const spooled = readdirSync(join(t.config.env.dataDir, 'spool')).filter((f) => f.endsWith('.seg'));
    expect(spooled.reduce((n, f) => n + statSync(join(t!.config.env.dataDir, 'spool', f)).size, 0)).toBeGreaterThan(
      30 * 200,
    );

    broker = await startLocalKafka({ dataDir, heapMb: 256 });
    expect(broker.brokers).toBe(before);
    await t.waitForCount('SELECT count() AS n FROM {db}.calls FINAL', 40, 180_000);
    const rows = await t.query<{ n: number; d: number }>(
      'SELECT count() AS n, uniqExact(call_id) AS d FROM {db}.calls FINAL',
    );
    expect(Number(rows[0]!.n)).toBe(40);
    expect(Number(rows[0]!.d)).toBe(40);
  }, 400_000);
});
