#!/usr/bin/env node
// The callhouse CLI. It runs the compiled build (dist/, written by `npm run build`, which `npm ci`
// runs as `prepare`) when that build is current: dist/runtime/cli.js exists and no TypeScript
// source is newer than it. Otherwise (a source edited since the last build) it runs the sources,
// compiled on the fly by tsx, so that a change is never run stale. CALLHOUSE_USE_DIST=1 always
// runs dist/ (the container image, which has no sources); CALLHOUSE_USE_DIST=0 always the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist/runtime/cli.js', import.meta.url));
const SOURCE_DIRS = ['runtime', 'transforms', 'connectors', 'sinks', 'simulators'];

/** Whether any .ts file under the source folders was modified after `since` (ms). */
function newerSource(since) {
  const stack = SOURCE_DIRS.map((d) => join(root, d)).filter((d) => existsSync(d));
  while (stack.length) {
    const dir = stack.pop();
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && statSync(p).mtimeMs > since) return true;
    }
  }
  return false;
}

function useDist() {
  const forced = process.env.CALLHOUSE_USE_DIST;
  if (forced === '1') return true;
  if (forced === '0' || !existsSync(dist)) return false;
  return !newerSource(statSync(dist).mtimeMs);
}

if (useDist()) {
  await import(dist);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../runtime/cli.ts');
}
