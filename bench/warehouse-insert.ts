/**
 * The warehouse's own insert rate for the sink's rows, into a fresh database, two inserts at a
 * time as the sink's two concurrent partitions, batches of the sink's batch_rows:
 *  - `lines`: the rows as a ready JSONEachRow body, through insertBody (what the sink sends,
 *    minus Kafka and the rollup columns): the ceiling the sink is compared with;
 *  - `ingest`: the same body into calls_ingest, which also writes the kpi_daily rollup's tables
 *    (every row a new call, so no look-up): the ceiling of the sink's writes with the rollup;
 *  - `insertRows`: the row objects through runtime/warehouse.ts insertRows (clickhouse-js
 *    encoding, settings as session SETs), the path other writers use.
 */
import { migrate } from '../runtime/migrations.js';
import { warehouseOptions } from '../runtime/service.js';
import { insertBody, insertRows, joinLines, openWarehouse, type Warehouse } from '../runtime/warehouse.js';
import type { BenchEnv } from './env.js';
import { baseCalls, callAt } from './rows.js';

export interface InsertResult {
  rows_per_s: number;
  rows: number;
  insert_rows_per_s: number;
  ingest_rows_per_s: number;
}

export async function warehouseInsert(
  env: BenchEnv,
  opts: { rows: number; seconds: number; parallel?: number },
): Promise<InsertResult> {
  const config = env.config('whraw');
  const wh = await openWarehouse(warehouseOptions(config));
  try {
    await migrate(wh);
    const base = baseCalls(config);
    const size = config.sink.batch_rows;
    // Bodies built before the clock starts, so the figures are the engine's alone.
    const bodies = [0, 1, 2, 3].map((b) =>
      joinLines(Array.from({ length: size }, (_, k) => JSON.stringify(callAt(base, b * size + k)))),
    );
    const body = (from: number): Buffer => bodies[(from / size) % bodies.length]!;
    const lines = await timed(opts, size, (from) => insertBody(wh, 'calls', body(from), `lines-${from}`));
    const ingest = await timed(opts, size, (from) => insertBody(wh, 'calls_ingest', body(from), `ingest-${from}`));
    const objects = await timed({ ...opts, rows: Math.min(opts.rows, size * 6) }, size, (from) =>
      insertRows(
        wh,
        'calls',
        Array.from({ length: size }, (_, k) => callAt(base, from + k) as unknown as Record<string, unknown>),
        `objects-${from}`,
      ),
    );
    return {
      rows_per_s: lines.perS,
      rows: lines.rows,
      insert_rows_per_s: objects.perS,
      ingest_rows_per_s: ingest.perS,
    };
  } finally {
    await dropDb(wh);
  }
}

async function timed(
  opts: { rows: number; seconds: number; parallel?: number },
  size: number,
  insert: (from: number) => Promise<unknown>,
): Promise<{ rows: number; perS: number }> {
  let next = 0;
  let done = 0;
  const deadline = performance.now() + opts.seconds * 1000;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < opts.rows && performance.now() < deadline) {
      const from = next;
      next += size;
      await insert(from);
      done += size;
    }
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 2 }, worker));
  return { rows: done, perS: Math.round(done / ((performance.now() - t0) / 1000)) };
}

async function dropDb(wh: Warehouse): Promise<void> {
  await wh.client.command({ query: `DROP DATABASE IF EXISTS ${wh.database}` }).catch(() => undefined);
  await wh.close();
}
