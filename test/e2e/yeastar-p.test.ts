/**
 * Yeastar P-Series end to end: call reports downloaded in three PBX display formats land as exact
 * `report_rows` (and in the typed view), a re-run of the same period adds nothing, and a 30012 Call
 * End Details event POSTed by the PBX lands as an exact `calls` row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type YeastarPSimulator } from '../../simulators/yeastar-p/index.js';
import { buildReport } from '../../simulators/yeastar-p/reports.js';
import { drained, runBackfill } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'yeastar-p-webhook-token';
const FORMATS = [
  { id: 'p-us', displayFormat: 'MM/DD/YYYY', clock: '24' },
  { id: 'p-eu', displayFormat: 'DD/MM/YYYY', clock: '12' },
  { id: 'p-cn', displayFormat: 'YYYY/MM/DD', clock: '24' },
] as const;
// The Berlin day 2024-03-10.
const FROM = new Date('2024-03-09T23:00:00Z');
const TO = new Date('2024-03-10T23:00:00Z');

describe('yeastar-p end to end', () => {
  const sims: YeastarPSimulator[] = [];
  let t: TestService;

  beforeAll(async () => {
    for (const f of FORMATS)
      sims.push(
        await startSimulator({ timezone: 'Europe/Berlin', seed: 7, displayFormat: f.displayFormat, clock: f.clock }),
      );
    t = await startTestService({
      connectors: FORMATS.map((f, i) => ({
        id: f.id,
        type: 'yeastar-p',
        tenant: 'berlin',
        timezone: 'Europe/Berlin',
        country: 'DE',
        token: TOKEN,
        base_url: sims[i]!.url,
        client_id: 'sim-client-id',
        client_secret: 'sim-client-secret',
        display_format: f.displayFormat,
        clock: f.clock,
        reports: [{ type: 'extcallstatistics', ext_id_list: [2, 4] }],
      })),
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    for (const s of sims) await s.close();
  });

  it('lands the same exact report rows from PBXs in three display formats, and a re-run adds nothing', async () => {
    for (const f of FORMATS) await runBackfill(t, f.id, FROM, TO);
    await drained(t);
    const built = buildReport(
      'extcallstatistics',
      { ext_id_list: '2,4', start_time: '03/10/2024 00:00:00', end_time: '03/10/2024 23:59:59' },
      { ...sims[0]!.settings, displayFormat: 'MM/DD/YYYY', clock: '24' },
    );
    expect(built.rows.map((r) => r.slice(0, 2))).toEqual([
      ['1002', '王伟'],
      ['1004', 'Smith, John'],
    ]);
    const expected = built.rows.map((cells, i) => ({
      row_number: i + 1,
      fields: Object.fromEntries(built.columns.map((h, j) => [h, cells[j]])),
    }));
    const query = (id: string) =>
      t.query<{ row_number: number; fields: Record<string, string>; period_end: string }>(
        `SELECT row_number, fields, toString(period_end) AS period_end FROM {db}.report_rows FINAL
         WHERE connector_id = '${id}' AND report_type = 'extcallstatistics' AND period_start = '2024-03-09 23:00:00' ORDER BY row_number`,
      );
    for (const f of FORMATS) {
      const rows = await query(f.id);
      expect(
        rows.map((r) => ({ row_number: Number(r.row_number), fields: r.fields })),
        f.displayFormat,
      ).toEqual(expected);
      expect(new Set(rows.map((r) => r.period_end))).toEqual(new Set(['2024-03-10 23:00:00.000']));
    }
    const typed = await t.query<{ n: number }>(
      `SELECT count() AS n FROM {db}.yeastar_p_ext_call_statistics WHERE connector_id = 'p-eu' AND period_start = '2024-03-09 23:00:00'`,
    );
    expect(Number(typed[0]!.n)).toBe(2);

    for (const f of FORMATS) await runBackfill(t, f.id, FROM, TO);
    await drained(t);
    const all = await t.query<{ n: number }>(
      `SELECT count() AS n FROM {db}.report_rows FINAL WHERE period_start = '2024-03-09 23:00:00'`,
    );
    expect(Number(all[0]!.n)).toBe(3 * expected.length);
  }, 180_000);

  it('lands a 30012 Call End Details event (msg as a JSON string) as an exact calls row', async () => {
    const msg = JSON.stringify({
      call_id: '1651057476.362',
      time_start: '2022-04-27 19:04:36',
      call_from: '2005',
      call_to: '2002',
      call_duration: 24,
      talk_duration: 21,
      src_trunk_name: ' ',
      dst_trunk_name: ' ',
      pin_code: ' ',
      status: 'ANSWERED',
      type: 'Internal',
      recording: '20220427190436-2005-2002.wav',
      did_number: ' ',
      agent_ring_time: 0,
      uid: '2024111913594421D77',
    });
    const r = await fetch(`${t.ingestUrl}/ingest/yeastar-p/p-eu?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 30012, sn: '3631A2124XXX', msg }),
    });
    expect(r.status).toBe(200);
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id = '2024111913594421D77'`, 1);
    const rows = await t.query(
      `SELECT tenant, source, connector_id, leg, toString(started_at) AS started_at, toString(started_local) AS started_local, direction, caller_ext, callee_ext,
              disposition, vendor_status, ring_seconds, talk_seconds, total_seconds, recording FROM {db}.calls FINAL WHERE call_id = '2024111913594421D77'`,
    );
    expect(rows).toEqual([
      {
        tenant: 'berlin',
        source: 'yeastar-p',
        connector_id: 'p-eu',
        leg: 0,
        started_at: '2022-04-27 17:04:36.000',
        started_local: '2022-04-27 19:04:36.000',
        direction: 'internal',
        caller_ext: '2005',
        callee_ext: '2002',
        disposition: 'answered',
        vendor_status: 'ANSWERED',
        ring_seconds: 3,
        talk_seconds: 21,
        total_seconds: 24,
        recording: '20220427190436-2005-2002.wav',
      },
    ]);
  }, 60_000);
});
