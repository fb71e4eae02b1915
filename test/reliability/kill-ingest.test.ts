/**
 * A whole callhouse killed with SIGKILL while a PBX is pushing to it: every report it answered
 * 200 (durable in Kafka, or fsynced in the spool) is in `calls` exactly once after a restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/kafka-local.js';
import { testBrokers, until } from '../helpers/kafka.js';
import { adminSql, startProcess, type Proc } from '../helpers/process.js';

const TOKEN = 'kill-ingest-token-7';
const body = (i: number) =>
  JSON.stringify({
    action: 'NewCdr',
    callid: `${1718000000 + i}.${i}`,
    timestart: '2024-06-10 06:13:20',
    callfrom: '1001',
    callto: '1002',
    callduraction: '12',
    talkduraction: '7',
    status: 'ANSWERED',
    type: 'Internal',
  });

describe('callhouse killed under push load', () => {
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL').catch(() => undefined);
  });

  it('keeps every acknowledged report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-kill-ingest-'));
    const config = join(dir, 'callhouse.yaml');
    writeFileSync(config, `connectors:\n  - id: pbx\n    type: yeastar-s\n    timezone: UTC\n    token: ${TOKEN}\n`);
    const port = await freePort();
    const env = {
      KAFKA_BROKERS: testBrokers().join(','),
      CALLHOUSE_DATA_DIR: join(dir, 'var'),
      CALLHOUSE_TOPIC_PREFIX: `ki${randomBytes(4).toString('hex')}.`,
      CALLHOUSE_CONFIG: config,
      CALLHOUSE_HTTP_PORT: String(port),
      CALLHOUSE_ADMIN_PORT: String(await freePort()),
    };
    let service = await startProcess(['start'], env, dir, 'all-1');
    procs.push(service);
    const acked: number[] = [];
    let next = 0;
    let stop = false;
    const pbx = async (): Promise<void> => {
      while (!stop) {
        const i = next++;
        const r = await fetch(`http://127.0.0.1:${port}/ingest/yeastar-s/pbx?token=${TOKEN}`, {
          method: 'POST',
          body: body(i),
        }).catch(() => undefined);
        if (r?.status === 200) acked.push(i);
        else await new Promise((res) => setTimeout(res, 50));
      }
    };
    const senders = Array.from({ length: 8 }, () => pbx());
    await until('load to build up', async () => acked.length > 400, 60_000, 20);
    await service.kill('SIGKILL');
    service = await startProcess(['start'], env, dir, 'all-2');
    procs.push(service);
    await until('more reports after the restart', async () => acked.length > 800, 60_000, 50);
    stop = true;
    await Promise.all(senders);

    await until(
      `${acked.length} acknowledged calls`,
      async () => {
        const n = await adminSql<{ n: number }>(service, 'SELECT count() AS n FROM calls FINAL');
        return Number(n[0]!.n) >= acked.length;
      },
      120_000,
      500,
    );
    const rows = await adminSql<{ call_id: string }>(service, 'SELECT call_id FROM calls FINAL');
    const landed = new Set(rows.map((r) => r.call_id));
    const missing = acked.filter((i) => !landed.has(`${1718000000 + i}.${i}`));
    expect(missing).toEqual([]);
    expect(rows.length).toBe(landed.size);
  }, 300_000);
});
