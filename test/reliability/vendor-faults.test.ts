/**
 * A vendor API that misbehaves: between callhouse and a simulated Voicenter Call Log sits a proxy
 * that answers some requests with a 500, garbage, or a truncated body, and one not at all. The backfill retries them,
 * and afterwards every call is in `calls` exactly once with nothing missing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import voicenter from '../../connectors/voicenter/index.js';
import { cdrsOfDay } from '../../simulators/voicenter/data.js';
import { startSimulator, type VoicenterSimulator } from '../../simulators/voicenter/index.js';
import { randomPrefix } from '../helpers/kafka.js';
import { drained, runBackfill, seedCursors } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const SEED = 31;
const PER_DAY = 80;
const DAY = '2024-02-14';
type Fault = '500' | 'garbage' | 'truncated' | 'hang';
/** Which requests (1-based) misbehave, and how. */
const FAULTS = new Map<number, Fault>([
  [1, '500'],
  [3, 'garbage'],
  [5, 'truncated'],
  [8, '500'],
  [10, 'hang'],
]);

function faultyProxy(target: string): Promise<{ url: string; server: Server; seen: () => number; faulted: Fault[] }> {
  let n = 0;
  const faulted: Fault[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      n += 1;
      const fault = FAULTS.get(n);
      if (fault === '500') {
        faulted.push(fault);
        res.writeHead(500).end('Internal Server Error');
        return;
      }
      if (fault === 'hang') {
        // Never answers: the client's own timeout (30 s) must end the request.
        faulted.push(fault);
        return;
      }
      if (fault === 'garbage') {
        faulted.push(fault);
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html><body>Bad gateway</body></html>');
        return;
      }
      void fetch(target, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(chunks),
      })
        .then(async (r) => {
          const body = Buffer.from(await r.arrayBuffer());
          if (fault === 'truncated') {
            faulted.push(fault);
            res
              .writeHead(r.status, { 'content-type': 'application/json' })
              .end(body.subarray(0, Math.floor(body.length / 2)));
            return;
          }
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(body);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/hub/cdr/`, server, seen: () => n, faulted });
    }),
  );
}

describe('a vendor API that fails in every way', () => {
  let sim: VoicenterSimulator;
  let proxy: Awaited<ReturnType<typeof faultyProxy>>;
  let t: TestService;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: SEED,
      callsPerDay: PER_DAY,
      code: 'faults-code-1',
      maxReturn: 30,
      requestsPerMinute: 10_000,
    });
    proxy = await faultyProxy(sim.url);
    const prefix = randomPrefix();
    await seedCursors(prefix, { vc: { to: '2100-01-01T00:00:00.000Z' } });
    t = await startTestService({
      prefix,
      connectors: [
        {
          id: 'vc',
          type: 'voicenter',
          tenant: 'faults',
          base_url: proxy.url,
          code: 'faults-code-1',
          min_spacing_ms: 10,
          max_records_per_request: 30,
        },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await sim?.close();
  });

  it('retries 500s, garbage, truncated bodies and a request that never ends, and lands every call exactly once', async () => {
    const from = new Date(`${DAY}T00:00:00Z`);
    const to = new Date(from.getTime() + 86_400_000);
    await runBackfill(t, 'vc', from, to);
    await drained(t);
    expect(proxy.faulted).toEqual(['500', 'garbage', 'truncated', '500', 'hang']);
    expect(proxy.seen()).toBeGreaterThan(10);

    // What must be there: the normaliser's calls of every CDR the simulator holds for the window.
    const expected = new Set<string>();
    for (const day of ['2024-02-13', DAY]) {
      for (const cdr of cdrsOfDay(SEED, day, PER_DAY)) {
        if (cdr.epoch < from.getTime() / 1000 || cdr.epoch >= to.getTime() / 1000) continue;
        const n = voicenter.normalise(Buffer.from(JSON.stringify(cdr.record)), 'application/json', {
          config: t.config.connectors[0]! as Parameters<typeof voicenter.normalise>[2]['config'],
          received_at: '2024-03-01 00:00:00.000',
          ingested_at: '2024-03-01 00:00:00.000',
          meta: { endpoint: 'cdr' },
          warn: () => {},
        });
        for (const c of n.calls) expected.add(`${c.call_id}|${c.leg}`);
      }
    }
    expect(expected.size).toBeGreaterThan(60);
    const rows = await t.query<{ k: string }>(
      `SELECT concat(call_id, '|', toString(leg)) AS k FROM {db}.calls FINAL WHERE connector_id = 'vc'`,
    );
    expect(rows.length).toBe(expected.size);
    expect(new Set(rows.map((r) => r.k))).toEqual(expected);
  }, 240_000);
});
