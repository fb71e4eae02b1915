#!/usr/bin/env node
// Runs the callhouse CLI from the TypeScript sources (compiled on the fly by tsx), or from
// dist/ when `npm run build` produced it and CALLHOUSE_USE_DIST=1 (the container image).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/runtime/cli.js', import.meta.url));
if (process.env.CALLHOUSE_USE_DIST === '1' && existsSync(dist)) {
  await import(dist);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../runtime/cli.ts');
}
