import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('the data-directory lock', () => {
  it('never lets two holders run at once, and cleans up after them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-lock-'));
    let running = 0;
    let most = 0;
    const work = () =>
      withFileLock(dir, 'pabx', sleep, async () => {
        running += 1;
        most = Math.max(most, running);
        await sleep(30);
        running -= 1;
      });
    await Promise.all([work(), work(), work()]);
    expect(most).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock whose owner is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-lock-'));
    writeFileSync(join(dir, 'pabx.lock'), '2147483646');
    expect(await withFileLock(dir, 'pabx', sleep, async () => 'ran')).toBe('ran');
  });
});
