import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  startSimulator,
  type YeastarPSimulator,
  type YeastarPSimulatorOptions,
} from '../../simulators/yeastar-p/index.js';
import { CallhouseError } from '../../runtime/errors.js';
import type { PollBatch } from '../core/contract.js';
import { clockAt, collect, config, pollContext, rowsOf } from './testing.js';
import { readReports } from './poller.js';
import { yeastarP } from './index.js';

let sim: YeastarPSimulator | undefined;
let hook: Server | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  hook?.close();
  hook = undefined;
});

const HOURLY = { type: 'queueperformance', queue_id_list: [1, 2], granularity: 'hour' };
/** Three hourly periods due: 07:00, 08:00 and 09:00 Berlin. */
const CURSOR = { queueperformance: '2024-03-11T06:00:00.000Z' };

async function setup(simOpts: YeastarPSimulatorOptions = {}, cfg: Record<string, unknown> = {}) {
  const clock = clockAt('2024-03-11T09:00:00Z');
  sim = await startSimulator({ timezone: 'Europe/Berlin', now: clock.now, ...simOpts });
  const c = config({ base_url: sim.url, reports: [HOURLY], ...cfg });
  return { clock, cfg: c, ctx: pollContext(c, clock) };
}

async function failure(p: Promise<unknown>): Promise<CallhouseError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CallhouseError);
    return e as CallhouseError;
  }
  throw new Error('expected a failure');
}

const downloads = () => sim!.requests.filter((r) => r.path.endsWith('call_report/download')).length;

describe('yeastar-p tokens', () => {
  test('a token expired mid-run is refreshed and no report is lost', async () => {
    const { ctx, cfg } = await setup();
    const batches: PollBatch[] = [];
    for await (const b of readReports(ctx, CURSOR)) {
      batches.push(b);
      if (batches.length === 1) sim!.expireAccessTokens();
    }
    expect(batches.map((b) => b.cursor?.queueperformance)).toEqual([
      '2024-03-11T07:00:00.000Z',
      '2024-03-11T08:00:00.000Z',
      '2024-03-11T09:00:00.000Z',
    ]);
    expect(rowsOf(cfg, batches)).toHaveLength(6);
    expect([sim!.counts.get_token, sim!.counts.refresh_token, downloads()]).toEqual([1, 1, 4]);
    expect(sim!.requests.every((r) => r.userAgent === 'OpenAPI')).toBe(true);
  });

  test('the token is refreshed before its 30 minutes run out, without a refused request', async () => {
    const { ctx, clock } = await setup();
    const seen: number[] = [];
    for await (const b of readReports(ctx, CURSOR)) {
      seen.push(b.payloads.length);
      clock.t += 29 * 60_000;
    }
    expect(seen).toEqual([1, 1, 1]);
    // 0 min: get_token; 29 min: 1 min left < margin → refresh; 58 min: refresh again.
    expect([sim!.counts.get_token, sim!.counts.refresh_token, downloads()]).toEqual([1, 2, 3]);
  });

  test('tokens kept in the session are reused by the next read; a dead refresh token means a new login', async () => {
    const { ctx } = await setup();
    await collect(ctx, CURSOR);
    await collect(ctx, CURSOR);
    expect([sim!.counts.get_token, sim!.counts.refresh_token]).toEqual([1, 0]);
    sim!.expireAllTokens();
    await collect(ctx, CURSOR);
    expect([sim!.counts.get_token, sim!.counts.refresh_token]).toEqual([2, 1]);
  });

  test('an expired token on the file download is replaced too', async () => {
    const { ctx } = await setup();
    sim!.failNext('download', 10004);
    expect((await collect(ctx, CURSOR)).map((b) => b.payloads.length)).toEqual([1, 1, 1]);
    expect(sim!.counts.refresh_token).toBe(1);
  });

  test('bad credentials stop the connector, and the secret appears nowhere', async () => {
    const { ctx } = await setup({}, { client_secret: 'wrong-secret-value' });
    const err = await failure(collect(ctx, CURSOR));
    expect([err.code, err.retriable]).toEqual(['VENDOR_AUTH', false]);
    expect(err.message).toBe(
      "get_token: errcode 10005 ACCESS DENIED: the OpenAPI application is not allowed this request (check the Client ID/Secret and the app's permissions)",
    );
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('wrong-secret-value');
  });
});

describe('yeastar-p vendor errors', () => {
  test('a download URL on another host is refused before anything is fetched', async () => {
    const { ctx } = await setup({ downloadOrigin: 'http://127.0.0.2:9' });
    const err = await failure(collect(ctx, CURSOR));
    expect(err.code).toBe('UNTRUSTED_URL');
    expect(err.message).toMatch(
      /^refusing a URL on 127\.0\.0\.2:9: only 127\.0\.0\.1:\d+ \(the configured base_url\) is trusted$/,
    );
    expect(sim!.counts.downloads).toBe(0);
  });

  test('OVERLOAD_TASK_RUNNING (70082) and -2 are waited out and retried', async () => {
    const { ctx } = await setup();
    sim!.failNext('call_report/download', 70082, 2);
    sim!.failNext('call_report/download', -2, 1);
    expect((await collect(ctx, CURSOR)).map((b) => b.payloads.length)).toEqual([1, 1, 1]);
    expect(ctx.slept).toHaveLength(3);
    expect(ctx.slept.slice(0, 2).every((ms) => ms >= 30_000)).toBe(true);
  });

  test('a PBX that stays failing ends the read with a retriable error after the retries', async () => {
    const { ctx } = await setup();
    sim!.failNext('call_report/download', -1, 5);
    const err = await failure(collect(ctx, CURSOR));
    expect([err.code, err.retriable, err.message]).toEqual([
      'VENDOR_UNAVAILABLE',
      true,
      'call_report/download queueperformance: errcode -1 FAILURE (PBX-side failure; retrying later)',
    ]);
    expect(ctx.slept).toHaveLength(4);
  });

  test('DATA NOT FOUND (60001) is an empty period, and the cursor moves past it', async () => {
    const { ctx } = await setup();
    sim!.failNext('call_report/download', 60001);
    const batches = await collect(ctx, CURSOR);
    expect(batches.map((b) => [b.payloads.length, b.cursor?.queueperformance])).toEqual([
      [0, '2024-03-11T07:00:00.000Z'],
      [1, '2024-03-11T08:00:00.000Z'],
      [1, '2024-03-11T09:00:00.000Z'],
    ]);
  });

  test('billing reports without call rates (70106) fail clearly while other reports go on', async () => {
    const { ctx } = await setup(
      { callRates: false },
      {
        reports: [{ type: 'extcallbilling', trunk_id_list: [1] }, HOURLY],
      },
    );
    const batches: PollBatch[] = [];
    const err = await failure(
      (async () => {
        for await (const b of readReports(ctx, CURSOR)) batches.push(b);
      })(),
    );
    expect(batches.map((b) => b.cursor)).toEqual([
      { queueperformance: '2024-03-11T07:00:00.000Z' },
      { queueperformance: '2024-03-11T08:00:00.000Z' },
      { queueperformance: '2024-03-11T09:00:00.000Z' },
    ]);
    expect([err.code, err.retriable]).toEqual(['VENDOR_ERROR', false]);
    expect(err.message).toBe(
      'call_report/download extcallbilling: errcode 70106 RATE_NOT_EXISTED: billing reports need call rates; set call rates on the PBX or remove this report',
    );
  });

  test('a blocked address (70004) stops every report at once', async () => {
    const { ctx } = await setup({}, { reports: [HOURLY, { type: 'ivr', ivr_id_list: [1] }] });
    sim!.failNext('call_report/download', 70004);
    const err = await failure(collect(ctx, CURSOR));
    expect(err.code).toBe('VENDOR_FORBIDDEN');
    expect(downloads()).toBe(1);
  });

  test('an API version the firmware does not serve says so', async () => {
    const { ctx } = await setup({ apiVersions: ['v2.0'] }, { api_version: 'v1.0' });
    const err = await failure(collect(ctx, CURSOR));
    expect([err.code, err.retriable]).toEqual(['VENDOR_ERROR', false]);
    expect(err.message).toMatch(
      /^get_token: errcode 10003 API VERSION UNSUPPORTED: this firmware does not serve this API version/,
    );
  });

  test('a PBX that goes away mid-run: retriable, and the token never shows in the error', async () => {
    const { ctx } = await setup();
    const batches: PollBatch[] = [];
    const err = await failure(
      (async () => {
        for await (const b of readReports(ctx, CURSOR)) {
          batches.push(b);
          await sim!.close();
        }
      })(),
    );
    sim = undefined;
    expect(batches).toHaveLength(1);
    expect([err.code, err.retriable]).toEqual(['VENDOR_UNAVAILABLE', true]);
    expect(err.message).toContain('access_token=***');
    const token = (ctx.session.get('yeastar-p:pbx-p:token') as { access: string }).access;
    expect(err.message).not.toContain(token);
  });
});

describe('yeastar-p asynchronous reports', () => {
  test('is_async=1, then event 30027 through the ingest endpoint, then the download', async () => {
    // A stand-in for the ingest server: the body goes to the connector's accept, as the runtime does.
    const cfgHolder: { cfg?: ReturnType<typeof config> } = {};
    hook = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const payloads = yeastarP.ingest!.accept(
          Buffer.concat(parts),
          req.headers['content-type'] ?? '',
          cfgHolder.cfg!,
        );
        const ok = yeastarP.ingest!.ok(cfgHolder.cfg!);
        res.writeHead(ok.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...(ok.body as object), n: payloads.length }));
      });
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/ingest/yeastar-p/pbx-p`;
    const clock = clockAt('2024-03-11T09:00:00Z');
    sim = await startSimulator({ timezone: 'Europe/Berlin', now: clock.now, webhookUrl, asyncDelayMs: 30 });
    const cfg = config({ base_url: sim.url, async: true, reports: [{ type: 'queuesatisfaction', queue_id: 1 }] });
    cfgHolder.cfg = cfg;
    const ctx = pollContext(cfg, clock, { sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref()) });
    const batches = await collect(ctx, null);
    expect(sim.requests.find((r) => r.path.endsWith('call_report/download'))!.query.is_async).toBe('1');
    expect(sim.counts.webhook_posts).toBe(1);
    expect(rowsOf(cfg, batches).map((r) => r.fields['Agent Name'])).toEqual([
      'Alice Martin',
      '王伟',
      'דנה לוי',
      'Smith, John',
      'José "Pepe" García',
      'Chloé Dubois',
    ]);
  });

  test('without the 30027 event the request times out (retriable) and names the webhook path', async () => {
    const clock = clockAt('2024-03-11T09:00:00Z');
    sim = await startSimulator({ timezone: 'Europe/Berlin', now: clock.now, asyncDelayMs: 1 });
    const cfg = config({
      id: 'lonely',
      base_url: sim.url,
      async: true,
      async_timeout_seconds: 5,
      reports: [{ type: 'queuesatisfaction', queue_id: 1 }],
    });
    const err = await failure(collect(pollContext(cfg, clock), null));
    expect([err.code, err.retriable]).toEqual(['TIMEOUT', true]);
    expect(err.message).toBe(
      'no report-ready event (30027) within 5 s: the PBX webhook must reach /ingest/yeastar-p/lonely on this callhouse process',
    );
  });
});
