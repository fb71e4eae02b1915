#!/usr/bin/env node
// `npm run bench`: runs bench/run.ts from the TypeScript sources (compiled on the fly by tsx).
const { register } = await import('tsx/esm/api');
register();
await import('../bench/run.ts');
