import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** A child process that installs the routing, then raises warnings as kafkajs and others do. */
function run(script: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: process.cwd(),
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr;
}

describe('process warnings', () => {
  it('drop the known kafkajs negative-timeout warning and still print every other one', () => {
    const stderr = run(`
      const { routeProcessWarnings } = await import('./runtime/warnings.ts');
      routeProcessWarnings();
      const kafkajs = new Error('-1796419998520 is a negative number.');
      kafkajs.name = 'TimeoutNegativeWarning';
      kafkajs.stack = 'TimeoutNegativeWarning: x\\n    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)';
      process.emitWarning(kafkajs);
      process.emitWarning('something else', 'DeprecationWarning');
      await new Promise((r) => setTimeout(r, 20));
    `);
    expect(stderr).not.toContain('negative number');
    expect(stderr).toMatch(/DeprecationWarning: something else/);
  });
});
