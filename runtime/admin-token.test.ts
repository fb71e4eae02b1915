import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureAdminToken, readAdminToken } from './admin-token.js';
import { redactText } from './redact.js';

const dir = () => mkdtempSync(join(tmpdir(), 'callhouse-token-'));

describe('the admin token', () => {
  it('is written once, mode 0600, and read back by every later start and by the CLI', () => {
    const d = dir();
    const first = ensureAdminToken(d, undefined);
    expect(statSync(join(d, 'admin.token')).mode & 0o777).toBe(0o600);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ensureAdminToken(d, undefined)).toBe(first);
    expect(readAdminToken(d, undefined)).toBe(first);
    // No temporary file is left beside it.
    expect(readdirSync(d)).toEqual(['admin.token']);
    expect(redactText(`token ${first} leaked`)).toBe('token *** leaked');
  });

  it('is never replaced when present: an operator-written token is kept as it is', () => {
    const d = dir();
    writeFileSync(join(d, 'admin.token'), 'operator-chosen-token-0123456789\n', { mode: 0o600 });
    expect(ensureAdminToken(d, undefined)).toBe('operator-chosen-token-0123456789');
    expect(readFileSync(join(d, 'admin.token'), 'utf8')).toBe('operator-chosen-token-0123456789\n');
  });

  it('tightens a token file others can read, with a warning', () => {
    const d = dir();
    writeFileSync(join(d, 'admin.token'), 'operator-chosen-token-0123456789');
    chmodSync(join(d, 'admin.token'), 0o644);
    const warnings: string[] = [];
    ensureAdminToken(d, undefined, (m) => warnings.push(m));
    expect(statSync(join(d, 'admin.token')).mode & 0o777).toBe(0o600);
    expect(warnings.join()).toMatch(/readable by others \(mode 644\)/);
  });

  it('comes from CALLHOUSE_ADMIN_TOKEN when set, and then no file is written', () => {
    const d = dir();
    expect(ensureAdminToken(d, 'from-the-environment-0123')).toBe('from-the-environment-0123');
    expect(readdirSync(d)).toEqual([]);
    expect(readAdminToken(d, 'from-the-environment-0123')).toBe('from-the-environment-0123');
    expect(readAdminToken(d, undefined)).toBeUndefined();
  });

  it('refuses a token short enough to guess, or with spaces', () => {
    expect(() => ensureAdminToken(dir(), 'short')).toThrow(/at least 16 characters/);
    expect(() => ensureAdminToken(dir(), 'a long token with spaces')).toThrow(/without spaces/);
    const d = dir();
    writeFileSync(join(d, 'admin.token'), '\n', { mode: 0o600 });
    expect(() => readAdminToken(d, undefined)).toThrow(/admin\.token: the admin token must be/);
  });

  it('agrees on one token when many processes start at once on one data directory', async () => {
    const d = dir();
    const { spawn } = await import('node:child_process');
    const script = `import('${new URL('./admin-token.ts', import.meta.url).pathname}').then(m => process.stdout.write(m.ensureAdminToken(${JSON.stringify(d)}, undefined)))`;
    const runs = Array.from(
      { length: 6 },
      () =>
        new Promise<string>((resolve, reject) => {
          const c = spawn(process.execPath, ['--import', 'tsx', '-e', script]);
          let out = '';
          c.stdout.on('data', (b: Buffer) => (out += b.toString()));
          c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
        }),
    );
    const tokens = await Promise.all(runs);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe(readFileSync(join(d, 'admin.token'), 'utf8').trim());
    expect(readdirSync(d)).toEqual(['admin.token']);
  }, 60_000);
});
