import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../simulators/yeastar-s/index.js';
import { YeastarSApiClient } from '../connectors/yeastar-s/api.js';
import { apiSchema } from '../connectors/yeastar-s/config.js';
import { redactText, registerSecret, registerShortLivedSecret, rotateSecret, secretCount } from './redact.js';

const value = (i: number | string) => `secret-${createHash('sha256').update(String(i)).digest('hex').slice(0, 20)}`;

afterEach(() => void vi.useRealTimers());

describe('the secrets redaction removes', () => {
  it('keeps the configuration’s secrets for the life of the process, once each', () => {
    const before = secretCount();
    for (let i = 0; i < 100; i++) registerSecret(value('config'));
    expect(secretCount()).toBe(before + 1);
    expect(redactText(`x ${value('config')} y`)).toBe('x *** y');
  });

  it('keeps a session’s newest two tokens however often it is renewed', () => {
    const before = secretCount();
    for (let i = 0; i < 10_000; i++) rotateSecret('vendor:one:token', value(`s${i}`));
    expect(secretCount()).toBe(before + 2);
    // The current token and the one it replaced (a request in flight may still carry it) are removed…
    expect(redactText(`${value('s9999')} ${value('s9998')}`)).toBe('*** ***');
    // …long-dead ones are no longer looked for.
    expect(redactText(value('s1'))).toBe(value('s1'));
    // Sessions are independent.
    rotateSecret('vendor:two:token', value('other'));
    expect(redactText(`${value('other')} ${value('s9999')}`)).toBe('*** ***');
  });

  it('forgets short-lived secrets after their lifetime, and keeps at most a bounded number alive', () => {
    vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) });
    const before = secretCount();
    registerShortLivedSecret(value('random-1'), 60_000);
    expect(redactText(value('random-1'))).toBe('***');
    vi.setSystemTime(Date.UTC(2024, 0, 1) + 60_001);
    expect(secretCount()).toBe(before);
    expect(redactText(value('random-1'))).toBe(value('random-1'));
    for (let i = 0; i < 5000; i++) registerShortLivedSecret(value(`r${i}`), 3_600_000);
    expect(secretCount() - before).toBe(1024);
    expect(redactText(value('r4999'))).toBe('***');
  });

  it('stays bounded through a thousand logins and downloads of a real Yeastar S session', async () => {
    const sim = await startSimulator({
      username: 'api',
      password: 'S3cret-pass',
      recordings: { 'a.wav': Buffer.from('RIFF') },
    });
    try {
      const cfg = apiSchema.parse({
        base_url: sim.url,
        username: 'api',
        password: 'S3cret-pass',
        recordings_dir: '/tmp',
      });
      const client = new YeastarSApiClient(cfg);
      await client.login();
      const before = secretCount();
      for (let i = 0; i < 1000; i++) await client.login();
      expect(sim.api.stats.login).toBe(1001);
      expect(secretCount() - before).toBeLessThanOrEqual(1);
      await client.logout();
    } finally {
      await sim.close();
    }
  }, 60_000);
});
