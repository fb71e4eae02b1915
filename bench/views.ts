/**
 * The reporting views over 10 million calls: runs bench/warehouse-kpi.ts (its own process and
 * engine, so its caches stay out of the pipeline's memory figure) and returns its JSON line.
 */
import { fileURLToPath } from 'node:url';
import { runJsonScript } from './child.js';

const SCRIPT = fileURLToPath(new URL('./warehouse-kpi.ts', import.meta.url));

export interface ViewsResult {
  rows: number;
  kpi_query_ms_10m: number;
  kpi_query_ms_10m_merged?: number;
  load_ms?: number;
  unmerged_ms?: Record<string, number>;
  merged_ms?: Record<string, number>;
  [k: string]: unknown;
}

export async function views(opts: { rows: number; runs: number; timeoutS: number }): Promise<ViewsResult> {
  return runJsonScript<ViewsResult>(
    SCRIPT,
    ['--rows', String(opts.rows), '--runs', String(opts.runs)],
    opts.timeoutS,
    'warehouse-kpi',
  );
}
