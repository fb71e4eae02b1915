/** `callhouse init`: a starting configuration for the named vendors, which validates as written. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/callhouse.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The file's ${NAME}s (outside comments), each given a value as a user would export it. */
function envFor(text: string): NodeJS.ProcessEnv {
  const names = [...text.replace(/#.*$/gm, '').matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
  return { CALLHOUSE_DATA_DIR: '/tmp/x', ...Object.fromEntries(names.map((n) => [n, `value-of-${n}`])) };
}

describe('callhouse init', () => {
  it('writes one connector per named type; the file validates and names the variables to set', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callhouse-init-')), 'callhouse.yaml');
    const r = cli(['init', 'voicenter', 'asterisk', '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    const cfg = loadConfig({ file, env: envFor(text) });
    expect(cfg.connectors.map((c) => c.type)).toEqual(['voicenter', 'asterisk']);
    expect(text).toMatch(/^# Set before starting: VOICENTER_CODE, VOICENTER_NOTIFY_TOKEN, ASTERISK_TOKEN$/m);
    expect(r.stdout).toContain('VOICENTER_CODE, VOICENTER_NOTIFY_TOKEN, ASTERISK_TOKEN');
    // It holds references to secrets: readable by its owner only.
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('without types, configures all five; every one validates', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callhouse-init-')), 'all.yaml');
    expect(cli(['init', '--config', file]).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(loadConfig({ file, env: envFor(text) }).connectors.map((c) => c.type)).toEqual([
      'yeastar-s',
      'ipcortex',
      'yeastar-p',
      'voicenter',
      'asterisk',
    ]);
  });

  it('refuses to overwrite a file unless --force, and refuses an unknown type, with exit code 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callhouse-init-')), 'callhouse.yaml');
    writeFileSync(file, 'mine: true\n');
    const again = cli(['init', 'yeastar-s', '--config', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`callhouse: ${file} exists; pass --force to overwrite it\n`);
    expect(readFileSync(file, 'utf8')).toBe('mine: true\n');
    expect(cli(['init', 'yeastar-s', '--config', file, '--force']).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('type: yeastar-s');
    const bad = cli(['init', 'yeastar-x', '--config', join(tmpdir(), 'never-written.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown connector type "yeastar-x": expected yeastar-s, ipcortex/);
  });
});
