/**
 * The reporting views over 10 million calls: runs bench/warehouse-kpi.ts (its own process and
 * engine, so its caches stay out of the pipeline's memory figure) and returns its JSON line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./warehouse-kpi.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

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
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SCRIPT, '--rows', String(opts.rows), '--runs', String(opts.runs)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutS * 1000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(killer);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`warehouse-kpi failed (exit ${code}): ${err.slice(-800)}`);
  return JSON.parse(line) as ViewsResult;
}
