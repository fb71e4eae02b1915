/**
 * The protocol versions kafkajs negotiates with the broker, checked against the broker's own
 * answer to an ApiVersions request written here byte by byte (not through kafkajs), and against
 * the table in docs/00-overview.md, which says what was checked.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { testBrokers } from '../helpers/kafka.js';

const require = createRequire(import.meta.url);
const { requests } = require('kafkajs/src/protocol/requests') as {
  requests: Record<string, { versions: string[] }>;
};
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys') as Record<string, number>;

/** kafkajs's names where they differ from Kafka's. */
const KAFKAJS_NAME: Record<string, string> = { FindCoordinator: 'GroupCoordinator' };

/**
 * Versions a Kafka 4 broker refuses although its ApiVersions answer includes them: Produce v0-v2
 * were removed by KIP-896, but the broker still advertises v0 for old librdkafka clients.
 */
const REFUSED_BELOW: Record<string, number> = { Produce: 3 };

interface Row {
  api: string;
  key: number;
  implemented: [number, number];
  negotiated: number;
  accepts: [number, number];
}

function docTable(): Row[] {
  const doc = readFileSync('docs/00-overview.md', 'utf8');
  const start = doc.indexOf('| API (key) | kafkajs implements |');
  expect(start).toBeGreaterThan(0);
  const lines = doc.slice(start).split('\n').slice(2);
  const rows: Row[] = [];
  for (const line of lines) {
    const m = /^\| (\w+) \((\d+)\) \| (\d+)–(\d+) \| (\d+) \| (\d+)–(\d+) \|/.exec(line);
    if (!m) break;
    rows.push({
      api: m[1]!,
      key: Number(m[2]),
      implemented: [Number(m[3]), Number(m[4])],
      negotiated: Number(m[5]),
      accepts: [Number(m[6]), Number(m[7])],
    });
  }
  return rows;
}

/** Sends one request (header v1: api key, version, correlation id, client id) and returns the response body. */
function request(address: string, apiKey: number, version: number, body: Buffer): Promise<Buffer | undefined> {
  const [host, port] = address.split(':');
  const clientId = Buffer.from('callhouse-protocol-check');
  const header = Buffer.alloc(10 + clientId.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(42, 4);
  header.writeInt16BE(clientId.length, 8);
  clientId.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let got = Buffer.alloc(0);
    s.setTimeout(10_000, () => {
      s.destroy();
      reject(new Error(`no answer from ${address}`));
    });
    s.once('error', reject);
    // A broker closes the connection on a request version it does not accept.
    s.once('close', () => resolve(undefined));
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        const response = got.subarray(8, 4 + got.readInt32BE(0)); // after the size and the correlation id
        s.destroy();
        resolve(response);
      }
    });
    s.connect(Number(port), host!, () => s.write(Buffer.concat([size, header, body])));
  });
}

/** ApiVersions v0: error code, then [api key, min version, max version] per API. */
async function brokerVersions(address: string): Promise<Map<number, [number, number]>> {
  const r = await request(address, 18, 0, Buffer.alloc(0));
  expect(r).toBeDefined();
  expect(r!.readInt16BE(0)).toBe(0);
  const n = r!.readInt32BE(2);
  const out = new Map<number, [number, number]>();
  for (let i = 0, o = 6; i < n; i++, o += 6) out.set(r!.readInt16BE(o), [r!.readInt16BE(o + 2), r!.readInt16BE(o + 4)]);
  return out;
}

describe('the protocol versions kafkajs uses', () => {
  it('are accepted by the broker, as the table in the overview says', async () => {
    const rows = docTable();
    expect(rows.map((r) => r.api)).toEqual(
      expect.arrayContaining([
        'Produce',
        'Fetch',
        'ListOffsets',
        'Metadata',
        'OffsetCommit',
        'OffsetFetch',
        'FindCoordinator',
        'JoinGroup',
        'Heartbeat',
        'LeaveGroup',
        'SyncGroup',
        'ApiVersions',
        'CreateTopics',
        'InitProducerId',
        'DescribeConfigs',
        'DeleteGroups',
      ]),
    );
    for (const address of testBrokers()) {
      const broker = await brokerVersions(address);
      for (const row of rows) {
        const name = KAFKAJS_NAME[row.api] ?? row.api;
        expect(apiKeys[name], row.api).toBe(row.key);
        const implemented = requests[name]!.versions.map(Number);
        expect([Math.min(...implemented), Math.max(...implemented)], row.api).toEqual(row.implemented);
        const range = broker.get(row.key);
        expect(range, `${row.api} served by ${address}`).toBeDefined();
        const [min, max] = range!;
        // kafkajs's choice (protocol/requests/index.js, lookup): its highest version the broker serves.
        const negotiated = Math.min(row.implemented[1], max);
        expect(negotiated, row.api).toBe(row.negotiated);
        expect(negotiated, row.api).toBeGreaterThanOrEqual(Math.max(min, REFUSED_BELOW[row.api] ?? 0));
        // Fetch before v4 is gone from Kafka 4 (KIP-896): the ranges of the table are then this broker's.
        if (broker.get(1)![0] >= 4) {
          expect([Math.max(min, REFUSED_BELOW[row.api] ?? min), max], row.api).toEqual(row.accepts);
        }
      }
    }
  });

  it('Produce below v3 is refused by a Kafka 4 broker although advertised, and v3 is answered', async () => {
    const address = testBrokers()[0]!;
    const broker = await brokerVersions(address);
    // Produce v0-v2 body: acks, timeout, no topics; v3 puts a null transactional id first.
    const v2 = Buffer.alloc(10);
    v2.writeInt16BE(1, 0);
    v2.writeInt32BE(1000, 2);
    v2.writeInt32BE(0, 6);
    const v3 = Buffer.concat([Buffer.from([0xff, 0xff]), v2]);
    expect(await request(address, 0, 3, v3)).toBeDefined();
    const refused = (await request(address, 0, 2, v2)) === undefined;
    expect(refused).toBe(broker.get(1)![0] >= 4);
  });
});
