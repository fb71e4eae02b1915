/** Runs the load generator (bench/loadgen.ts) in a child process and returns its result. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonScript } from './child.js';
import type { LoadResult, LoadSpec } from './loadgen.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));
let n = 0;

export async function runLoad(dir: string, spec: LoadSpec): Promise<LoadResult> {
  const file = join(dir, `load-${process.pid}-${n++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  // Bounded: the run's own duration plus start-up and a margin.
  return runJsonScript<LoadResult>(LOADGEN, [file], spec.duration + 60, 'load generator');
}

/** The ingest path of the bench's Yeastar S connector, token in the query as a PBX would send it. */
export const YEASTAR_PATH = '/ingest/yeastar-s/bench-ys?token=bench-token-0123456789';
