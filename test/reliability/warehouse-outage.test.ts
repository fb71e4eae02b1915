/**
 * The warehouse unavailable for minutes: the sink pauses, retries with back-off while keeping its
 * consumer-group membership, and lands everything once the warehouse is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'warehouse-outage-token';
const cdr = (i: number) =>
  JSON.stringify({
    action: 'NewCdr',
    callid: `${1719000000 + i}.${i}`,
    timestart: '2024-06-21 20:00:00',
    callfrom: '1001',
    callto: '1002',
    callduraction: '40',
    talkduraction: '30',
    status: 'ANSWERED',
    type: 'Internal',
  });

describe('the warehouse down for two minutes', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: TOKEN }] });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('loses nothing and duplicates nothing', async () => {
    const post = (i: number) =>
      fetch(`${t.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`, { method: 'POST', body: cdr(i) }).then(
        (r) => r.status,
      );
    for (let i = 0; i < 20; i++) expect(await post(i)).toBe(200);
    await t.waitForCount('SELECT count() AS n FROM {db}.calls FINAL', 20);

    await t.warehouse.client.command({ query: `DETACH TABLE ${t.warehouse.database}.calls` });
    for (let i = 20; i < 120; i++) expect(await post(i)).toBe(200);
    await new Promise((r) => setTimeout(r, 125_000));
    await t.warehouse.client.command({ query: `ATTACH TABLE ${t.warehouse.database}.calls` });

    await t.waitForCount('SELECT count() AS n FROM {db}.calls FINAL', 120, 90_000);
    const rows = await t.query<{ n: number; d: number }>(
      'SELECT count() AS n, uniqExact(call_id) AS d FROM {db}.calls FINAL',
    );
    expect([Number(rows[0]!.n), Number(rows[0]!.d)]).toEqual([120, 120]);
  }, 300_000);
});
