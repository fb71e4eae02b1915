/** Runs the load generator (bench/loadgen.ts) in a child process and returns its result. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec } from './loadgen.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
let n = 0;

export async function runLoad(dir: string, spec: LoadSpec): Promise<LoadResult> {
  const file = join(dir, `load-${process.pid}-${n++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const child = spawn(process.execPath, ['--import', 'tsx', LOADGEN, file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // Bounded: the run's own duration plus start-up and a margin.
  const killer = setTimeout(() => child.kill('SIGKILL'), (spec.duration + 60) * 1000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(killer);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`load generator failed (exit ${code}): ${err.slice(-800)}`);
  return JSON.parse(line) as LoadResult;
}

/** The ingest path of the bench's Yeastar S connector, token in the query as a PBX would send it. */
export const YEASTAR_PATH = '/ingest/yeastar-s/bench-ys?token=bench-token-0123456789';
