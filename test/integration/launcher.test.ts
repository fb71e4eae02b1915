/**
 * bin/callhouse.js runs the compiled build while it is current and the sources otherwise, in a
 * copy of the package layout whose two entry points say which of them ran.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'callhouse-launcher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'bin'));
mkdirSync(join(root, 'dist', 'runtime'), { recursive: true });
mkdirSync(join(root, 'runtime'));
copyFileSync('bin/callhouse.js', join(root, 'bin', 'callhouse.js'));
symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'callhouse', type: 'module' }));
writeFileSync(join(root, 'dist', 'runtime', 'cli.js'), "console.log('dist');\n");
writeFileSync(join(root, 'runtime', 'cli.ts'), "const ran: string = 'sources';\nconsole.log(ran);\n");
const source = join(root, 'runtime', 'cli.ts');
const built = join(root, 'dist', 'runtime', 'cli.js');

function ran(env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'callhouse.js')], {
    encoding: 'utf8',
    env: { ...process.env, CALLHOUSE_USE_DIST: '', ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('bin/callhouse.js', () => {
  it('runs dist/ when no source is newer than it, the sources when one is, and obeys CALLHOUSE_USE_DIST', () => {
    const t = Date.now() / 1000;
    utimesSync(source, t - 60, t - 60);
    utimesSync(built, t - 30, t - 30);
    expect(ran()).toBe('dist');
    utimesSync(source, t - 10, t - 10);
    expect(ran()).toBe('sources');
    expect(ran({ CALLHOUSE_USE_DIST: '1' })).toBe('dist');
    utimesSync(source, t - 60, t - 60);
    expect(ran({ CALLHOUSE_USE_DIST: '0' })).toBe('sources');
    rmSync(built);
    expect(ran()).toBe('sources');
  });
});
