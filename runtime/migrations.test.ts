import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from './migrations.js';
import { insertRows, queryRows } from './warehouse.js';
import { openTestWarehouse } from '../test/helpers/warehouse.js';

describe('migrations on the real engine', () => {
  let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
  afterAll(async () => wh?.drop());

  it('apply to an empty warehouse, re-apply as a no-op, and the tables take rows', async () => {
    wh = await openTestWarehouse({ migrate: false });
    const first = await migrate(wh);
    expect(first.applied).toContain('001_tables.sql');
    const second = await migrate(wh);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);

    await insertRows(wh, 'calls', [
      {
        tenant: 't',
        source: 'voicenter',
        connector_id: 'c',
        call_id: 'a',
        parent_call_id: '',
        leg: 0,
        started_at: '2024-06-10 09:04:58.000',
        started_local: '2024-06-10 12:04:58.000',
        answered_at: null,
        ended_at: null,
        direction: 'inbound',
        caller: '',
        callee: '',
        caller_e164: '',
        callee_e164: '',
        caller_ext: '',
        callee_ext: '',
        trunk: '',
        did: '',
        queue: '',
        agent: '',
        disposition: 'answered',
        vendor_status: 'ANSWER',
        vendor_type: '',
        ring_seconds: 1,
        talk_seconds: 2,
        total_seconds: 3,
        queue_wait_seconds: null,
        cost: '1.5',
        currency: 'ILS',
        recording: '',
        ingested_at: '2024-06-10 09:05:00.000',
      },
    ]);
    const rows = await queryRows<{ n: number | string; cost: string }>(
      wh,
      `SELECT count() AS n, toString(any(cost)) AS cost FROM ${wh.database}.calls FINAL`,
    );
    expect(Number(rows[0]!.n)).toBe(1);
    expect(rows[0]!.cost).toBe('1.5');
  });
});
