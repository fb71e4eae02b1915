/** The PBX API client against the simulator, on a clock the test moves. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type YeastarSSimulator } from '../../simulators/yeastar-s/index.js';
import { apiSchema } from './config.js';
import { YeastarSApiClient } from './api.js';

const FILE = '20170901181806-1504261084.7-1001-1003-Internal.wav';
const WAV = Buffer.from('RIFF-demo-recording-bytes');
let sim: YeastarSSimulator;
let clock: number;
let dir: string;

beforeEach(async () => {
  clock = Date.UTC(2024, 5, 1, 9);
  sim = await startSimulator({
    username: 'api',
    password: 'S3cret-pass',
    now: () => clock,
    recordings: { [FILE]: WAV },
  });
  dir = await mkdtemp(join(tmpdir(), 'yeastar-s-'));
});
afterEach(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const client = (over: Record<string, unknown> = {}, heartbeatMs?: number) =>
  new YeastarSApiClient(
    apiSchema.parse({ base_url: sim.url, username: 'api', password: 'S3cret-pass', recordings_dir: dir, ...over }),
    { now: () => clock, ...(heartbeatMs ? { heartbeatMs } : {}) },
  );
const minutes = (n: number) => void (clock += n * 60_000);

describe('yeastar-s API client', () => {
  it('logs in with the MD5 of the password and the report target', async () => {
    await client({
      report_url: '203.0.113.5:8080/ingest/yeastar-s/hq',
      report_version: '1.0.2',
      version: 'v2.0.0',
    }).login();
    expect(sim.api.stats.lastLogin).toEqual({
      username: 'api',
      password: createHash('md5').update('S3cret-pass').digest('hex'),
      port: '8260',
      version: '1.0.2',
      url: '203.0.113.5:8080/ingest/yeastar-s/hq',
      urltag: '1',
    });
  });

  it('downloads a recording into the directory, logging in first', async () => {
    const path = await client().downloadRecording(FILE);
    expect(path).toBe(join(dir, FILE));
    expect(await readFile(path)).toEqual(WAV);
    expect([sim.api.stats.login, sim.api.stats.get_random, sim.api.stats.download]).toEqual([1, 1, 1]);
  });

  it('sends a heartbeat before a request after 25 idle minutes, keeping the session', async () => {
    const c = client();
    await c.downloadRecording(FILE);
    minutes(26);
    await c.downloadRecording(FILE);
    expect([sim.api.stats.login, sim.api.stats.heartbeat, sim.api.stats.download]).toEqual([1, 1, 2]);
  });

  it('logs in again, transparently, when the token timed out', async () => {
    const c = client({}, 60 * 60_000);
    await c.login();
    minutes(31);
    expect(await c.downloadRecording(FILE)).toBe(join(dir, FILE));
    expect([sim.api.stats.login, sim.api.stats.heartbeat]).toEqual([2, 0]);
  });

  it('logs in again when the PBX forgot the token (restart)', async () => {
    const c = client();
    await c.login();
    sim.api.expireAllTokens();
    await c.heartbeat();
    expect([sim.api.stats.login, sim.api.stats.heartbeat]).toEqual([2, 1]);
  });

  it('heartbeats in the background until stopped', async () => {
    const c = new YeastarSApiClient(apiSchema.parse({ base_url: sim.url, username: 'api', password: 'S3cret-pass' }), {
      heartbeatMs: 20,
    });
    await c.login();
    c.startHeartbeat();
    const deadline = Date.now() + 5_000;
    while (sim.api.stats.heartbeat < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    c.stopHeartbeat();
    expect(sim.api.stats.heartbeat).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 50)); // a beat already on the wire may still land
    const beats = sim.api.stats.heartbeat;
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.api.stats.heartbeat).toBe(beats);
  });

  it('logs out', async () => {
    const c = client();
    await c.login();
    await c.logout();
    expect(sim.api.stats.logout).toBe(1);
  });

  it('wrong credentials → VENDOR_AUTH, never showing the password', async () => {
    const err = await client({ password: 'wrong-password' })
      .login()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'VENDOR_AUTH',
      retriable: false,
      message: 'yeastar-s login: login refused: wrong API username or password (PBX Settings → API) (errno 20003)',
    });
  });

  it('five bad logins lock the address: a clear, non-retriable stop', async () => {
    const bad = client({ password: 'wrong-password' });
    for (let i = 0; i < 5; i++) await expect(bad.login()).rejects.toMatchObject({ code: 'VENDOR_AUTH' });
    await expect(client().login()).rejects.toMatchObject({
      code: 'VENDOR_FORBIDDEN',
      retriable: false,
      message: expect.stringContaining('login locked'),
    });
    minutes(11);
    await expect(client().login()).resolves.toBeUndefined();
  });

  it('the download random is single-use and lives 30 s', async () => {
    const c = client();
    await c.login();
    const token = /"token":"([0-9a-f]+)"/.exec(JSON.stringify(c))?.[1] ?? '';
    const getRandom = async () => {
      const r = await fetch(`${sim.url}/api/v1.0.1/recording/get_random?token=${token}`, {
        method: 'POST',
        body: JSON.stringify({ recording: FILE }),
      });
      return ((await r.json()) as { random: string }).random;
    };
    const download = async (random: string) => {
      const r = await fetch(
        `${sim.url}/api/v1.0.1/recording/download?${new URLSearchParams({ recording: FILE, random, token })}`,
      );
      return r.headers.get('content-type')?.includes('json') ? ((await r.json()) as { errno: string }).errno : 'file';
    };
    const once = await getRandom();
    expect([await download(once), await download(once)]).toEqual(['file', '20012']);
    const late = await getRandom();
    clock += 31_000;
    expect(await download(late)).toBe('20012');
  });

  it('a missing recording is a VENDOR_ERROR naming the cause', async () => {
    await expect(client().downloadRecording('nope.wav')).rejects.toMatchObject({
      code: 'VENDOR_ERROR',
      message: 'yeastar-s recording/get_random: recording does not exist (errno 20014)',
    });
  });

  it('apisrv not running → retriable VENDOR_UNAVAILABLE', async () => {
    const c = client();
    await c.login();
    sim.api.injectErrno('30003');
    await expect(c.heartbeat()).rejects.toMatchObject({ code: 'VENDOR_UNAVAILABLE', retriable: true });
  });

  it('refuses a recording name that is a path', async () => {
    await expect(client().downloadRecording('../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_VALUE' });
    expect(sim.api.stats.login).toBe(0);
  });

  it('keeps the token out of errors when the PBX is unreachable', async () => {
    const c = client();
    await c.login();
    const token = /"token":"([0-9a-f]+)"/.exec(JSON.stringify(c))?.[1] ?? '';
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    await sim.close();
    const err = (await c.heartbeat().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('VENDOR_UNAVAILABLE');
    expect(err.message).toContain('heartbeat?token=***');
    expect(err.message).not.toContain(token);
    sim = await startSimulator();
  });
});
