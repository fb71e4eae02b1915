/**
 * Who may POST to /ingest, and from where (issue 13): tokens (constant-time comparison, every way
 * of presenting one), allow_ips with and without trusted proxies, per-connector max_body_bytes,
 * the admin listener bound to loopback only, and downloads only from the configured vendor host.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameOriginUrl } from '../../connectors/core/http.js';
import { tokenMatches } from '../../runtime/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'sec-token-5f1d2c3b4a';
const CDR = (id: string) =>
  `{"action":"NewCdr","callid":"${id}","timestart":"2024-05-01 10:00:00","callfrom":"1001","callto":"1002","callduraction":"30","talkduraction":"20","status":"ANSWERED","type":"Internal"}`;

/** A local address that is not loopback, if the machine has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('ingest authentication and limits', () => {
  let t: TestService;
  let proxied: TestService;
  const post = (path: string, body: string, headers: Record<string, string> = {}, base = t.ingestUrl) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    const connectors = [
      { id: 'open', type: 'yeastar-s', timezone: 'UTC', token: TOKEN },
      { id: 'small', type: 'yeastar-s', timezone: 'UTC', token: TOKEN, max_body_bytes: 1000 },
      { id: 'office', type: 'yeastar-s', timezone: 'UTC', token: TOKEN, allow_ips: ['192.0.2.10/32'] },
      { id: 'local', type: 'yeastar-s', timezone: 'UTC', token: TOKEN, allow_ips: ['127.0.0.1/32', '::1/128'] },
    ];
    t = await startTestService({ connectors });
    // The same connectors behind a reverse proxy on 127.0.0.1 that is trusted.
    proxied = await startTestService({ connectors, settings: { ingest: { trusted_proxies: ['127.0.0.1/32'] } } });
  });
  afterAll(async () => {
    await t?.stop();
    await proxied?.stop();
  });

  it('compares tokens as equal-length SHA-256 digests with timingSafeEqual', () => {
    // Code check: the comparison never short-cuts on length or on the first differing byte.
    const src = readFileSync('runtime/http.ts', 'utf8');
    const fn = src.slice(src.indexOf('export function tokenMatches'), src.indexOf('function presentedToken'));
    expect(fn).toMatch(/createHash\('sha256'\)\.update\(presented\)\.digest\(\)/);
    expect(fn).toMatch(/createHash\('sha256'\)\.update\(expected\)\.digest\(\)/);
    expect(fn).toMatch(/timingSafeEqual\(a, b\)/);
    expect(fn).not.toMatch(
      /presented\s*[!=]==?\s*expected|expected\s*[!=]==?\s*presented|\.length|startsWith|localeCompare/,
    );
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    for (const wrong of [
      undefined,
      '',
      'x',
      TOKEN.slice(0, -1),
      `${TOKEN}x`,
      TOKEN.replace(/.$/, 'X'),
      TOKEN.toUpperCase(),
      'x'.repeat(10_000),
    ]) {
      expect(tokenMatches(wrong, TOKEN)).toBe(false);
    }
  });

  it('answers 401 to wrong tokens of equal and different length, in every place a token can be', async () => {
    const same = TOKEN.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    expect(same).toHaveLength(TOKEN.length);
    const wrongs = [same, TOKEN.slice(0, -1), `${TOKEN}0`, '', 'a'.repeat(4096), encodeURIComponent(`${TOKEN}\u0000`)];
    for (const w of wrongs) {
      expect((await post(`/ingest/yeastar-s/open?token=${w}`, CDR('w.1'))).status).toBe(401);
      expect((await post('/ingest/yeastar-s/open', CDR('w.1'), { authorization: `Bearer ${w || 'x'}` })).status).toBe(
        401,
      );
      expect((await post('/ingest/yeastar-s/open', CDR('w.1'), { 'x-callhouse-token': w || 'x' })).status).toBe(401);
    }
    expect((await post('/ingest/yeastar-s/open', CDR('w.1'))).status).toBe(401);
    // A right token in the wrong scheme is no token.
    expect((await post('/ingest/yeastar-s/open', CDR('w.1'), { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    // The right token, each way.
    expect((await post(`/ingest/yeastar-s/open?token=${TOKEN}`, CDR('r.1'))).status).toBe(200);
    expect((await post('/ingest/yeastar-s/open', CDR('r.2'), { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await post('/ingest/yeastar-s/open', CDR('r.3'), { 'x-callhouse-token': TOKEN })).status).toBe(200);
    // Nothing of the refused requests landed.
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id LIKE 'r.%'`, 3);
    expect(await t.query(`SELECT call_id FROM {db}.calls FINAL WHERE call_id = 'w.1'`)).toEqual([]);
  });

  it('honours allow_ips, ignoring X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const ok = { 'x-callhouse-token': TOKEN };
    // The test connects from 127.0.0.1, which 'office' does not allow, whatever the header claims.
    expect((await post('/ingest/yeastar-s/office', CDR('ip.1'), ok)).status).toBe(403);
    expect(
      (await post('/ingest/yeastar-s/office', CDR('ip.1'), { ...ok, 'x-forwarded-for': '192.0.2.10' })).status,
    ).toBe(403);
    expect(
      (await post('/ingest/yeastar-s/office', CDR('ip.1'), { ...ok, 'x-forwarded-for': '192.0.2.10, 127.0.0.1' }))
        .status,
    ).toBe(403);
    expect((await post('/ingest/yeastar-s/local', CDR('ip.2'), ok)).status).toBe(200);
    // Behind a trusted proxy (127.0.0.1) the forwarded client address is the one checked.
    const p = (id: string, xff?: string) =>
      post(
        `/ingest/yeastar-s/${id}`,
        CDR('ip.3'),
        { ...ok, ...(xff ? { 'x-forwarded-for': xff } : {}) },
        proxied.ingestUrl,
      );
    expect((await p('office', '192.0.2.10')).status).toBe(200);
    expect((await p('office', '192.0.2.11')).status).toBe(403);
    expect((await p('office')).status).toBe(403);
    // A client cannot smuggle an allowed address to the left of its real one: only the hop the
    // trusted proxy appended counts.
    expect((await p('office', '192.0.2.10, 198.51.100.7')).status).toBe(403);
    expect((await p('local', '198.51.100.7')).status).toBe(403);
  });

  it.skipIf(!external)('refuses a non-loopback peer that allow_ips does not list', async () => {
    const port = new URL(t.ingestUrl).port;
    const r = await post(
      '/ingest/yeastar-s/local',
      CDR('ip.4'),
      { 'x-callhouse-token': TOKEN },
      `http://${external}:${port}`,
    );
    expect(r.status).toBe(403);
  });

  it('answers 413 over each connector’s max_body_bytes, and takes a body at the limit', async () => {
    const q = `?token=${TOKEN}`;
    const at = (n: number) => `{"action":"NewCdr","callid":"lim.1","pad":"${'x'.repeat(n - 45)}"}`;
    expect(at(1000)).toHaveLength(1000);
    expect((await post(`/ingest/yeastar-s/small${q}`, at(1001))).status).toBe(413);
    expect((await post(`/ingest/yeastar-s/small${q}`, at(1000))).status).not.toBe(413);
    expect((await post(`/ingest/yeastar-s/open${q}`, at(1001))).status).not.toBe(413);
    expect((await post(`/ingest/yeastar-s/open${q}`, at(1024 * 1024 + 1))).status).toBe(413);
    // Too large and a wrong token: refused either way (the body is never parsed).
    expect((await post('/ingest/yeastar-s/small?token=wrong-token-xx', at(5000))).status).toBeGreaterThanOrEqual(401);
    expect((await fetch(`${t.ingestUrl}/healthz`)).status).toBe(200);
  });

  it('binds the admin listener to 127.0.0.1 only', async () => {
    const admin = new URL(t.adminUrl);
    expect(admin.hostname).toBe('127.0.0.1');
    expect(t.service.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${t.adminUrl}/healthz`)).status).toBe(200);
    if (external) {
      // The same port on a non-loopback address of this machine: nothing listens there.
      await expect(
        fetch(`http://${external}:${admin.port}/status`, { signal: AbortSignal.timeout(3000) }),
      ).rejects.toThrow();
      // …while the ingest listener is reachable there.
      expect((await fetch(`http://${external}:${new URL(t.ingestUrl).port}/healthz`)).status).toBe(200);
    }
    // Admin routes are not on the ingest listener.
    expect((await fetch(`${t.ingestUrl}/status`)).status).toBe(404);
    expect((await fetch(`${t.ingestUrl}/sql`, { method: 'POST', body: '{"query":"SELECT 1"}' })).status).toBe(404);
  });
});

describe('downloads only from the configured vendor host', () => {
  const base = 'https://pbx.example.com:8088/openapi/v1.0/';
  it.each([
    ['/download?file=a.csv', 'https://pbx.example.com:8088/download?file=a.csv'],
    ['download?file=a.csv', 'https://pbx.example.com:8088/openapi/v1.0/download?file=a.csv'],
    ['https://pbx.example.com:8088/x', 'https://pbx.example.com:8088/x'],
  ])('resolves %s on the vendor host', (path, want) => {
    expect(sameOriginUrl(base, path)).toBe(want);
  });
  it.each([
    'https://evil.example.net/download',
    'http://pbx.example.com:8088/download', // scheme downgrade
    'https://pbx.example.com:8089/download', // another port
    'https://pbx.example.com.evil.net:8088/x',
    'https://pbx.example.com:8088@evil.net/x',
    '//evil.net/x',
    'file:///etc/passwd',
    'http://169.254.169.254/latest/meta-data/',
    'http://127.0.0.1:9000/x',
  ])('refuses %s with UNTRUSTED_URL', (url) => {
    expect(() => sameOriginUrl(base, url)).toThrow(
      expect.objectContaining({ code: 'UNTRUSTED_URL', retriable: false }),
    );
  });
  // The whole path (a yeastar-p poller refusing a foreign download_resource_url before fetching
  // anything, and stopping with a clear status) is proven in connectors/yeastar-p/poller-errors.test.ts
  // ("a download URL on another host is refused before anything is fetched").
});
