/**
 * How fast the sink writes calls that are already stored (each merged with its stored row), next
 * to calls it has not seen: 20,000 calls inserted as the sink does, then their second versions
 * from another feed, in inserts of 5,000. Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../runtime/migrations.js';
import { insertBody, openWarehouse } from '../runtime/warehouse.js';
import { annotateCalls, CALLS_INGEST } from '../sinks/clickhouse/rollup.js';

const N = Number(process.env.PROBE_CALLS ?? 20_000);
const SIZE = 5_000;
const dataDir = mkdtempSync(join(tmpdir(), 'callhouse-merge-probe-'));
const wh = await openWarehouse({ database: `probe_${randomBytes(4).toString('hex')}`, dataDir });
await migrate(wh);
const row = (i: number, origin: string, ms: number) =>
  JSON.stringify({
    tenant: 't',
    source: 'voicenter',
    connector_id: 'vc',
    call_id: `c${i}`,
    parent_call_id: '',
    leg: 0,
    started_at: '2024-03-29 10:00:00.000',
    started_local: '2024-03-29 13:00:00.000',
    answered_at: null,
    ended_at: null,
    direction: 'inbound',
    caller: '0501112222',
    callee: '',
    caller_e164: '+972501112222',
    callee_e164: '',
    caller_ext: '',
    callee_ext: '101',
    trunk: '',
    did: '',
    queue: 'q',
    agent: '',
    disposition: 'answered',
    vendor_status: 'ANSWER',
    vendor_type: 'Queue',
    ring_seconds: 3,
    talk_seconds: 60,
    total_seconds: 63,
    queue_wait_seconds: origin === 'notification' ? 12 : null,
    cost: origin === 'cdr' ? '0.30' : null,
    currency: 'ILS',
    recording: '',
    ingested_at: new Date(ms).toISOString().replace('T', ' ').replace('Z', ''),
  });
async function pass(origin: string, ms: number): Promise<number> {
  const t0 = performance.now();
  for (let from = 0; from < N; from += SIZE) {
    const lines = Array.from({ length: SIZE }, (_, k) => row(from + k, origin, ms));
    const body = await annotateCalls(
      wh,
      lines,
      [],
      lines.map(() => origin),
    );
    await insertBody(wh, CALLS_INGEST, body, `${origin}-${from}`);
  }
  return Math.round(N / ((performance.now() - t0) / 1000));
}
const fresh = await pass('notification', Date.UTC(2024, 2, 29, 10, 5));
const merged = await pass('cdr', Date.UTC(2024, 2, 29, 12));
process.stdout.write(`${JSON.stringify({ calls: N, new_rows_per_s: fresh, merged_rows_per_s: merged })}\n`);
await wh.close();
rmSync(dataDir, { recursive: true, force: true });
