import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RateLimitedLog, createLogger } from './logging.js';

describe('RateLimitedLog', () => {
  it('writes a key once per interval and then says how many it left out', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    let now = 0;
    const log = new RateLimitedLog(createLogger('warn', sink), 60_000, () => now);
    const say = (key: string) => log.warn(key, { key }, (n) => `refused ${key}${n ? ` (${n} more)` : ''}`);
    expect([say('a'), say('a'), say('b'), say('a')]).toEqual([true, false, true, false]);
    now = 59_999;
    expect(say('a')).toBe(false);
    now = 60_000;
    expect(say('a')).toBe(true);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'refused a',
      'refused b',
      'refused a (3 more)',
    ]);
  });
});
