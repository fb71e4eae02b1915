/**
 * Who may use the admin listener, tried as a browser page on the host would (a cross-origin form
 * or text POST, a preflight, DNS rebinding) and as a caller without the token would (none, a wrong
 * one, the right one in the query string or a cookie). Each refusal is checked for its absence of
 * effect: the engine's own count of queries (system.events) does not move, the status route is
 * never entered.
 */
import { request } from 'node:http';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host). */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const url = new URL(base);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const QUERY = JSON.stringify({ query: "SELECT 'admin-listener-marker' AS m" });

describe('the admin listener', () => {
  let t: TestService;
  const answers: Answer[] = [];
  const admin = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const a = await send(t.adminUrl, method, path, headers, body);
    answers.push(a);
    return a;
  };
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${t.adminToken}` });
  /** Queries the engine has run (every session of this process), read directly from the engine. */
  const queriesRun = async (): Promise<number> =>
    Number(
      (await t.query<{ value: string | number }>("SELECT value FROM system.events WHERE event = 'Query'"))[0]?.value ??
        0,
    );
  /** Runs `attempt` and returns how many engine queries ran meanwhile (besides the one that measures). */
  const queriesDuring = async (attempt: () => Promise<unknown>): Promise<number> => {
    const before = await queriesRun();
    await attempt();
    return (await queriesRun()) - before - 1;
  };

  beforeAll(async () => {
    t = await startTestService({ connectors: [] });
  });
  afterAll(async () => t?.stop());

  it('writes its token to the data directory, readable by its owner only', () => {
    const path = join(t.config.env.dataDir, 'admin.token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(t.adminToken);
    expect(t.adminToken.length).toBeGreaterThanOrEqual(40);
  });

  it('answers with the token: POST /sql runs the query (the side channel sees it), GET /status reports', async () => {
    let rows: unknown;
    const ran = await queriesDuring(async () => {
      const a = await admin('POST', '/sql', { ...bearer(), 'content-type': 'application/json' }, QUERY);
      expect(a.status, a.body).toBe(200);
      rows = (JSON.parse(a.body) as { rows: unknown }).rows;
    });
    expect(rows).toEqual([{ m: 'admin-listener-marker' }]);
    expect(ran).toBeGreaterThanOrEqual(1);
    const s = await admin('GET', '/status', bearer());
    expect(s.status).toBe(200);
    expect(JSON.parse(s.body)).toHaveProperty('connectors');
  });

  const wrongWays = (token: string): [string, Record<string, string>, string][] => [
    ['no token', {}, ''],
    ['a wrong token', { authorization: `Bearer ${token}x` }, ''],
    ['a prefix of the token', { authorization: `Bearer ${token.slice(0, -1)}` }, ''],
    ['the token in the query string', {}, `?token=${token}`],
    ['the token in a cookie', { cookie: `token=${token}; session=${token}` }, ''],
    ['the token as X-Callhouse-Token', { 'x-callhouse-token': token }, ''],
    ['the token under another scheme', { authorization: `Basic ${token}` }, ''],
    ['the token without a scheme', { authorization: token }, ''],
  ];

  it('refuses every admin route without the token in its Authorization header, and runs nothing', async () => {
    const routes: [string, string, Record<string, string>, string | undefined][] = [
      ['POST', '/sql', { 'content-type': 'application/json' }, QUERY],
      ['GET', '/status', {}, undefined],
      ['GET', '/', {}, undefined],
      ['GET', '/no-such-route', {}, undefined],
      ['POST', '/dlq/replay', { 'content-type': 'application/json' }, '{}'],
    ];
    const bodies = new Set<string>();
    const ran = await queriesDuring(async () => {
      for (const [how, headers, query] of wrongWays(t.adminToken)) {
        for (const [method, path, h, body] of routes) {
          const a = await admin(method, `${path}${query}`, { ...h, ...headers }, body);
          expect(a.status, `${method} ${path} with ${how}`).toBe(401);
          expect(a.headers['www-authenticate']).toMatch(/^Bearer/);
          bodies.add(a.body);
        }
      }
    });
    expect(ran).toBe(0);
    // One answer for every route and every mistake: nothing tells a route that exists from one that does not.
    expect([...bodies]).toHaveLength(1);
    expect([...bodies][0]).not.toContain('admin-listener-marker');
    expect([...bodies][0]).not.toContain(t.adminToken);
  });

  it('refuses a Host header naming another site (DNS rebinding), token or not, and runs nothing', async () => {
    const ran = await queriesDuring(async () => {
      const port = new URL(t.adminUrl).port;
      for (const host of [
        'attacker.example',
        `attacker.example:${port}`,
        '127.0.0.1.nip.io',
        `localhost.attacker.example:${port}`,
        `127.0.0.1:${port}@attacker.example`,
      ]) {
        for (const [method, path, body] of [
          ['POST', '/sql', QUERY],
          ['GET', '/status', undefined],
          ['GET', '/metrics', undefined],
        ] as const) {
          const a = await admin(method, path, { ...bearer(), host, 'content-type': 'application/json' }, body);
          expect(a.status, `${method} ${path} Host: ${host}`).toBe(403);
          expect(a.body).not.toContain('callhouse_');
        }
      }
    });
    expect(ran).toBe(0);
    for (const host of ['localhost', `localhost:${new URL(t.adminUrl).port}`, `[::1]:${new URL(t.adminUrl).port}`]) {
      expect((await admin('GET', '/status', { ...bearer(), host })).status, host).toBe(200);
    }
  });

  it('takes JSON only on POST /sql: a form or text/plain body (what a page may send unasked) gets 415 and runs nothing', async () => {
    const ran = await queriesDuring(async () => {
      for (const [type, body] of [
        ['text/plain', QUERY],
        ['text/plain;charset=UTF-8', "SELECT 'admin-listener-marker'"],
        ['application/x-www-form-urlencoded', `query=${encodeURIComponent("SELECT 'admin-listener-marker'")}`],
        [
          'multipart/form-data; boundary=x',
          `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nSELECT 1\r\n--x--\r\n`,
        ],
        ['application/jsonx', QUERY],
      ] as const) {
        const a = await admin('POST', '/sql', { ...bearer(), 'content-type': type }, body);
        expect(a.status, type).toBe(415);
      }
      const untyped = await admin('POST', '/sql', bearer(), QUERY);
      expect(untyped.status).toBe(415);
    });
    expect(ran).toBe(0);
  });

  it('refuses CORS preflights and never sends an Access-Control-* header', async () => {
    for (const path of ['/sql', '/status', '/metrics', '/healthz']) {
      const a = await admin('OPTIONS', path, {
        origin: 'https://attacker.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      });
      expect(a.status, path).toBe(405);
    }
    const fromPage = await admin(
      'POST',
      '/sql',
      { ...bearer(), origin: 'https://attacker.example', 'content-type': 'application/json' },
      QUERY,
    );
    expect(fromPage.status).toBe(200);
    expect(answers.length).toBeGreaterThan(20);
    for (const a of answers) {
      expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('keeps /healthz, /readyz and /metrics open to probes and Prometheus without the token', async () => {
    expect((await admin('GET', '/healthz')).status).toBe(200);
    expect((await admin('GET', '/readyz')).status).toBe(200);
    const m = await admin('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('# TYPE');
    // The same paths with another method are not probes.
    expect((await admin('POST', '/metrics', { 'content-type': 'application/json' }, '{}')).status).toBe(401);
  });
});

describe('the admin listener behind a proxy', () => {
  it('accepts the Host names set in admin.allowed_hosts, and still no other', async () => {
    const t = await startTestService({
      connectors: [],
      settings: { admin: { allowed_hosts: ['callhouse-admin.internal'] } },
    });
    try {
      const auth = { authorization: `Bearer ${t.adminToken}` };
      expect((await send(t.adminUrl, 'GET', '/status', { ...auth, host: 'callhouse-admin.internal:443' })).status).toBe(
        200,
      );
      expect((await send(t.adminUrl, 'GET', '/status', { ...auth, host: 'other.internal' })).status).toBe(403);
    } finally {
      await t.stop();
    }
  });
});
