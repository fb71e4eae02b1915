/**
 * Asterisk end to end: Master.csv in a watched directory (read by the Poller at start) and a CDR
 * file POSTed to /ingest/asterisk/{id} land in `calls` exactly: one leg-0 row per call (the
 * linkedid group), leg-1 rows for the other CDRs of the group, nothing twice however often the
 * file is resent. Expectations come from the simulator's own calls and connectors/asterisk/README.md.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type AsteriskSimulator, type SimCall } from '../../simulators/asterisk/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'asterisk-e2e-token-0123';
const ZONE = 'Europe/London';
const DISPOSITION: Record<string, string> = {
  ANSWERED: 'answered',
  'NO ANSWER': 'no_answer',
  BUSY: 'busy',
  FAILED: 'failed',
  CONGESTION: 'failed',
};
const utc = (local: string) =>
  DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: ZONE }).toUTC().toFormat('yyyy-MM-dd HH:mm:ss.SSS');

/** The calls rows the README's mapping gives for a simulated call. */
function expectedRows(c: SimCall): Record<string, unknown>[] {
  return c.rows.map((r, i) => {
    const leg = i === c.callRow ? 0 : 1;
    const disposition = r.lastapp === 'VoiceMail' ? 'voicemail' : DISPOSITION[r.disposition!]!;
    return {
      call_id: leg === 0 ? c.linkedid : `${r.uniqueid}#${r.sequence}`,
      leg,
      parent_call_id: leg === 0 ? '' : c.linkedid,
      started_at: utc(r.start!),
      disposition,
      talk_seconds: Number(r.billsec),
      total_seconds: Number(r.duration),
      ...(leg === 0 ? { direction: c.direction, trunk: c.trunk } : {}),
    };
  });
}

describe('asterisk end to end', () => {
  let t: TestService;
  let sim: AsteriskSimulator;
  const rows = async (ids: string[]) => {
    const got = await t.query<Record<string, unknown>>(
      `SELECT call_id, leg, parent_call_id, toString(started_at) AS started_at, disposition, talk_seconds, total_seconds, direction, trunk
       FROM {db}.calls FINAL WHERE call_id IN (${ids.map((i) => `'${i}'`).join(',')}) OR parent_call_id IN (${ids.map((i) => `'${i}'`).join(',')})
       ORDER BY call_id, leg`,
    );
    return got
      .map((r) => (Number(r.leg) === 0 ? r : { ...r, direction: undefined, trunk: undefined }))
      .map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);
  };
  const expected = (calls: SimCall[]) =>
    calls
      .flatMap(expectedRows)
      .sort((a, b) => String(a.call_id).localeCompare(String(b.call_id)) || Number(a.leg) - Number(b.leg));

  beforeAll(async () => {
    sim = await startSimulator({ seed: 11, timezone: ZONE, start: '2024-06-10T08:00:00Z', initialCalls: 30 });
    t = await startTestService({
      connectors: [
        {
          id: 'pbx',
          type: 'asterisk',
          tenant: 'acme',
          timezone: ZONE,
          country: 'GB',
          token: TOKEN,
          directory: sim.directory,
          extra_columns: ['linkedid', 'sequence'],
          trunks: ['trunk-gb'],
        },
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await sim?.close();
  });

  it('lands the watched Master.csv in calls exactly: one leg 0 per call, leg 1 for the other CDRs', async () => {
    const calls = [...sim.calls];
    const n = calls.reduce((s, c) => s + c.rows.length, 0);
    expect(n).toBeGreaterThan(calls.length); // the seed has linkedid groups
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE connector_id = 'pbx'`, n);
    expect(await rows(calls.map((c) => c.linkedid))).toEqual(expected(calls));
    const legs = await t.query<{ n: string }>(`SELECT count() AS n FROM {db}.calls FINAL WHERE leg != 1`);
    expect(Number(legs[0]!.n)).toBe(calls.length);
  });

  it('lands a POSTed CDR file exactly once however often it is sent', async () => {
    const posted = sim.makeCalls(12);
    const url = `${t.ingestUrl}/ingest/asterisk/pbx?token=${TOKEN}`;
    // Counted before posting: rows of the posted file may land while it is still being resent.
    const before = await t.query<{ n: string }>(`SELECT count() AS n FROM {db}.calls FINAL`);
    for (let i = 0; i < 3; i++) expect((await sim.post(url, posted)).status).toBe(200);
    const n = Number(before[0]!.n) + posted.reduce((s, c) => s + c.rows.length, 0);
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL`, n);
    expect(await rows(posted.map((c) => c.linkedid))).toEqual(expected(posted));
    await new Promise((r) => setTimeout(r, 1000));
    const after = await t.query<{ n: string }>(`SELECT count() AS n FROM {db}.calls FINAL`);
    expect(Number(after[0]!.n)).toBe(n);
    expect((await fetch(url, { method: 'POST', body: Buffer.from([0x00, 0x01]) })).status).toBe(400);
  });
});
