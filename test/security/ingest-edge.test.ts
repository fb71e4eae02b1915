/**
 * The ingest edge refuses before it reads: a request with a bad token, from an address
 * allow_ips does not list, over its source's rate, to an unknown connector, or declaring more
 * than its connector's max_body_bytes is answered from its headers alone. Proven over raw TCP: the
 * answer arrives while not one byte of the body has been sent (or while a huge body is still
 * streaming), the server closes the connection, and its count of body bytes read does not move.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'edge-token-7c1e0b2a9d';

interface Answer {
  status: number;
  head: string;
  /** Body bytes the client had written when the answer arrived. */
  sentBeforeAnswer: number;
  /** Whether the server closed the connection (within 5 s of answering). */
  closed: boolean;
}

/**
 * Sends a request line and headers, then (if `stream`) body bytes in 64 KiB pieces until the
 * answer comes or `stream` bytes are written, and never finishes the body.
 */
function request(base: string, path: string, headers: Record<string, string>, stream = 0): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s: Socket = connect(Number(port), hostname);
    let sent = 0;
    let answered: Omit<Answer, 'closed'> | undefined;
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      if (answered) resolve({ ...answered, closed: false });
      else reject(new Error(`no answer to ${path} within 10 s (sent ${sent} body bytes)`));
    }, 10_000);
    s.on('error', () => undefined); // the server may reset a connection whose body it does not read
    s.on('close', () => {
      clearTimeout(timer);
      if (answered) resolve({ ...answered, closed: true });
      else reject(new Error(`closed without an answer to ${path}`));
    });
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!answered && buf.includes('\r\n\r\n')) {
        answered = {
          status: Number(buf.slice(9, 12)),
          head: buf.slice(0, buf.indexOf('\r\n\r\n')),
          sentBeforeAnswer: sent,
        };
        setTimeout(() => {
          if (!s.destroyed) {
            s.destroy();
            clearTimeout(timer);
            resolve({ ...answered!, closed: false });
          }
        }, 5000);
      }
    });
    s.on('connect', () => {
      const lines = [
        `POST ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      s.write(`${lines.join('\r\n')}\r\n\r\n`);
      const piece = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        while (!answered && !s.destroyed && sent < stream) {
          sent += piece.length;
          if (!s.write(piece)) return void s.once('drain', pump);
        }
      };
      if (stream > 0) setTimeout(pump, 0);
    });
  });
}

describe('the ingest edge refuses before it reads', () => {
  let t: TestService;
  let limited: TestService;
  const bodyBytes = async (svc: TestService): Promise<number> => {
    const text = await (await fetch(`${svc.ingestUrl}/metrics`)).text();
    return [...text.matchAll(/^callhouse_ingest_body_bytes_total\{[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  };
  const big = { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) };

  beforeAll(async () => {
    const connectors = [
      { id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: TOKEN, max_body_bytes: 200 * 1024 * 1024 },
      { id: 'small', type: 'yeastar-s', timezone: 'UTC', token: TOKEN, max_body_bytes: 1000 },
      { id: 'office', type: 'yeastar-s', timezone: 'UTC', token: TOKEN, allow_ips: ['192.0.2.10/32'] },
    ];
    t = await startTestService({ connectors });
    limited = await startTestService({ connectors, settings: { ingest: { rate_limit_per_source: 1 } } });
  });
  afterAll(async () => {
    await t?.stop();
    await limited?.stop();
  });

  it('answers 401, 403, 404 and 413 with no body byte sent, closes the connection, reads nothing', async () => {
    const before = await bodyBytes(t);
    const cases: [string, Record<string, string>, number][] = [
      ['/ingest/yeastar-s/pbx?token=wrong-token-000', big, 401],
      ['/ingest/yeastar-s/pbx', big, 401],
      [`/ingest/yeastar-s/office?token=${TOKEN}`, big, 403],
      [`/ingest/yeastar-s/nobody?token=${TOKEN}`, big, 404],
      ['/ingest/yeastar-s/nobody?token=wrong-token-000', big, 404],
      ['/ingest/no-such-type/pbx', big, 404],
      // Declared larger than this connector's own limit (others allow 200 MiB).
      [`/ingest/yeastar-s/small?token=${TOKEN}`, { 'content-type': 'application/json', 'content-length': '1001' }, 413],
      // A chunked body that never comes.
      [
        '/ingest/yeastar-s/pbx?token=wrong',
        { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        401,
      ],
    ];
    for (const [path, headers, status] of cases) {
      const a = await request(t.ingestUrl, path, headers);
      expect([path, a.status, a.sentBeforeAnswer, a.closed]).toEqual([path, status, 0, true]);
      expect(a.head).toMatch(/\r\nconnection: close/i);
    }
    expect(await bodyBytes(t)).toBe(before);
  });

  it('answers a huge streamed body with 401 long before it is sent, and reads none of it', async () => {
    const before = await bodyBytes(t);
    const a = await request(t.ingestUrl, '/ingest/yeastar-s/pbx?token=wrong-token-000', big, 100 * 1024 * 1024);
    expect(a.status).toBe(401);
    console.log(`401 arrived after ${a.sentBeforeAnswer} of ${100 * 1024 * 1024} streamed body bytes were written`);
    expect(a.sentBeforeAnswer).toBeLessThan(100 * 1024 * 1024);
    expect(a.closed).toBe(true);
    expect(await bodyBytes(t)).toBe(before);
    // A waiting client (Expect: 100-continue) is refused without being asked for the body.
    const c = await request(t.ingestUrl, '/ingest/yeastar-s/pbx?token=wrong', { ...big, expect: '100-continue' });
    expect(c.status).toBe(401);
    expect(c.head).not.toMatch(/100 Continue/);
  });

  it('reads the body of an admitted request, and only up to its connector’s limit', async () => {
    const before = await bodyBytes(t);
    // Admitted and waiting for 100-continue: asked for the body.
    const c = await request(t.ingestUrl, `/ingest/yeastar-s/pbx?token=${TOKEN}`, {
      'content-length': String(5 * 1024 * 1024),
      expect: '100-continue',
    });
    expect(c.status).toBe(100);
    // 100 MiB is within this connector's 200 MiB, but more than Kafka takes (10 MiB messages):
    // refused before it is read, as the start-up check said it would be.
    const k = await request(t.ingestUrl, `/ingest/yeastar-s/pbx?token=${TOKEN}`, big);
    expect([k.status, k.sentBeforeAnswer]).toEqual([413, 0]);
    // Chunked, over the small connector's 1000 bytes: 413 once 1000 bytes are passed, not all 50 000.
    const r = await fetch(`${t.ingestUrl}/ingest/yeastar-s/small?token=${TOKEN}`, {
      method: 'POST',
      body: new ReadableStream({
        start(ctl) {
          for (let i = 0; i < 50; i++) ctl.enqueue(new Uint8Array(1000).fill(120));
          ctl.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(413);
    const read = (await bodyBytes(t)) - before;
    expect(read).toBeGreaterThan(1000);
    expect(read).toBeLessThan(50_000);
  }, 30_000);

  it('answers 429 over the source rate before reading, and keeps answering', async () => {
    const cdr = (id: string) =>
      `{"action":"NewCdr","callid":"${id}","timestart":"2024-05-01 10:00:00","callfrom":"1001","callto":"1002","callduraction":"30","talkduraction":"20","status":"ANSWERED","type":"Internal"}`;
    const ok = (id: string) =>
      fetch(`${limited.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`, { method: 'POST', body: cdr(id) }).then(
        (r) => r.status,
      );
    const before = await bodyBytes(limited);
    // A burst of two, then refused (even with the right token).
    const statuses = [await ok('rl.1'), await ok('rl.2')];
    const a = await request(limited.ingestUrl, `/ingest/yeastar-s/pbx?token=${TOKEN}`, big);
    expect([...statuses, a.status, a.sentBeforeAnswer, a.closed]).toEqual([200, 200, 429, 0, true]);
    expect(a.head).toMatch(/\r\nretry-after: 1/i);
    const admitted = (await bodyBytes(limited)) - before;
    expect(admitted).toBe(2 * cdr('rl.1').length);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await ok('rl.3')).toBe(200);
    await limited.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id LIKE 'rl.%'`, 3);
  }, 30_000);
});
