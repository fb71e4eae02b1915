/**
 * A spool write that fails part-way is a 503, never a 200. Kafka is really away (the ingest
 * server's client points at a port where no broker listens), so reports go to the spool; the
 * spool's disk is made to fail at its file boundary (half of a write lands, then ENOSPC), which is
 * our own I/O. The vendor gets 503 with Retry-After, nothing of the refused report stays in the
 * spool, and once the disk has room again the next report is spooled and answered 200.
 */
import { mkdtempSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import { createLogger } from '../../runtime/logging.js';
import { buildIngestServer } from '../../runtime/http.js';
import { Bus, topicNames } from '../../runtime/kafka.js';
import { freePort } from '../../runtime/kafka-local.js';
import { Metrics } from '../../runtime/metrics.js';
import { Spool, type SpoolFile } from '../../runtime/spool.js';
import { StatusBoard } from '../../runtime/status.js';

const TOKEN = 'disk-token-5b7c2d';
const cdr = (id: string) =>
  `{"action":"NewCdr","callid":"${id}","timestart":"2024-05-01 10:00:00","callfrom":"1001","callto":"1002","callduraction":"30","talkduraction":"20","status":"ANSWERED","type":"Internal"}`;

describe('a failing spool disk', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  });

  it('answers 503 (not 200) when the spool write is partial, and 200 once the disk has room', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhouse-disk-full-'));
    let full = false;
    let writes = 0;
    const openFile = async (path: string): Promise<SpoolFile> => {
      const fh = await open(path, 'w');
      return {
        write: async (buf, offset, length, position) => {
          writes += 1;
          if (!full) return fh.write(buf, offset, length, position);
          // Half of it reaches the disk; the next write finds no space.
          const half = Math.floor(length / 2);
          if (half > 0 && length > 100) return fh.write(buf, offset, half, position);
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
        sync: () => fh.sync(),
        truncate: (n) => fh.truncate(n),
        close: () => fh.close(),
      };
    };
    const spool = await Spool.open({ dataDir, maxBytes: 1 << 20, openFile });
    closers.push(() => spool.close());
    const bus = new Bus({ brokers: [`127.0.0.1:${await freePort()}`], clientId: 'disk-full' });
    closers.push(() => bus.close());
    const connectors = [
      {
        id: 'pbx',
        type: 'yeastar-s',
        tenant: 'pbx',
        enabled: true,
        token: TOKEN,
        timezone: 'UTC',
        max_body_bytes: 1 << 20,
      },
    ] as BaseConnectorConfig[];
    const app = buildIngestServer({
      bus,
      topics: topicNames('diskfull.'),
      connectors,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaults: false }),
      status: StatusBoard.of(connectors),
      trustedProxies: [],
      ready: async () => ({ kafka: false, warehouse: true }),
      spool,
      produceTimeoutMs: 300,
    });
    closers.push(() => app.close());
    const post = (id: string) =>
      app.inject({ method: 'POST', url: `/ingest/yeastar-s/pbx?token=${TOKEN}`, payload: cdr(id) });

    // Kafka away, disk fine: spooled, 200.
    const first = await post('disk.1');
    expect(first.statusCode).toBe(200);
    const held = spool.bytes();
    expect(held).toBeGreaterThan(cdr('disk.1').length);

    full = true;
    const before = writes;
    const refused = await post('disk.2');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(writes - before).toBeGreaterThanOrEqual(2); // the partial write, then the failing one
    expect(spool.bytes()).toBe(held);

    full = false;
    expect((await post('disk.3')).statusCode).toBe(200);
    await spool.close();
    // What the spool holds for Kafka: the two acknowledged reports, nothing of the refused one.
    const again = await Spool.open({ dataDir, maxBytes: 1 << 20 });
    const got: string[] = [];
    await again.drain(async (_topic, messages) => {
      for (const m of messages) got.push(JSON.parse(String(m.value)).callid as string);
    });
    expect(got).toEqual(['disk.1', 'disk.3']);
    await again.close();
  }, 60_000);
});
