/**
 * Hostile input through the real ingest server (issue 13): the corpus in test/fixtures/hostile/
 * and random bytes / random JSON from fast-check, POSTed to the yeastar-s, voicenter and yeastar-p
 * push connectors of one running service. The server keeps serving, memory stays bounded, and
 * every input ends as a 4xx or in dead_letters (or, for the few random inputs that happen to be a
 * valid report, in raw_payloads and onward). Each input is tagged by a content-type parameter
 * (`x-fuzz=<n>`), which the raw message headers and so the dead letter's origin_headers keep.
 */
import { appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileInputs, type HostileInput } from '../fixtures/hostile/index.js';
import { drained } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'fuzz-token-0123456789';
const CONNECTORS = [
  { id: 'ys', type: 'yeastar-s', timezone: 'UTC', token: TOKEN },
  { id: 'vc', type: 'voicenter', token: TOKEN },
  {
    id: 'yp',
    type: 'yeastar-p',
    timezone: 'UTC',
    token: TOKEN,
    base_url: 'http://127.0.0.1:1',
    client_id: 'fuzz-client',
    client_secret: 'fuzz-client-secret',
  },
] as const;
const GOOD_CDR = (id: string) =>
  `{"action":"NewCdr","callid":"${id}","timestart":"2024-05-01 10:00:00","callfrom":"1001","callto":"1002","callduraction":"30","talkduraction":"20","status":"ANSWERED","type":"Internal"}`;

interface Outcome {
  n: number;
  name: string;
  connector: string;
  bytes: number;
  status: number;
}

/**
 * Bounds (reasoning in docs/reliability.md): the JS heap after a full GC may grow by at most
 * HEAP_BOUND (what stays is caches, not the bodies); the process RSS, which here also holds the
 * embedded ClickHouse engine and the Kafka client buffers of one service, by at most RSS_BOUND.
 */
const HEAP_BOUND = 200 * 1024 * 1024;
const RSS_BOUND = 1536 * 1024 * 1024;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};

describe('hostile input through the ingest server', () => {
  let t: TestService;
  const outcomes: Outcome[] = [];
  let n = 0;

  const post = async (connector: (typeof CONNECTORS)[number], input: HostileInput): Promise<Outcome> => {
    const tag = ++n;
    const r = await fetch(`${t.ingestUrl}/ingest/${connector.type}/${connector.id}?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': `${input.contentType}; x-fuzz=${tag}` },
      body: input.body,
    }).catch((e: Error) => ({ status: -1, text: async () => e.message }));
    await r.text();
    const o = { n: tag, name: input.name, connector: connector.id, bytes: input.body.length, status: r.status };
    outcomes.push(o);
    if (process.env.HOSTILE_PROGRESS)
      appendFileSync(process.env.HOSTILE_PROGRESS, `${Date.now()} ${JSON.stringify(o)}\n`);
    return o;
  };

  beforeAll(async () => {
    t = await startTestService({ connectors: CONNECTORS.map((c) => ({ ...c })) });
  });
  afterAll(async () => {
    await t?.stop();
    mkdirSync('.vitest-tmp', { recursive: true });
    writeFileSync('.vitest-tmp/hostile-ingest-outcomes.json', JSON.stringify(outcomes, null, 1));
  });

  it('answers every hostile input with 200 or a 4xx, keeps serving, and keeps memory bounded', async () => {
    // Warm up (JIT, connections, warehouse tables) before the baseline.
    for (let i = 0; i < 20; i++)
      expect(
        (
          await post(CONNECTORS[0], {
            name: 'warm-up',
            body: Buffer.from(GOOD_CDR(`warm.${i}`)),
            contentType: 'application/json',
          })
        ).status,
      ).toBe(200);
    const heap0 = heapAfterGc();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

    const corpus = hostileInputs();
    for (const input of corpus) {
      // Each connector gets each input; four requests in flight.
      const results = await Promise.all(CONNECTORS.map((c) => post(c, input)));
      for (const o of results)
        expect([o.name, o.connector, o.status >= 200 && o.status < 500 ? 'ok' : o.status]).toEqual([
          o.name,
          o.connector,
          'ok',
        ]);
    }
    // Random bytes, and random JSON values (valid JSON of the wrong shape), at each connector.
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 4096 });
    const json = fc.json({ maxDepth: 6 });
    for (const [name, arb, ct] of [
      ['random-bytes', bytes, 'application/octet-stream'],
      ['random-json', json, 'application/json'],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(arb as fc.Arbitrary<Uint8Array | string>, fc.constantFrom(...CONNECTORS), async (v, c) => {
          const o = await post(c, { name, body: Buffer.from(v), contentType: ct });
          return o.status >= 200 && o.status < 500;
        }),
        { numRuns: 150, seed: 13 },
      );
    }
    // Mutations of a good report: truncations and flipped bytes.
    await fc.assert(
      fc.asyncProperty(
        fc.nat(400),
        fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        async (cut, flips) => {
          const b = Buffer.from(GOOD_CDR('mut.1')).subarray(0, Math.max(1, cut));
          for (const [at, v] of flips) if (at < b.length) b[at] = v;
          const o = await post(CONNECTORS[0], { name: 'mutated-cdr', body: b, contentType: 'application/json' });
          return o.status >= 200 && o.status < 500;
        },
      ),
      { numRuns: 150, seed: 13 },
    );
    clearInterval(sample);
    const rss1 = process.memoryUsage().rss;
    const heap1 = heapAfterGc();
    console.log(
      `hostile storm: ${outcomes.length} requests; rss ${Math.round(rss0 / 1e6)} MB → ${Math.round(rss1 / 1e6)} MB (peak ${Math.round(peak / 1e6)} MB); heap after GC ${Math.round(heap0 / 1e6)} MB → ${Math.round(heap1 / 1e6)} MB`,
    );
    expect(peak - rss0).toBeLessThan(RSS_BOUND);
    expect(heap1 - heap0).toBeLessThan(HEAP_BOUND);

    // Still serving: health, and a good report at each connector gets its 200 and lands.
    expect((await fetch(`${t.ingestUrl}/healthz`)).status).toBe(200);
    expect(
      (
        await post(CONNECTORS[0], {
          name: 'after',
          body: Buffer.from(GOOD_CDR('after.1')),
          contentType: 'application/json',
        })
      ).status,
    ).toBe(200);
    const vc = {
      ivruniqueid: 'after-storm-vc-1',
      time: 1714557600,
      type: 'Incoming',
      status: 'ANSWER',
      caller: '0501234567',
      target: '101',
      duration: 12,
    };
    expect(
      (
        await post(CONNECTORS[1], {
          name: 'after',
          body: Buffer.from(JSON.stringify(vc)),
          contentType: 'application/json',
        })
      ).status,
    ).toBe(200);
    const yp =
      '{"type":30012,"sn":"3631A2124XXX","msg":"{\\"call_id\\":\\"after-storm-yp-1\\",\\"uid\\":\\"2024111913594421D77\\"}"}';
    expect(
      (await post(CONNECTORS[2], { name: 'after', body: Buffer.from(yp), contentType: 'application/json' })).status,
    ).toBe(200);
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id = 'after.1'`, 1, 60_000);
    await t.waitForCount(
      `SELECT count() AS n FROM {db}.raw_payloads WHERE connector_id IN ('vc', 'yp') AND body LIKE '%after-storm-%'`,
      2,
      60_000,
    );
  }, 110_000);

  it('puts every input that was not refused outright into dead_letters (or, if valid, onward)', async () => {
    await drained(t, 90_000);
    const dl = await t.query<{ tag: string; stage: string }>(
      `SELECT extract(origin_headers, 'x-fuzz=(\\\\d+)') AS tag, any(stage) AS stage FROM {db}.dead_letter_log FINAL WHERE replayed = 0 GROUP BY tag`,
    );
    const dead = new Map(dl.map((r) => [Number(r.tag), r.stage]));
    const raw = await t.query<{ tag: string }>(
      `SELECT DISTINCT extract(content_type, 'x-fuzz=(\\\\d+)') AS tag FROM {db}.raw_payloads`,
    );
    const stored = new Set(raw.map((r) => Number(r.tag)));
    const fuzz = outcomes.filter((o) => o.name !== 'warm-up' && o.name !== 'after');
    const summary = {
      requests: fuzz.length,
      s200: 0,
      s400: 0,
      s413: 0,
      other4xx: 0,
      deadIngest: 0,
      deadTransform: 0,
      validOnward: 0,
      lost: [] as Outcome[],
    };
    for (const o of fuzz) {
      if (o.status === 413) summary.s413 += 1;
      else if (o.status === 400) summary.s400 += 1;
      else if (o.status === 200) summary.s200 += 1;
      else summary.other4xx += 1;
      const d = dead.get(o.n);
      if (d === 'ingest') summary.deadIngest += 1;
      else if (d) summary.deadTransform += 1;
      // A 400 must have left its bytes in dead letters; a 200 is in Kafka (raw_payloads) and either
      // dead-lettered by the transform or a valid report.
      if (o.status === 400 && d !== 'ingest') summary.lost.push(o);
      if (o.status === 200) {
        // An array of events is split into one raw message per event, with the content type the
        // connector gives it (the tag goes): counted by its events below.
        if (o.name === 'big-event-array') summary.validOnward += 0;
        else if (!stored.has(o.n)) summary.lost.push(o);
        else if (!d) summary.validOnward += 1;
      }
    }
    const split = fuzz.filter((o) => o.name === 'big-event-array' && o.status === 200);
    for (const o of split) {
      const rows = await t.query<{ n: string }>(
        `SELECT count() AS n FROM {db}.raw_payloads WHERE connector_id = '${o.connector}' AND body LIKE '{"type":30012,"msg":{"call_id":"c%'`,
      );
      expect([o.connector, Number(rows[0]!.n)]).toEqual([o.connector, 20_000]);
    }
    console.log(`hostile outcomes: ${JSON.stringify({ ...summary, lost: summary.lost.length })}`);
    expect(summary.lost).toEqual([]);
    expect(summary.other4xx).toBe(0);
    expect(summary.s413).toBe(6); // the two oversized bodies at each of the three connectors
  }, 110_000);
});
