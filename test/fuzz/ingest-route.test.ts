/**
 * The ingest route, in process (fastify's `inject`), against generated requests: vendor-shaped
 * bodies and their damaged variants (test/fuzz/generators.ts) at every push connector, with
 * right, wrong and missing tokens in each place a token can be, unknown ids and types, odd
 * content types and bodies over a connector's limit. The produce boundary is an in-process
 * recorder (this test proves no crash and that every request is accounted for; that reports
 * arrive in Kafka and the warehouse is proven against the real broker elsewhere, e.g.
 * test/reliability/hostile-ingest.test.ts). Each request must end as a 200 with its records
 * produced, a 400 with exactly one dead letter, or a refusal (401, 403, 404, 413) that produced
 * nothing; never a 5xx or a throw.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { buildIngestServer } from '../../runtime/http.js';
import type { Bus, OutMessage } from '../../runtime/kafka.js';
import { TopicLimits } from '../../runtime/kafka-limits.js';
import { createLogger } from '../../runtime/logging.js';
import { topicNames } from '../../runtime/kafka.js';
import { Metrics } from '../../runtime/metrics.js';
import { StatusBoard } from '../../runtime/status.js';
import { variants, VENDOR_INPUTS } from './generators.js';

const REQUESTS = Number(process.env.FUZZ_INGEST_REQUESTS ?? 50_000);
const TOKEN = 'fuzz-route-token-0123';
const topics = topicNames('fuzz.');
const push = CONNECTORS.filter((c) => c.ingest);

describe('fuzzing the ingest route', () => {
  const produced = { raw: 0, dead: 0 };
  const bus = {
    limits: new TopicLimits(),
    produce: async (topic: string, messages: OutMessage[]) => {
      if (topic === topics.deadLetters) produced.dead += messages.length;
      else produced.raw += messages.length;
    },
  } as unknown as Bus;
  const connectors = push.flatMap((spec) =>
    [
      { id: `${spec.type}-1`, max_body_bytes: 1024 * 1024 },
      { id: `${spec.type}-small`, max_body_bytes: 200 },
      { id: `${spec.type}-office`, max_body_bytes: 1024 * 1024, allow_ips: ['192.0.2.0/24'] },
    ].map((c) =>
      spec.configSchema.parse({ ...spec.example, ...c, token: TOKEN, timezone: 'Europe/London', country: 'GB' }),
    ),
  ) as BaseConnectorConfig[];
  const app = buildIngestServer({
    bus,
    topics,
    connectors,
    logger: createLogger('silent'),
    metrics: new Metrics({ defaults: false }),
    status: StatusBoard.of(connectors),
    trustedProxies: [],
    ready: async () => ({ kafka: true, warehouse: true }),
    rateLimitPerSource: 1e9,
  });
  afterAll(() => app.close());

  it(`accounts for each of ${REQUESTS} generated requests: records, a dead letter or a refusal`, async () => {
    const tally: Record<string, number> = {};
    const wrong: string[] = [];
    const request = fc.record({
      vendor: fc.constantFrom(...push.map((s) => s.type)),
      target: fc.constantFrom('1', '1', '1', '1', 'small', 'office', 'unknown', 'other-type'),
      token: fc.constantFrom('query', 'bearer', 'header', 'header', 'wrong', 'missing', 'empty-bearer'),
      contentType: fc.option(
        fc.constantFrom(
          'application/json',
          'text/csv',
          'application/x-www-form-urlencoded',
          'x/y; charset=utf-16',
          '*/*',
          '',
        ),
        { freq: 3 },
      ),
      seed: fc.nat(),
    });
    const requests = fc.sample(
      request.chain((r) => VENDOR_INPUTS[r.vendor]!.map((input) => ({ ...r, input }))),
      { numRuns: Math.ceil(REQUESTS / 10), seed: 22 },
    );
    let n = 0;
    for (const r of requests) {
      for (const v of variants(r.input, r.seed)) {
        n += 1;
        const id = r.target === 'unknown' ? 'nobody' : `${r.vendor}-${r.target === 'other-type' ? '1' : r.target}`;
        const type = r.target === 'other-type' ? push.find((s) => s.type !== r.vendor)!.type : r.vendor;
        const headers: Record<string, string> = { 'content-type': r.contentType ?? v.contentType };
        let query = '';
        if (r.token === 'query') query = `?token=${TOKEN}`;
        else if (r.token === 'bearer') headers.authorization = `Bearer ${TOKEN}`;
        else if (r.token === 'header') headers['x-callhouse-token'] = TOKEN;
        else if (r.token === 'wrong') headers['x-callhouse-token'] = `${TOKEN}x`;
        else if (r.token === 'empty-bearer') headers.authorization = 'Bearer ';
        const before = { ...produced };
        let status: number;
        try {
          const res = await app.inject({
            method: 'POST',
            url: `/ingest/${type}/${id}${query}`,
            headers,
            payload: v.body,
          });
          status = res.statusCode;
        } catch (e) {
          wrong.push(`throw: ${(e as Error).message}`);
          continue;
        }
        const raw = produced.raw - before.raw;
        const dead = produced.dead - before.dead;
        tally[status] = (tally[status] ?? 0) + 1;
        const ok =
          (status === 200 && raw >= 0 && dead === 0) ||
          (status === 400 && raw === 0 && dead === 1) ||
          ([401, 403, 404, 413].includes(status) && raw === 0 && dead === 0);
        if (!ok && wrong.length < 20)
          wrong.push(`${status} raw=${raw} dead=${dead} ${type}/${id} ${v.body.toString('latin1').slice(0, 120)}`);
        else if (!ok) wrong.length += 0;
        if (!ok) tally.wrong = (tally.wrong ?? 0) + 1;
      }
    }
    console.log(
      `fuzz ingest route: ${n} requests ${JSON.stringify(tally)}; records ${produced.raw}, dead letters ${produced.dead}`,
    );
    mkdirSync('.vitest-tmp', { recursive: true });
    writeFileSync('.vitest-tmp/fuzz-ingest-route.json', JSON.stringify({ requests: n, tally, produced }, null, 1));
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThanOrEqual(REQUESTS);
    for (const s of ['200', '400', '401', '403', '404', '413']) expect(tally[s], s).toBeGreaterThan(0);
  }, 300_000);
});
