/**
 * Recording downloads against the PBX simulator, seen through a proxy of the test that counts
 * the downloads in flight and can hide their length: at most `max_concurrent_downloads` at once,
 * none over `max_recording_bytes` written, and every recording not saved named in a
 * `RecordingFailed` report of its call.
 */
import { createServer, request, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type YeastarSSimulator } from '../../simulators/yeastar-s/index.js';
import type { CallhouseError } from '../../runtime/errors.js';
import { yeastarSConfigSchema } from './config.js';
import { closeRecordingSessions, downloadRecordings } from './recordings.js';

const files = Object.fromEntries(
  Array.from({ length: 8 }, (_, i) => [`rec-${i}.wav`, Buffer.alloc(1000 + i, i)] as const),
);
const BIG = 'big.wav';

let sim: YeastarSSimulator;
let proxy: Server;
let proxyUrl: string;
let dir: string;
let inFlight = 0;
let maxInFlight = 0;
let hideLength = false;

beforeEach(async () => {
  sim = await startSimulator({
    username: 'api',
    password: 'S3cret-pass',
    recordings: { ...files, [BIG]: Buffer.alloc(50_000, 7) },
  });
  inFlight = 0;
  maxInFlight = 0;
  hideLength = false;
  const target = new URL(sim.url);
  proxy = createServer((req, res) => {
    const download = (req.url ?? '').includes('/recording/download');
    if (download) maxInFlight = Math.max(maxInFlight, ++inFlight);
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        if (hideLength) delete headers['content-length'];
        // Downloads take a while, so that the ones allowed at once overlap.
        setTimeout(
          () => {
            res.writeHead(answer.statusCode ?? 502, headers);
            answer.pipe(res);
            answer.on('end', () => void (download && inFlight--));
          },
          download ? 150 : 0,
        );
      },
    );
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'yeastar-s-rec-'));
});
afterEach(async () => {
  closeRecordingSessions();
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const config = (api: Record<string, unknown> = {}) =>
  yeastarSConfigSchema.parse({
    id: 'pbx',
    type: 'yeastar-s',
    timezone: 'UTC',
    api: { base_url: proxyUrl, username: 'api', password: 'S3cret-pass', recordings_dir: dir, ...api },
  });

const cdr = (callid: string, recording: string) => ({
  key: callid,
  body: Buffer.from(JSON.stringify({ action: 'NewCdr', callid, recording })),
  content_type: 'application/json',
  meta: {},
});

function context() {
  const failures: CallhouseError[] = [];
  return {
    failures,
    ctx: { logger: pino({ level: 'silent' }), dataDir: dir, failed: (e: CallhouseError) => failures.push(e) },
  };
}

const parsed = (out: { body: Buffer }[]) => out.map((p) => JSON.parse(p.body.toString()) as Record<string, string>);

describe('yeastar-s recording downloads', () => {
  it('run at most max_concurrent_downloads at once, however many reports name recordings', async () => {
    const { ctx, failures } = context();
    const c = config({ max_concurrent_downloads: 2 });
    const names = Object.keys(files);
    // Reports arrive in separate requests, each starting its own downloads.
    const outs = await Promise.all(names.map((n, i) => downloadRecordings([cdr(`c${i}`, n)], c, ctx)));
    expect(failures).toEqual([]);
    expect(maxInFlight).toBe(2);
    expect(sim.api.stats.download).toBe(names.length);
    for (const [i, out] of outs.entries()) {
      const [saved] = parsed(out);
      expect(saved).toMatchObject({ action: 'RecordingSaved', callid: `c${i}`, recording: names[i] });
      expect(await readFile(saved!.info!)).toEqual(files[names[i]!]);
    }
  });

  it('refuse a recording over max_recording_bytes by its declared length, and write nothing', async () => {
    const { ctx, failures } = context();
    const out = parsed(
      await downloadRecordings(
        [cdr('c-big', BIG), cdr('c-ok', 'rec-1.wav')],
        config({ max_recording_bytes: 10_000 }),
        ctx,
      ),
    );
    expect(out).toEqual([
      {
        action: 'RecordingFailed',
        callid: 'c-big',
        recording: BIG,
        info: expect.stringMatching(/50000 bytes, over the cap of 10000 \(max_recording_bytes\)/),
      },
      expect.objectContaining({ action: 'RecordingSaved', callid: 'c-ok' }),
    ]);
    expect(failures.map((f) => f.code)).toEqual(['UNSUPPORTED_PAYLOAD']);
    expect(await readdir(join(dir, 'pbx'))).toEqual(['rec-1.wav']);
  });

  it('stop reading a recording of no declared length at the cap, and leave no partial file', async () => {
    hideLength = true;
    const { ctx, failures } = context();
    const out = parsed(await downloadRecordings([cdr('c-big', BIG)], config({ max_recording_bytes: 10_000 }), ctx));
    expect(out).toEqual([
      expect.objectContaining({ action: 'RecordingFailed', info: expect.stringMatching(/more than 10000 bytes/) }),
    ]);
    expect(failures).toHaveLength(1);
    expect(await readdir(dir).then((d) => (d.includes('pbx') ? readdir(join(dir, 'pbx')) : []))).toEqual([]);
  });

  it('refuse downloads past max_queued_downloads, saying so, and still save the ones admitted', async () => {
    const { ctx, failures } = context();
    const c = config({ max_concurrent_downloads: 1, max_queued_downloads: 2 });
    const names = Object.keys(files).slice(0, 5);
    const out = parsed(
      await downloadRecordings(
        names.map((n, i) => cdr(`c${i}`, n)),
        c,
        ctx,
      ),
    );
    expect(out.map((r) => r.action)).toEqual([
      'RecordingSaved',
      'RecordingSaved',
      'RecordingSaved',
      'RecordingFailed',
      'RecordingFailed',
    ]);
    expect(out[3]!.info).toMatch(/2 downloads already wait \(max_queued_downloads\)/);
    expect(failures).toHaveLength(2);
    expect(sim.api.stats.download).toBe(3);
  });
});
