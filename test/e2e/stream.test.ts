/**
 * The stream end to end, in one process: reports POSTed to the ingest listener travel through the
 * real broker and land in the embedded warehouse; resends add nothing; a poison record ends in
 * dead_letters while the records around it land; a warehouse outage loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/kafka.js';

const TOKEN = 'e2e-token-0123456789';
const CDRS = [
  '{"action":"NewCdr","callid":"1495779310.371","timestart":"2017-05-25 22:15:10","callfrom":"1002","callto":"1000","desttrunkname":"","callduraction":"3","talkduraction":"2","status":"ANSWERED","type":"Internal"}',
  '{"action":"NewCdr","callid":"1495779454.374","timestart":"2017-05-25 22:17:34","callfrom":"1002","callto":"41004","desttrunkname":"sip-142","callduraction":"4","talkduraction":"4","status":"ANSWERED","type":"Outbound"}',
  '{"action":"NewCdr","callid":"1495779821.377","timestart":"2017-05-25 22:23:41","callfrom":"1000","callto":"1002","srctrunkname":"sip-142","callduraction":"18","talkduraction":"9","status":"ANSWERED","type":"Inbound"}',
];

describe('the stream end to end', () => {
  let t: TestService;
  const post = (body: string, id = 'pbx', token = TOKEN) =>
    fetch(`${t.ingestUrl}/ingest/yeastar-s/${id}?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  beforeAll(async () => {
    t = await startTestService({
      connectors: [
        { id: 'pbx', type: 'yeastar-s', tenant: 'acme', timezone: 'Etc/GMT+8', country: 'US', token: TOKEN },
      ],
    });
  });
  afterAll(async () => t?.stop());

  it('lands pushed CDRs in calls within seconds, exactly once however often they are resent', async () => {
    for (const body of CDRS) expect((await post(body)).status).toBe(200);
    // The PBX resends when it misses the 200: twice more each.
    for (const body of [...CDRS, ...CDRS]) expect((await post(body)).status).toBe(200);
    await t.waitForCount(`SELECT count() AS n FROM {db}.call_events FINAL WHERE event_type = 'cdr'`, 3);
    // Calls and events are separate topics, inserted by separate batches: wait for both.
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL`, 3);
    const rows = await t.query<Record<string, unknown>>(
      `SELECT call_id, tenant, source, connector_id, toString(started_at) AS started_at, direction, disposition, talk_seconds, total_seconds, trunk
       FROM {db}.calls FINAL ORDER BY call_id`,
    );
    expect(rows).toEqual([
      {
        call_id: '1495779310.371',
        tenant: 'acme',
        source: 'yeastar-s',
        connector_id: 'pbx',
        started_at: '2017-05-26 06:15:10.000',
        direction: 'internal',
        disposition: 'answered',
        talk_seconds: 2,
        total_seconds: 3,
        trunk: '',
      },
      {
        call_id: '1495779454.374',
        tenant: 'acme',
        source: 'yeastar-s',
        connector_id: 'pbx',
        started_at: '2017-05-26 06:17:34.000',
        direction: 'outbound',
        disposition: 'answered',
        talk_seconds: 4,
        total_seconds: 4,
        trunk: 'sip-142',
      },
      {
        call_id: '1495779821.377',
        tenant: 'acme',
        source: 'yeastar-s',
        connector_id: 'pbx',
        started_at: '2017-05-26 06:23:41.000',
        direction: 'inbound',
        disposition: 'answered',
        talk_seconds: 9,
        total_seconds: 18,
        trunk: 'sip-142',
      },
    ]);
    const kpi = await t.query<{ n: number }>(`SELECT count() AS n FROM {db}.calls FINAL`);
    expect(Number(kpi[0]!.n)).toBe(3);
  });

  it('answers 401, 404, 400 as the contract says, and the unparseable body still reaches dead letters', async () => {
    expect((await post(CDRS[0]!, 'pbx', 'wrong-token')).status).toBe(401);
    expect((await fetch(`${t.ingestUrl}/ingest/yeastar-s/pbx`, { method: 'POST', body: CDRS[0] })).status).toBe(401);
    expect((await post(CDRS[0]!, 'nope')).status).toBe(404);
    const bad = await post('{"action":"NewCdr","callid":');
    expect(bad.status).toBe(400);
    await t.waitForCount(
      `SELECT count() AS n FROM {db}.dead_letters WHERE stage = 'ingest' AND payload = '{"action":"NewCdr","callid":'`,
      1,
    );
  });

  it('sends a poison record to dead_letters while the records around it land', async () => {
    const before =
      '{"action":"NewCdr","callid":"1700000000.1","timestart":"2023-11-14 14:13:20","callfrom":"1001","callto":"1002","callduraction":"10","talkduraction":"5","status":"ANSWERED","type":"Internal"}';
    const poison =
      '{"action":"NewCdr","callid":"1700000001.2","timestart":"2023-11-14 14:13:21","callfrom":"1001","callto":"1002","callduraction":"ten","talkduraction":"5","status":"ANSWERED","type":"Internal"}';
    const after =
      '{"action":"NewCdr","callid":"1700000002.3","timestart":"2023-11-14 14:13:22","callfrom":"1001","callto":"1002","callduraction":"12","talkduraction":"0","status":"NO ANSWER","type":"Internal"}';
    for (const b of [before, poison, after]) expect((await post(b)).status).toBe(200);
    await t.waitForCount(
      `SELECT count() AS n FROM {db}.calls FINAL WHERE call_id IN ('1700000000.1', '1700000002.3')`,
      2,
    );
    const dl = await until('the poison dead letter', async () => {
      const r = await t.query<{ error_code: string; error: string; payload: string }>(
        `SELECT error_code, error, payload FROM {db}.dead_letters WHERE stage = 'transform' AND connector_id = 'pbx'`,
      );
      return r.length > 0 ? r : undefined;
    });
    expect(dl).toHaveLength(1);
    expect(dl[0]!.error_code).toBe('INVALID_VALUE');
    expect(dl[0]!.error).toMatch(/duration/);
    expect(dl[0]!.payload).toBe(poison);
    expect(await t.query(`SELECT call_id FROM {db}.calls FINAL WHERE call_id = '1700000001.2'`)).toEqual([]);
  });

  it('loses nothing while the warehouse refuses inserts, and resumes by itself', async () => {
    await t.warehouse.client.command({ query: `DETACH TABLE ${t.warehouse.database}.calls` });
    const ids = Array.from({ length: 20 }, (_, i) => `1710000${String(i).padStart(3, '0')}.9`);
    for (const id of ids) {
      const body = `{"action":"NewCdr","callid":"${id}","timestart":"2024-03-09 08:00:00","callfrom":"1001","callto":"1002","callduraction":"30","talkduraction":"20","status":"ANSWERED","type":"Internal"}`;
      expect((await post(body)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 2500));
    await t.warehouse.client.command({ query: `ATTACH TABLE ${t.warehouse.database}.calls` });
    await t.waitForCount(`SELECT count() AS n FROM {db}.calls FINAL WHERE call_id LIKE '1710000%'`, 20, 60_000);
    const rows = await t.query<{ n: number; d: number }>(
      `SELECT count() AS n, uniqExact(call_id) AS d FROM {db}.calls WHERE call_id LIKE '1710000%'`,
    );
    expect(Number(rows[0]!.n)).toBe(20);
    expect(Number(rows[0]!.d)).toBe(20);
  });
});

describe('Yeastar S recordings', () => {
  it('downloads the recording a NewCdr names through the PBX API, and records its location in call_events', async () => {
    const { startSimulator } = await import('../../simulators/yeastar-s/index.js');
    const { readFileSync } = await import('node:fs');
    const wav = Buffer.from('RIFF-demo-recording-bytes');
    const pbx = await startSimulator({
      username: 'api',
      password: 'pbx-api-password-9',
      recordings: { 'rec-1505352615.274.wav': wav },
    });
    const t = await startTestService({
      connectors: [
        {
          id: 'rec',
          type: 'yeastar-s',
          timezone: 'UTC',
          token: TOKEN,
          api: { base_url: pbx.url, username: 'api', password: 'pbx-api-password-9' },
        },
      ],
    });
    try {
      const cdr =
        '{"action":"NewCdr","callid":"1505352615.274","timestart":"2017-09-14 01:30:15","callfrom":"1000","callto":"91000","desttrunkname":"Apple_test","callduraction":"29","talkduraction":"29","status":"ANSWERED","type":"Outbound","recording":"rec-1505352615.274.wav"}';
      const r = await fetch(`${t.ingestUrl}/ingest/yeastar-s/rec?token=${TOKEN}`, { method: 'POST', body: cdr });
      expect(r.status).toBe(200);
      const saved = await until('the recording location', async () => {
        const rows = await t.query<{ info: string }>(
          `SELECT info FROM {db}.call_events FINAL WHERE call_id = '1505352615.274' AND vendor_action = 'RecordingSaved'`,
        );
        return rows[0]?.info;
      });
      expect(saved.endsWith('/recordings/rec/rec-1505352615.274.wav')).toBe(true);
      expect(readFileSync(saved)).toEqual(wav);
      const call = await t.query<{ recording: string }>(
        `SELECT recording FROM {db}.calls FINAL WHERE call_id = '1505352615.274'`,
      );
      expect(call).toEqual([{ recording: 'rec-1505352615.274.wav' }]);
    } finally {
      await t.stop();
      await pbx.close();
      (await import('../../connectors/yeastar-s/recordings.js')).closeRecordingSessions();
    }
  });
});
