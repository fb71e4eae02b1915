/**
 * Yeastar S end to end (issue 6): the simulator's flow player POSTs call reports, in all three
 * body shapes and with resends, to a running callhouse; the reports travel through the real
 * broker into the warehouse. Expectations come from what the player says it sent.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSimulator,
  type PlayedCall,
  type PlayResult,
  type YeastarSSimulator,
} from '../../simulators/yeastar-s/index.js';
import { drained } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'ys-e2e-token-0123456789';
const SHAPES = ['v1', '1.0.2', 'v2'] as const;
const FLOWS_PER_SHAPE = 14; // two of each of the seven flow kinds

const DIRECTION: Record<string, string> = {
  internal: 'internal',
  failed: 'internal',
  outbound: 'outbound',
  inbound: 'inbound',
  ivr: 'inbound',
  survey: 'inbound',
  transfer: 'inbound',
};
const DISPOSITION: Record<string, string> = {
  ANSWERED: 'answered',
  'NO ANSWER': 'no_answer',
  BUSY: 'busy',
  FAILED: 'failed',
};
const chTime = (epoch: number) => DateTime.fromSeconds(epoch, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm:ss.SSS');
const chLocal = (epoch: number) =>
  DateTime.fromSeconds(epoch, { zone: 'Europe/London' }).toFormat('yyyy-MM-dd HH:mm:ss.SSS');

describe('yeastar-s end to end', () => {
  let t: TestService;
  let sim: YeastarSSimulator;
  const played: PlayResult[] = [];
  const url = (id: string, token = TOKEN) => `${t.ingestUrl}/ingest/yeastar-s/${id}?token=${token}`;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 5 });
    t = await startTestService({
      connectors: [
        {
          id: 'pbx',
          type: 'yeastar-s',
          tenant: 'acme',
          timezone: 'Europe/London',
          country: 'GB',
          token: TOKEN,
          allow_ips: ['127.0.0.1/32'],
        },
        { id: 'far', type: 'yeastar-s', timezone: 'Europe/London', token: TOKEN, allow_ips: ['192.0.2.10/32'] },
        { id: 'small', type: 'yeastar-s', timezone: 'Europe/London', token: TOKEN, max_body_bytes: 300 },
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await sim?.close();
  });

  it('lands one calls row per played call and one call_events row per distinct report, resends and all shapes included', async () => {
    for (const [i, shape] of SHAPES.entries()) {
      // Separate start times keep the call ids of the three plays apart.
      const startEpoch = 1_717_228_800 + i * 86_400;
      played.push(
        await sim.playFlows({
          target: url('pbx'),
          count: FLOWS_PER_SHAPE,
          seed: 40 + i,
          shape,
          resendRate: 0.3,
          startEpoch,
        }),
      );
    }
    const sent = played.flatMap((p) => p.sent);
    const calls = played.flatMap((p) => p.calls);
    expect(sent.every((s) => s.status === 200)).toBe(true);
    expect(sent.filter((s) => s.resend).length).toBeGreaterThan(20);
    expect(new Set(calls.map((c) => c.shape))).toEqual(new Set(SHAPES));
    expect(new Set(calls.map((c) => c.callid)).size).toBe(calls.length);
    await drained(t);

    // calls: exactly one row per played call, with the fields its NewCdr carries.
    const rows = await t.query<Record<string, unknown>>(
      `SELECT call_id, tenant, source, connector_id, toString(started_at) AS started_at, toString(started_local) AS started_local,
              direction, disposition, caller, callee, trunk, talk_seconds, total_seconds, ring_seconds, vendor_status, vendor_type
       FROM {db}.calls FINAL ORDER BY call_id`,
    );
    const want = (p: PlayedCall) => ({
      call_id: p.callid,
      tenant: 'acme',
      source: 'yeastar-s',
      connector_id: 'pbx',
      started_at: chTime(p.epoch),
      started_local: chLocal(p.epoch),
      direction: DIRECTION[p.kind],
      disposition: DISPOSITION[p.status],
      caller: p.callfrom,
      callee: p.callto,
      trunk: p.trunk,
      talk_seconds: p.talk,
      total_seconds: p.total,
      ring_seconds: p.total - p.talk,
      vendor_status: p.status,
      vendor_type: p.type,
    });
    expect(rows).toEqual([...calls].sort((a, b) => a.callid.localeCompare(b.callid)).map(want));
    // No stray call id in the table either (merged or not).
    const distinct = await t.query<{ n: string }>(`SELECT uniqExact(call_id) AS n FROM {db}.calls`);
    expect(Number(distinct[0]!.n)).toBe(calls.length);

    // call_events: one row per distinct report (a resend is the same report), per call.
    const reports = new Map<string, string>();
    for (const s of sent) reports.set(`${s.callid}\u0000${s.body}`, `${s.callid}|${s.action}`);
    const expectedEvents = [...reports.values()].sort();
    expect(expectedEvents.length).toBeLessThan(sent.length);
    const events = await t.query<{ k: string }>(
      `SELECT concat(call_id, '|', vendor_action) AS k FROM {db}.call_events FINAL WHERE connector_id = 'pbx' ORDER BY k`,
    );
    expect(events.map((e) => e.k).sort()).toEqual(expectedEvents);
    const unique = await t.query<{ n: string; u: string }>(
      `SELECT count() AS n, uniqExact(call_id, event_key) AS u FROM {db}.call_events FINAL WHERE connector_id = 'pbx'`,
    );
    expect(Number(unique[0]!.n)).toBe(expectedEvents.length);
    expect(Number(unique[0]!.u)).toBe(expectedEvents.length);
    // Every NewCdr is a `cdr` event dated by its timestart.
    const cdrEvents = await t.query<{ call_id: string; event_at: string }>(
      `SELECT call_id, toString(event_at) AS event_at FROM {db}.call_events FINAL WHERE event_type = 'cdr' ORDER BY call_id`,
    );
    expect(cdrEvents).toEqual(
      [...calls]
        .sort((a, b) => a.callid.localeCompare(b.callid))
        .map((c) => ({ call_id: c.callid, event_at: chTime(c.epoch) })),
    );
  });

  it('keeps the order of duplicate-key parties of legacy reports in call_events.parties', async () => {
    const legacy = played[0]!;
    expect(legacy.calls.every((c) => c.shape === 'v1')).toBe(true);
    const internal = legacy.calls.filter((c) => c.kind === 'internal');
    const inbound = legacy.calls.filter((c) => c.kind === 'inbound');
    expect(internal.length).toBeGreaterThan(0);
    expect(inbound.length).toBeGreaterThan(0);
    // The raw legacy body really repeats the key.
    const ring = legacy.sent.find((s) => s.callid === internal[0]!.callid && s.action === 'RING')!;
    expect(ring.body.match(/"ext":/g)).toHaveLength(2);

    const parties = async (callid: string, action: string) =>
      (
        await t.query<{ parties: string[] }>(
          `SELECT parties FROM {db}.call_events FINAL WHERE call_id = '${callid}' AND vendor_action = '${action}' ORDER BY toString(parties)`,
        )
      ).map((r) => r.parties);
    for (const c of internal) {
      const [a, b] = [c.callfrom, c.callto];
      expect(await parties(c.callid, 'RING')).toEqual([[a, b]]);
      // The two BYE reports list the parties in opposite orders: two events, each in its own order.
      expect((await parties(c.callid, 'BYE')).map((p) => p.join(',')).sort()).toEqual(
        [`${a},${b}`, `${b},${a}`].sort(),
      );
    }
    for (const c of inbound) {
      // ANSWER lists the answering extension first, then the inbound leg (its outside caller).
      expect(await parties(c.callid, 'ANSWER')).toEqual([[c.callto, c.callfrom]]);
    }
  });

  it('refuses a foreign address with 403 and an oversized body with 413, landing nothing', async () => {
    const body = legacyCdr('1717400000.900');
    const far = await fetch(url('far'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(far.status).toBe(403);
    const small = await fetch(url('small'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body + ' '.repeat(400),
    });
    expect(small.status).toBe(413);
    // The same small connector takes a body within its limit.
    const ok = await fetch(url('small'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: legacyCdr('1717400000.902'),
    });
    expect(ok.status).toBe(200);
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE connector_id = 'small'`, 1);
    await drained(t);
    expect(
      await t.query(`SELECT call_id FROM {db}.calls FINAL WHERE connector_id IN ('far', 'small') ORDER BY call_id`),
    ).toEqual([{ call_id: '1717400000.902' }]);
    expect(t.service.status.get('far')).toMatchObject({ errors: 1, received: 0 });
  });

  it('answers a malformed body 400 {"status":"Failed"} and keeps it in dead_letters', async () => {
    const broken = '{"action":"NewCdr","callid":"1717400000.950","ext":{"extid":"1000"},';
    const res = await fetch(url('pbx'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: broken,
    });
    expect(res.status).toBe(400);
    expect((await res.json()) as unknown).toMatchObject({ status: 'Failed' });
    await t.waitForCount(
      `SELECT count() AS n FROM {db}.dead_letters WHERE connector_id = 'pbx' AND stage = 'ingest'`,
      1,
    );
    const dl = await t.query<{ payload: string; source: string; error_code: string }>(
      `SELECT payload, source, error_code FROM {db}.dead_letters WHERE connector_id = 'pbx'`,
    );
    expect(dl).toEqual([{ payload: broken, source: 'yeastar-s', error_code: expect.any(String) as unknown as string }]);
    expect(await t.query(`SELECT call_id FROM {db}.calls FINAL WHERE call_id = '1717400000.950'`)).toEqual([]);
  });
});

function legacyCdr(callid: string): string {
  const epoch = Number(callid.split('.')[0]);
  const timestart = DateTime.fromSeconds(epoch, { zone: 'Europe/London' }).toFormat('yyyy-MM-dd HH:mm:ss');
  return `{"action":"NewCdr","callid":"${callid}","timestart":"${timestart}","callfrom":"1001","callto":"1002","callduraction":"20","talkduraction":"12","status":"ANSWERED","type":"Internal"}`;
}
