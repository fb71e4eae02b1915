/**
 * Times the reporting views over 10 million calls (plus ~1% redeliveries) on the embedded engine.
 * Rows are generated inside the engine with numbers(), so the figure is the query, not the load.
 * Prints one JSON line: per view the median of several runs, with the parts still unmerged (the
 * worst case FINAL meets right after ingest) and after OPTIMIZE FINAL (the merged steady state).
 *   npx tsx bench/warehouse-kpi.ts [--rows N] [--runs R]
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../runtime/migrations.js';
import { rollupCheckSql } from '../runtime/rollups.js';
import { annotateCalls } from '../sinks/clickhouse/rollup.js';
import { openWarehouse, queryRows } from '../runtime/warehouse.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('rows', 10_000_000);
const RUNS = arg('runs', 7);
const VIEWS = [
  'kpi_daily',
  'kpi_daily_from_calls',
  'calls_hourly',
  'extension_daily',
  'trunk_daily',
  'queue_daily',
  'unreturned_missed_calls',
  'cost_monthly',
];

const dataDir = join(tmpdir(), `callhouse-bench-wh-${process.pid}`);
const wh = await openWarehouse({ database: 'bench', dataDir });
const db = wh.database;
const run = (query: string): Promise<unknown> => wh.client.command({ query });

// Five tenants, four sources, 180 days, every direction and disposition, queues with waits,
// 50 000 outside numbers so that misses and callbacks meet. `version` offsets ingested_at.
// The rows go in the way the sink writes them: through calls_ingest, each with the version the
// rollup counted so far (looked up in call_contrib, here by a join instead of the sink's look-up).
const generate = (where: string, versionMinutes: number, token: string): string => `
INSERT INTO ${db}.calls_ingest SETTINGS insert_deduplication_token = '${token}'
WITH g AS (${calls(where, versionMinutes)})
SELECT g.*,
  toUInt8(p.call_id = '' OR g.ingested_at >= p.ingested_at) AS rollup_apply,
  toUInt8(p.call_id != '') AS prev_exists,
  p.day AS prev_day, p.source AS prev_source, p.direction AS prev_direction, p.disposition AS prev_disposition,
  p.talk_seconds AS prev_talk_seconds, p.ring_seconds AS prev_ring_seconds
FROM g
LEFT JOIN (
  SELECT * FROM ${db}.call_contrib FINAL
  WHERE key_hash IN (SELECT cityHash64(tenant, connector_id, call_id, leg) FROM g)
) AS p ON p.key_hash = cityHash64(g.tenant, g.connector_id, g.call_id, g.leg)`;

const calls = (where: string, versionMinutes: number): string => `
SELECT
  ['acme','globex','initech','umbrella','hooli'][1 + n % 5] AS tenant,
  ['yeastar-s','ipcortex','yeastar-p','voicenter'][1 + n % 4] AS source,
  concat(tenant, '-', source) AS connector_id,
  concat('c', toString(n)) AS call_id, '' AS parent_call_id,
  toUInt8(if(n % 50 = 0, 1 + intDiv(n, 50) % 2, 0)) AS leg,
  toDateTime64('2024-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond((n * 1553) % (180 * 86400000)) AS started_at,
  started_at + toIntervalHour(1 + n % 3) AS started_local,
  if(disposition = 'answered', started_at + toIntervalSecond(ring_seconds), NULL) AS answered_at,
  started_at + toIntervalSecond(total_seconds) AS ended_at,
  ['inbound','outbound','internal','inbound','outbound'][1 + h % 5] AS direction,
  '' AS caller, '' AS callee,
  if(direction = 'inbound', concat('+4420', toString(7000000 + bitShiftRight(h, 8) % 50000)), '') AS caller_e164,
  if(direction = 'outbound', concat('+4420', toString(7000000 + bitShiftRight(h, 8) % 50000)), '') AS callee_e164,
  toString(100 + bitShiftRight(h, 24) % 60) AS caller_ext, toString(100 + bitShiftRight(h, 30) % 60) AS callee_ext,
  if(direction = 'internal', '', ['trunk-a','trunk-b','trunk-c'][1 + bitShiftRight(h, 36) % 3]) AS trunk, '' AS did,
  if(direction = 'inbound' AND bitShiftRight(h, 40) % 3 = 0, ['sales','support'][1 + bitShiftRight(h, 42) % 2], '') AS queue, '' AS agent,
  ['answered','answered','answered','answered','answered','no_answer','busy','cancelled','abandoned','voicemail','failed','system','unknown'][1 + bitShiftRight(h, 44) % 13] AS disposition,
  '' AS vendor_status, '' AS vendor_type,
  toUInt32(bitShiftRight(h, 48) % 40) AS ring_seconds,
  toUInt32(if(disposition = 'answered', bitShiftRight(h, 20) % 900, 0)) AS talk_seconds,
  ring_seconds + talk_seconds AS total_seconds,
  if(queue = '', NULL, toUInt32(bitShiftRight(h, 52) % 60)) AS queue_wait_seconds,
  toDecimal64((bitShiftRight(h, 10) % 1000) / 1000, 6) AS cost, 'EUR' AS currency, '' AS recording,
  started_at + toIntervalMinute(${versionMinutes}) AS ingested_at
FROM (SELECT number AS n, cityHash64(number) AS h FROM numbers(${ROWS}) WHERE ${where})`;

async function median(query: string): Promise<number> {
  const times: number[] = [];
  await run(query); // warm-up: caches, first mmap
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run(query);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]!);
}

/**
 * The sink's rollup look-up (annotateCalls) of a 20 000-row insert against the 10 M calls: half of
 * them calls already there (a poller re-reading a window), half new. Median of 3.
 */
async function timeLookup(): Promise<number> {
  const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
  const sources = ['yeastar-s', 'ipcortex', 'yeastar-p', 'voicenter'];
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = i % 2 ? Math.floor(Math.random() * ROWS) : ROWS + run * 20_000 + i;
      const tenant = tenants[n % 5]!;
      lines.push(
        JSON.stringify({
          tenant,
          connector_id: `${tenant}-${sources[n % 4]}`,
          call_id: `c${n}`,
          leg: n % 50 === 0 ? 1 + (Math.floor(n / 50) % 2) : 0,
          ingested_at: '2025-01-01 00:00:00.000',
        }),
      );
    }
    const t = performance.now();
    await annotateCalls(wh, lines);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[1]!);
}

async function timeViews(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of VIEWS) out[v] = await median(`SELECT * FROM ${db}.${v} FORMAT Null`);
  return out;
}

try {
  await run(`DROP DATABASE IF EXISTS ${db}`);
  await migrate(wh);
  let t = performance.now();
  await run(generate('1', 5, `bench-all-${Date.now()}`));
  // ~1% redelivered: half of them byte for byte, half as a newer changed version.
  await run(generate('n % 200 = 7', 5, `bench-dup-${Date.now()}`));
  await run(generate('n % 200 = 8', 9, `bench-new-${Date.now()}`));
  const loadMs = Math.round(performance.now() - t);
  const [{ rows, calls }] = (await queryRows<{ rows: number; calls: number }>(
    wh,
    `SELECT count() AS rows, (SELECT count() FROM ${db}.calls FINAL WHERE leg != 1) AS calls FROM ${db}.calls`,
  )) as [{ rows: number; calls: number }];
  const lookupMs = await timeLookup();
  const unmerged = await timeViews();
  const kpiNoFinal = await median(
    `SELECT toDate(started_local) d, tenant, source, direction, count(), countIf(disposition = 'answered') FROM ${db}.calls WHERE leg != 1 GROUP BY d, tenant, source, direction FORMAT Null`,
  );
  t = performance.now();
  await run(`OPTIMIZE TABLE ${db}.calls FINAL`);
  await run(`OPTIMIZE TABLE ${db}.kpi_daily_rollup FINAL`);
  const optimizeMs = Math.round(performance.now() - t);
  const merged = await timeViews();
  const differences = (await queryRows(wh, rollupCheckSql(db))).length;
  const result = {
    rollup_differences: differences,
    rows: Number(rows),
    calls_counted: Number(calls),
    load_ms: loadMs,
    runs: RUNS,
    kpi_query_ms_10m: unmerged.kpi_daily,
    kpi_query_ms_10m_merged: merged.kpi_daily,
    kpi_without_final_ms: kpiNoFinal,
    sink_rollup_lookup_ms_20k: lookupMs,
    optimize_final_ms: optimizeMs,
    unmerged_ms: unmerged,
    merged_ms: merged,
  };
  console.log(JSON.stringify(result));
} finally {
  await run(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
  await wh.close();
  rmSync(dataDir, { recursive: true, force: true });
}
