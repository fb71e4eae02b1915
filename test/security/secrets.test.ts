/**
 * No secret in any log line, metric or status (issue 13): `callhouse start` as a child process at
 * LOG_LEVEL=debug, with connectors whose token, code, client_secret, password and key are
 * distinctive strings, pointed at vendors that refuse the credentials, answer 500, or never answer;
 * plus ingest requests that fail with the secret (or the secret with one character more) in the
 * query string. Every byte of stdout/stderr, /metrics (both listeners) and /status is searched.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/kafka-local.js';
import { startSimulator as startVoicenter } from '../../simulators/voicenter/index.js';
import { startSimulator as startYeastarP } from '../../simulators/yeastar-p/index.js';
import { testBrokers } from '../helpers/kafka.js';
import { startProcess, type Proc } from '../helpers/process.js';

const SECRETS = {
  ysToken: 'SeCrEt-ys-token-7f3a91c2',
  ysPassword: 'SeCrEt-ys-password-55d0e8',
  vcToken: 'SeCrEt-vc-token-a1b2c3d4',
  vcCode: 'SeCrEt-vc-code-9e8d7c6b',
  vcCode500: 'SeCrEt-vc-code500-31415',
  ypToken: 'SeCrEt-yp-token-2718281',
  ypSecret: 'SeCrEt-yp-client-secret-161803',
  ipKey: 'SeCrEt-ip-key-deadbeef42',
  ipPassword: 'SeCrEt-ip-password-c0ffee',
};

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () =>
      res({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe('secrets under every error path', () => {
  const closers: (() => Promise<unknown>)[] = [];
  let proc: Proc | undefined;
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    for (const c of closers) await c().catch(() => undefined);
  });

  it('appear in no log line, metric or status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-secrets-'));
    // Vendors: one that refuses the credentials, one that answers 500, one that never answers.
    const vc = await startVoicenter({ code: 'the-real-voicenter-code' });
    closers.push(() => vc.close());
    const yp = await startYeastarP({ clientId: 'yp-client', clientSecret: 'the-real-yeastar-secret' });
    closers.push(() => yp.close());
    const fail500 = await listen((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error for ${req.url}`);
    });
    closers.push(() => new Promise((r) => fail500.server.close(r)));
    const hang = await listen((req) => req.resume());
    closers.push(() => new Promise((r) => (hang.server.closeAllConnections(), hang.server.close(r))));

    const ypUrl = yp.url;
    const config = `connectors:
  - id: ys
    type: yeastar-s
    timezone: UTC
    token: ${SECRETS.ysToken}
    api: { base_url: "${fail500.url}", username: api, password: ${SECRETS.ysPassword} }
  - id: vc
    type: voicenter
    token: ${SECRETS.vcToken}
    base_url: ${vc.url}
    code: ${SECRETS.vcCode}
    min_spacing_ms: 0
  - id: vc500
    type: voicenter
    base_url: ${fail500.url}/hub/cdr/
    code: ${SECRETS.vcCode500}
    min_spacing_ms: 0
  - id: yp
    type: yeastar-p
    timezone: UTC
    token: ${SECRETS.ypToken}
    base_url: ${ypUrl}
    client_id: yp-client
    client_secret: ${SECRETS.ypSecret}
    reports: [{ type: extcallstatistics, ext_id_list: [1] }]
  - id: ip-hang
    type: ipcortex
    base_url: ${hang.url}
    key: ${SECRETS.ipKey}
    request_timeout_ms: 1000
  - id: ip-500
    type: ipcortex
    base_url: ${fail500.url}
    username: admin
    password: ${SECRETS.ipPassword}
`;
    writeFileSync(join(dir, 'callhouse.yaml'), config);
    const ingestPort = await freePort();
    proc = await startProcess(
      ['start'],
      {
        LOG_LEVEL: 'debug',
        KAFKA_BROKERS: testBrokers().join(','),
        CALLHOUSE_CONFIG: join(dir, 'callhouse.yaml'),
        CALLHOUSE_DATA_DIR: join(dir, 'var'),
        CALLHOUSE_TOPIC_PREFIX: `s${randomBytes(4).toString('hex')}.`,
        CLICKHOUSE_DATABASE: 'callhouse',
        CALLHOUSE_HTTP_PORT: String(ingestPort),
        CALLHOUSE_ADMIN_PORT: String(await freePort()),
      },
      dir,
      'callhouse',
    );
    const ingest = `http://127.0.0.1:${ingestPort}`;
    const adminToken = proc.adminToken;
    const seen: string[] = [];
    const get = async (url: string, init?: RequestInit): Promise<number> => {
      const r = await fetch(url, init);
      // Only what the service answered (the request URL is the test's own input).
      seen.push(`${new URL(url).pathname} → ${r.status}\n${await r.text()}`);
      return r.status;
    };
    // Failing ingest requests with a secret, or a secret plus one character, in the URL.
    const body = { method: 'POST', headers: { 'content-type': 'application/json' } };
    for (const [type, id, token] of [
      ['yeastar-s', 'ys', SECRETS.ysToken],
      ['voicenter', 'vc', SECRETS.vcToken],
      ['yeastar-p', 'yp', SECRETS.ypToken],
    ] as const) {
      expect(await get(`${ingest}/ingest/${type}/${id}?token=${token}x`, { ...body, body: '{}' })).toBe(401);
      expect(await get(`${ingest}/ingest/${type}/${id}?token=${token.slice(0, -1)}`, { ...body, body: '{}' })).toBe(
        401,
      );
      expect(
        await get(`${ingest}/ingest/${type}/${id}`, {
          ...body,
          body: '{}',
          headers: { ...body.headers, authorization: `Bearer ${token}!` },
        }),
      ).toBe(401);
      // The right token, a body that fails: the 400 path (dead letter) and its logs.
      expect(
        await get(`${ingest}/ingest/${type}/${id}?token=${token}`, { ...body, body: `{"broken": "${token}` }),
      ).toBe(400);
      expect(await get(`${ingest}/ingest/${type}/nope?token=${token}`, { ...body, body: '{}' })).toBe(404);
    }
    // The pollers have run at start and failed in their ways; give the retries time to log.
    await new Promise((r) => setTimeout(r, 12_000));
    const admin = { headers: { authorization: `Bearer ${proc.adminToken}` } };
    for (const u of [
      `${proc.adminUrl}/metrics`,
      `${ingest}/metrics`,
      `${proc.adminUrl}/status`,
      `${proc.adminUrl}/readyz`,
    ])
      await get(u, admin);
    // The admin token itself, wrong by one character and in the wrong places: refused, never echoed.
    expect(await get(`${proc.adminUrl}/status`, { headers: { authorization: `Bearer ${proc.adminToken}x` } })).toBe(
      401,
    );
    expect(await get(`${proc.adminUrl}/status?token=${proc.adminToken}`)).toBe(401);
    // The failures did happen (so the search below searched error paths, not silence).
    const status = seen.find((s) => s.includes('/status'))!;
    expect(status).toMatch(/vc500|ip-500/);
    await proc.kill('SIGTERM');
    proc = undefined;

    const log = readFileSync(join(dir, 'callhouse.log'), 'utf8');
    const everything = `${log}\n${seen.join('\n')}`;
    expect(log.split('\n').filter((l) => l.includes('"level":20')).length).toBeGreaterThan(0); // debug lines were on
    const hits = Object.entries({ ...SECRETS, adminToken }).flatMap(([name, secret]) =>
      everything
        .split('\n')
        .filter((line) => line.includes(secret))
        .map((line) => `${name}: ${line.slice(0, 300)}`),
    );
    console.log(
      `secrets test: searched ${everything.length} bytes (${log.split('\n').length} log lines) for ${Object.keys(SECRETS).length} secrets: ${hits.length} hits`,
    );
    expect(hits).toEqual([]);
  }, 110_000);
});
