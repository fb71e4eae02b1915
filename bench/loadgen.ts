/**
 * The load generator, run as its own process (node --import tsx bench/loadgen.ts SPEC.json) so
 * that it never shares an event loop with the server it measures. autocannon POSTs the bodies of
 * the spec; it prints one JSON line with throughput and latency (ms), and in `unique` mode the
 * time each NewCdr was sent (epoch ms), for the freshness stage.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { BenchBody } from './bodies.js';

export interface LoadSpec {
  url: string;
  path: string;
  bodies: BenchBody[];
  connections: number;
  /** Seconds at most. */
  duration: number;
  /** Requests at most (bounds the run besides the duration). */
  amount?: number;
  /** Requests per second overall; unset: as fast as the server answers. */
  rate?: number;
  /** Each body sent once, in order, across all connections (else each connection cycles them;
   *  keep that list short: autocannon builds every body per connection). */
  unique?: boolean;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  sent_cdr?: Record<string, number>;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const headers = { 'content-type': 'application/json', 'user-agent': 'WebAPI' };
const sentCdr: Record<string, number> = {};
let next = 0;

const requests = spec.unique
  ? [
      {
        method: 'POST' as const,
        path: spec.path,
        headers,
        setupRequest: (req: Record<string, unknown>) => {
          const b = spec.bodies[next++ % spec.bodies.length]!;
          if (b.cdr && next <= spec.bodies.length) sentCdr[b.cdr] = Date.now();
          return { ...req, body: b.body };
        },
      },
    ]
  : spec.bodies.map((b) => ({ method: 'POST' as const, path: spec.path, headers, body: b.body }));

const opts: autocannon.Options = {
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  requests,
  timeout: 10,
  ...(spec.amount ? { amount: spec.amount } : {}),
  ...(spec.rate ? { overallRate: spec.rate } : {}),
};
const r = await autocannon(opts);
const ok = r['2xx'];
const result: LoadResult = {
  requests: r.requests.total,
  ok,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  seconds: r.duration,
  per_s: Math.round(ok / r.duration),
  p50_ms: r.latency.p50,
  p90_ms: r.latency.p90,
  p99_ms: r.latency.p99,
  max_ms: r.latency.max,
  ...(spec.unique ? { sent_cdr: sentCdr } : {}),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
