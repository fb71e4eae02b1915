import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type YeastarPSimulator, type YeastarPSimulatorOptions } from './index.js';

const UA = { 'User-Agent': 'OpenAPI' };
let sims: YeastarPSimulator[] = [];
let hook: Server | undefined;
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  hook?.close();
});

async function start(opts: YeastarPSimulatorOptions = {}) {
  const s = await startSimulator(opts);
  sims.push(s);
  return s;
}

async function post(s: YeastarPSimulator, path: string, body: unknown, headers: Record<string, string> = UA) {
  const r = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await r.json()) as Record<string, unknown>;
}

async function get(s: YeastarPSimulator, path: string, query: Record<string, string>) {
  const r = await fetch(`${s.url}${path}?${new URLSearchParams(query)}`, { headers: UA });
  // Decoded by hand: fetch's text() would drop the BOM the PBX writes.
  return {
    status: r.status,
    type: r.headers.get('content-type'),
    text: Buffer.from(await r.arrayBuffer()).toString('utf8'),
  };
}

const login = (s: YeastarPSimulator) =>
  post(s, '/openapi/v1.0/get_token', { username: 'sim-client-id', password: 'sim-client-secret' });

/** The vendor's own request example: queue satisfaction, queue 1, 04/01/2022 – 05/31/2022. */
const SEED_EXAMPLE = {
  type: 'queuesatisfaction',
  start_time: '04/01/2022 00:00:00',
  end_time: '05/31/2022 23:59:59',
  queue_id: '1',
};

describe('yeastar-p simulator', () => {
  test('get_token: the documented answer shape; User-Agent required; 5 bad logins block the address', async () => {
    const s = await start();
    const ok = await login(s);
    expect(ok).toEqual({
      errcode: 0,
      errmsg: 'SUCCESS',
      access_token_expire_time: 1800,
      access_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      refresh_token_expire_time: 86400,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
    });
    expect(
      await post(s, '/openapi/v1.0/get_token', { username: 'sim-client-id', password: 'sim-client-secret' }, {}),
    ).toEqual({ errcode: 10005, errmsg: 'ACCESS DENIED' });
    for (let i = 0; i < 5; i++) await post(s, '/openapi/v1.0/get_token', { username: 'sim-client-id', password: 'x' });
    expect(await login(s)).toEqual({ errcode: 70004, errmsg: 'ACCOUNT IP BLOCKED' });
  });

  test('tokens expire on the simulated clock; a refresh token works once; only 8 access tokens live', async () => {
    const clock = { t: Date.parse('2024-03-11T09:00:00Z') };
    const s = await start({ now: () => clock.t });
    const first = await login(s);
    const ask = (token: unknown) =>
      get(s, '/openapi/v1.0/call_report/download', { ...SEED_EXAMPLE, access_token: String(token) });
    expect(JSON.parse((await ask(first.access_token)).text).errcode).toBe(0);
    clock.t += 1800_000;
    expect(JSON.parse((await ask(first.access_token)).text)).toEqual({ errcode: 10004, errmsg: 'TOKEN EXPIRED' });
    const renewed = await post(s, '/openapi/v1.0/refresh_token', { refresh_token: first.refresh_token });
    expect(renewed.errcode).toBe(0);
    expect(JSON.parse((await ask(renewed.access_token)).text).errcode).toBe(0);
    expect((await post(s, '/openapi/v1.0/refresh_token', { refresh_token: first.refresh_token })).errcode).toBe(10004);
    const more = [];
    for (let i = 0; i < 8; i++) more.push(await login(s));
    expect(JSON.parse((await ask(renewed.access_token)).text).errcode).toBe(10004);
    expect(JSON.parse((await ask(more[7]!.access_token)).text).errcode).toBe(0);
  });

  test('the seed example downloads a CSV report; the link lives 30 minutes', async () => {
    const clock = { t: Date.parse('2022-06-08T09:47:53Z') };
    const s = await start({ now: () => clock.t });
    const token = String((await login(s)).access_token);
    const answer = JSON.parse(
      (await get(s, '/openapi/v1.0/call_report/download', { ...SEED_EXAMPLE, access_token: token })).text,
    );
    expect(answer).toEqual({
      errcode: 0,
      errmsg: 'SUCCESS',
      file: expect.stringMatching(/^SatisfactionSurvey-download-20220608094753-[A-Za-z0-9]{16}\.csv$/),
      download_resource_url: `/api/download/${answer.file}`,
    });
    const file = await get(s, answer.download_resource_url, { access_token: token });
    expect([file.status, file.type]).toEqual([200, 'text/csv; charset=utf-8']);
    const lines = file.text.split('\r\n');
    expect(lines.slice(0, 4)).toEqual([
      '\uFEFFSatisfaction Survey',
      'Time: 04/01/2022 00:00:00 - 05/31/2022 23:59:59',
      '',
      'Agent Number,Agent Name,Total Surveys,Satisfied,Neutral,Unsatisfied,Average Score',
    ]);
    expect(lines.slice(4, 10).map((l) => l.split(',')[0])).toEqual(['1001', '1002', '1003', '1004', '1005', '1006']);
    expect(lines[7]).toMatch(/^1004,"Smith, John",/);
    expect(lines[8]).toMatch(/^1005,"José ""Pepe"" García",/);
    expect(lines[10]).toMatch(/^Total,,\d+,\d+,\d+,\d+,$/);
    expect(lines[11]).toBe('');
    expect((await get(s, answer.download_resource_url, { access_token: 'nope' })).text).toBe(
      '{"errcode":10004,"errmsg":"TOKEN EXPIRED"}',
    );
    clock.t += 30 * 60_000 + 1;
    const t2 = String((await login(s)).access_token);
    expect((await get(s, answer.download_resource_url, { access_token: t2 })).status).toBe(404);
  });

  test('times in another display format give an empty report; bad parameters give 40002', async () => {
    const s = await start({ displayFormat: 'DD/MM/YYYY', clock: '12' });
    const token = String((await login(s)).access_token);
    const ask = async (q: Record<string, string>) =>
      JSON.parse((await get(s, '/openapi/v2.0/call_report/download', { ...q, access_token: token })).text);
    const wrong = await ask(SEED_EXAMPLE);
    const csv = (await get(s, wrong.download_resource_url, { access_token: token })).text;
    expect(csv).toBe(
      '\uFEFFSatisfaction Survey\r\nTime: 04/01/2022 00:00:00 - 05/31/2022 23:59:59\r\n\r\nAgent Number,Agent Name,Total Surveys,Satisfied,Neutral,Unsatisfied,Average Score\r\n',
    );
    const right = await ask({
      ...SEED_EXAMPLE,
      start_time: '01/04/2022 12:00:00 AM',
      end_time: '31/05/2022 11:59:59 PM',
    });
    expect((await get(s, right.download_resource_url, { access_token: token })).text.split('\r\n')).toHaveLength(12);
    expect(await ask({ type: 'queuesatisfaction' })).toEqual({ errcode: 40002, errmsg: 'PARAMETER ERROR' });
    expect(await ask({ type: 'trunkactivity', trunk_id_list: '1' })).toEqual({
      errcode: 40002,
      errmsg: 'PARAMETER ERROR',
    });
    expect(await ask({ type: 'cdr' })).toEqual({ errcode: 40002, errmsg: 'PARAMETER ERROR' });
  });

  test('the same seed gives the same data; another seed other data', async () => {
    const csvOf = async (seed: number) => {
      const s = await start({ seed });
      const token = String((await login(s)).access_token);
      const a = JSON.parse(
        (await get(s, '/openapi/v1.0/call_report/download', { ...SEED_EXAMPLE, access_token: token })).text,
      );
      return (await get(s, a.download_resource_url, { access_token: token })).text;
    };
    const [a, b, c] = [await csvOf(3), await csvOf(3), await csvOf(4)];
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  test('asynchronous requests answer PROCESSING and post event 30027 to the webhook', async () => {
    const received: unknown[] = [];
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('{"errcode":0}');
      });
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r));
    const s = await start({
      webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      asyncDelayMs: 5,
    });
    const token = String((await login(s)).access_token);
    const answer = JSON.parse(
      (await get(s, '/openapi/v2.0/call_report/download', { ...SEED_EXAMPLE, is_async: '1', access_token: token }))
        .text,
    );
    expect(answer).toEqual({ errcode: 2, errmsg: 'PROCESSING' });
    await s.idle();
    expect(received).toEqual([
      {
        type: 30027,
        sn: '3631A2124XXX',
        msg: {
          key: 'report_download',
          result: 'success',
          file: expect.stringMatching(/^SatisfactionSurvey-download-/),
          download_resource_url: expect.stringMatching(/^\/api\/download\/SatisfactionSurvey-download-.*\.csv$/),
          error: '',
          download_id: 1,
        },
      },
    ]);
  });

  test('injected errors, billing without rates, foreign download host, unknown version', async () => {
    const s = await start({ callRates: false, downloadOrigin: 'https://files.example.net', apiVersions: ['v2.0'] });
    const token = String(
      (await post(s, '/openapi/v2.0/get_token', { username: 'sim-client-id', password: 'sim-client-secret' }))
        .access_token,
    );
    const ask = async (q: Record<string, string>, v = 'v2.0') =>
      JSON.parse((await get(s, `/openapi/${v}/call_report/download`, { ...q, access_token: token })).text);
    s.failNext('call_report/download', 70082);
    expect(await ask(SEED_EXAMPLE)).toEqual({ errcode: 70082, errmsg: 'OVERLOAD_TASK_RUNNING' });
    expect((await ask(SEED_EXAMPLE)).download_resource_url).toMatch(/^https:\/\/files\.example\.net\/api\/download\//);
    expect(await ask({ ...SEED_EXAMPLE, type: 'extcallbilling', trunk_id_list: '1' })).toEqual({
      errcode: 70106,
      errmsg: 'RATE_NOT_EXISTED',
    });
    expect(await ask(SEED_EXAMPLE, 'v1.0')).toEqual({ errcode: 10003, errmsg: 'API VERSION UNSUPPORTED' });
  });
});
