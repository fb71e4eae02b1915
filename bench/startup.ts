/**
 * How long `callhouse --help` takes to answer, beside a bare `node -e 0` on the same machine (the
 * floor no CLI can beat): the compiled build, as `npm ci` leaves it, and the sources through tsx,
 * as in development. Medians of several runs, each a new process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function medianMs(args: string[], env: Record<string, string>, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

export function startup(runs = 7): Record<string, number | boolean> {
  const built = existsSync(`${ROOT}/dist/runtime/cli.js`);
  return {
    node_start_ms: medianMs(['-e', '0'], {}, runs),
    cli_help_ms: medianMs(['bin/callhouse.js', '--help'], built ? { CALLHOUSE_USE_DIST: '1' } : {}, runs),
    cli_help_from_dist: built,
    cli_help_sources_ms: medianMs(['bin/callhouse.js', '--help'], { CALLHOUSE_USE_DIST: '0' }, runs),
  };
}
