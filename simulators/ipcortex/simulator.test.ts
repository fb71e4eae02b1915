import { afterEach, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { startSimulator, type IpcortexSimulator, type IpcortexSimulatorOptions } from './index.js';

const sims: IpcortexSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
async function sim(opts: IpcortexSimulatorOptions = {}) {
  const s = await startSimulator({ seed: 3, callsPerDay: 20, ...opts });
  sims.push(s);
  return s;
}

/** The parts of the simulator's answers these tests read. */
type CallRow = Record<string, unknown> & { acctid: number };
interface Group {
  name: string;
  device?: string;
  calls: CallRow[];
}
interface CompanyCalls {
  name: string;
  in: Record<string, Group>;
  out: Record<string, Group>;
}
interface Reply {
  result: string;
  values: Record<string, Group & CompanyCalls>;
}

async function post(s: IpcortexSimulator, path: string, body: unknown, cookie?: string) {
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, cookies: res.headers.getSetCookie(), json: (await res.json()) as Reply };
}

const KEY = { type: 'auth', key: 'sim-api-key-0001' };
const day = { year: 2026, month: 3, day: 10 };

describe('ipcortex simulator', () => {
  it('is deterministic per seed, and different seeds give different days', async () => {
    const a = await sim();
    const b = await sim();
    const c = await sim({ seed: 4 });
    expect(a.expectedCalls('2026-03-10')).toEqual(b.expectedCalls('2026-03-10'));
    expect(c.expectedCalls('2026-03-10')).not.toEqual(a.expectedCalls('2026-03-10'));
    expect(a.expectedCalls('2026-03-10')).toHaveLength(30);
  });

  it('every call of a day falls within that local day; acctids rise across days', async () => {
    const s = await sim({ timezone: 'Europe/London' });
    const calls = s.expectedCalls('2026-03-28', '2026-03-30');
    for (const c of calls) {
      const at = (c.in?.item ?? c.out!.item).calldate;
      expect(DateTime.fromSeconds(at, { zone: 'Europe/London' }).toISODate()).toBe(c.day);
    }
    const ids = calls.map((c) => c.acctid);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('incalls: keyed by extension, the documented fields (no ddi), company as string or array', async () => {
    const s = await sim();
    const r = await post(s, '/rest/call/incalls', { type: 'cdr', scope: { ...day, company: ['acme'] }, auth: KEY });
    expect(r.json.result).toBe('success');
    const [ext, group] = Object.entries(r.json.values)[0]!;
    expect(ext).toMatch(/^\d{3}$/);
    expect(Object.keys(group)).toEqual(['name', 'calls']);
    expect(Object.keys(group.calls[0]!)).toEqual([
      'acctid',
      'calldate',
      'caller',
      'type',
      'ringtime',
      'billsecs',
      'detail',
      'qtime',
      'qstatus',
    ]);
    const acme = s.expectedCalls('2026-03-10').filter((c) => c.company === 'acme' && c.in);
    const got = Object.values(r.json.values)
      .flatMap((g) => g.calls.map((x) => x.acctid))
      .sort();
    expect(got).toEqual(acme.map((c) => c.acctid).sort());
  });

  it('outcalls: keyed by MAC + port device ids, with device name, cost and trunk', async () => {
    const s = await sim();
    const r = await post(s, '/rest/call/outcalls', { type: 'cdr', scope: day, auth: KEY });
    for (const [id, group] of Object.entries(r.json.values)) {
      expect(id).toMatch(/^[0-9a-f]{12}\d$/);
      expect(Object.keys(group)).toEqual(['name', 'device', 'calls']);
      for (const call of group.calls) {
        expect(Object.keys(call)).toEqual([
          'acctid',
          'calldate',
          'type',
          'called_info',
          'called',
          'dialled',
          'billsecs',
          'ringtime',
          'cost',
          'trunk',
          'cid',
        ]);
      }
    }
  });

  it('allcalls: every company with in and out; internal calls in both; no cost, ddi present', async () => {
    const s = await sim();
    const r = await post(s, '/rest/call/allcalls', { type: 'cdr', scope: { ...day, days: 1 }, auth: KEY });
    expect(Object.keys(r.json.values)).toEqual(['default', 'acme']);
    const d = r.json.values.default!;
    expect(d.name).toBe('Default Company');
    const ins = Object.values(d.in).flatMap((g) => g.calls);
    const outs = Object.values(d.out).flatMap((g) => g.calls);
    expect(ins.every((c) => 'ddi' in c)).toBe(true);
    expect(outs.every((c) => !('cost' in c))).toBe(true);
    const internal = s.expectedCalls('2026-03-10').filter((c) => c.company === 'default' && c.kind === 'internal');
    expect(internal.length).toBeGreaterThan(0);
    for (const c of internal) {
      expect(ins.some((x) => x.acctid === c.acctid)).toBe(true);
      expect(outs.some((x) => x.acctid === c.acctid)).toBe(true);
    }
  });

  it('outsummary: company totals; per-device rows only with detail', async () => {
    const s = await sim();
    const plain = await post(s, '/rest/call/outsummary', { type: 'cdr', scope: { year: 2026, month: 2 }, auth: KEY });
    expect(Object.keys(plain.json.values.default!)).toEqual(['name', 'cost', 'seconds', 'unknown']);
    const detail = await post(s, '/rest/call/outsummary', {
      type: 'cdr',
      scope: { year: 2026, month: 2, detail: true, company: 'acme' },
      auth: KEY,
    });
    expect(Object.keys(detail.json.values)).toEqual(['acme']);
    const devices = [...s.expectedSummary(2026, 2).get('acme')!.keys()].sort();
    expect(Object.keys(detail.json.values.acme!).slice(4).sort()).toEqual(devices);
  });

  it('a report without month/year fails as the API does', async () => {
    const s = await sim();
    const r = await post(s, '/rest/call/incalls', { type: 'cdr', scope: { day: 3 }, auth: KEY });
    expect(r.json).toEqual({ result: 'fail', message: 'Invalid scope: month and year are required' });
  });

  it('the billing engine is single-threaded: a second report while one runs gets "retry"', async () => {
    const s = await sim({ processingDelayMs: 60 });
    const [a, b] = await Promise.all([
      post(s, '/rest/call/allcalls', { type: 'cdr', scope: day, auth: KEY }),
      post(s, '/rest/call/allcalls', { type: 'cdr', scope: day, auth: KEY }),
    ]);
    const results = [a.json.result, b.json.result].sort();
    expect(results).toEqual(['retry', 'success']);
    expect([a.json, b.json].find((j) => j.result === 'retry')).toEqual({
      result: 'retry',
      message: 'Another user has billing locked. Please try again in a moment.',
    });
    expect(s.stats().maxConcurrency).toBe(2);
  });

  it('session login sets Red60urne; logout and expiry end it', async () => {
    const s = await sim({ sessionMaxRequests: 1 });
    const bad = await post(s, '/rest/auth/', { auth: { type: 'auth', username: 'billing', password: 'nope' } });
    expect(bad.json.result).toBe('fail');
    const login = await post(s, '/rest/auth/', {
      auth: { type: 'auth', username: 'billing', password: 'billing-pass' },
    });
    expect(login.json.result).toBe('success');
    const cookie = login.cookies[0]!.split(';')[0]!;
    expect(cookie).toMatch(/^Red60urne=[0-9a-f]{24}$/);
    expect((await post(s, '/rest/call/incalls', { type: 'cdr', scope: day }, cookie)).json.result).toBe('success');
    expect((await post(s, '/rest/call/incalls', { type: 'cdr', scope: day }, cookie)).json).toEqual({
      result: 'fail',
      message: 'Session expired: please log in again',
    });
    const again = (
      await post(s, '/rest/auth/', { auth: { type: 'auth', username: 'billing', password: 'billing-pass' } })
    ).cookies[0]!.split(';')[0]!;
    await post(s, '/rest/auth/logout', {}, again);
    expect((await post(s, '/rest/call/incalls', { type: 'cdr', scope: day }, again)).json.result).toBe('fail');
    expect((await post(s, '/rest/call/incalls', { type: 'cdr', scope: day })).json).toEqual({
      result: 'fail',
      message: 'Authentication required: please log in',
    });
  });
});
