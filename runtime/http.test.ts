import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import { SourceLimiter, tokenMatches } from './http.js';
import { ingestEdge } from './ingest-edge.js';
import { Metrics } from './metrics.js';
import { sourceKey } from './source-limiter.js';
import { StatusBoard } from './status.js';

describe('ingest guards', () => {
  it('limit each source address to its rate, with bursts of twice that, independently of others', () => {
    let now = 0;
    const l = new SourceLimiter(10, () => now);
    const taken = Array.from({ length: 25 }, () => l.take('192.0.2.1')).filter(Boolean).length;
    expect(taken).toBe(20);
    expect(l.take('192.0.2.2')).toBe(true);
    now += 500;
    expect(Array.from({ length: 10 }, () => l.take('192.0.2.1')).filter(Boolean).length).toBe(5);
  });

  it('cannot be reset by a flood of new source addresses, and stays bounded', () => {
    let now = 0;
    const l = new SourceLimiter(10, () => now, 1000);
    // An attacker empties its bucket…
    while (l.take('203.0.113.9'));
    // …and floods with 100 000 fresh addresses (each asking once, within the same second).
    let through = 0;
    for (let i = 0; i < 100_000; i++) if (l.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)) through += 1;
    expect(l.size).toBeLessThanOrEqual(1000);
    // Its own bucket is still empty: the flood did not make it forget.
    expect(l.take('203.0.113.9')).toBe(false);
    // 999 flood addresses found a place; the other 99 001 shared one bucket, of which 20 got through.
    expect(l.overflowed).toBe(99_001);
    expect(through).toBe(999 + 20);
    // Once buckets are full again (2 s idle), places are freed for new senders.
    now += 2000;
    expect(l.take('198.51.100.1')).toBe(true);
    expect(l.size).toBeLessThanOrEqual(1000);
  });

  it('keeps the buckets of active sources when the map is full', () => {
    let now = 0;
    const l = new SourceLimiter(1, () => now, 3);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      l.take(ip);
      l.take(ip); // each at 0 of its 2 tokens
    }
    now += 100;
    // A newcomer finds no free place: it shares the overflow bucket; the known keep being limited.
    expect(l.take('192.0.2.4')).toBe(true);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) expect(l.take(ip)).toBe(false);
  });

  it('count an IPv6 source per /64', () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe(sourceKey('2001:db8:1:2:ffff:1:2:3'));
    expect(sourceKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(sourceKey('192.0.2.1')).toBe('192.0.2.1');
    const now = 0;
    const l = new SourceLimiter(1, () => now);
    expect([l.take('2001:db8::1'), l.take('2001:db8::2'), l.take('2001:db8::3')]).toEqual([true, true, false]);
  });

  it('compare tokens whatever their lengths', () => {
    expect(tokenMatches('secret-token-1', 'secret-token-1')).toBe(true);
    expect(tokenMatches('secret-token-2', 'secret-token-1')).toBe(false);
    expect(tokenMatches('s', 'secret-token-1')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token-1')).toBe(false);
  });

  it('give an unknown connector the same work as a wrong token: one comparison, no body', async () => {
    const connectors = [
      { id: 'pbx', type: 'yeastar-s', tenant: 'pbx', enabled: true, token: 'right-token-123', max_body_bytes: 1000 },
    ] as BaseConnectorConfig[];
    const compared: [string | undefined, string][] = [];
    const edge = ingestEdge({
      connectors,
      metrics: new Metrics({ defaults: false }),
      status: StatusBoard.of(connectors),
      tokenMatches: (p, e) => (compared.push([p, e]), tokenMatches(p, e)),
      presentedToken: (req) => req.headers['x-callhouse-token'] as string | undefined,
    });
    const app = Fastify();
    let parsed = 0;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, _payload, done) => {
      parsed += 1;
      done(null, undefined);
    });
    app.post('/ingest/:type/:id', { onRequest: edge.onRequest }, async () => ({ ok: true }));
    const post = (url: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'x-callhouse-token': 'wrong-token-456' },
        payload: 'x'.repeat(500),
      });
    const unknown = await post('/ingest/yeastar-s/nobody');
    const wrong = await post('/ingest/yeastar-s/pbx');
    expect([unknown.statusCode, wrong.statusCode]).toEqual([404, 401]);
    expect(compared.map(([p]) => p)).toEqual(['wrong-token-456', 'wrong-token-456']);
    // The unknown id is compared with a random secret of the process, not with any connector's.
    expect(compared[0]![1]).not.toBe('right-token-123');
    expect(compared[1]![1]).toBe('right-token-123');
    expect(parsed).toBe(0);
    expect(unknown.headers.connection).toBe('close');
    await app.close();
  });
});
