import { describe, expect, it } from 'vitest';
import { SourceLimiter, tokenMatches } from './http.js';

describe('ingest guards', () => {
  it('limit each source address to its rate, with bursts of twice that, independently of others', () => {
    let now = 0;
    const l = new SourceLimiter(10, () => now);
    const taken = Array.from({ length: 25 }, () => l.take('192.0.2.1')).filter(Boolean).length;
    expect(taken).toBe(20);
    expect(l.take('192.0.2.2')).toBe(true);
    now += 500;
    expect(Array.from({ length: 10 }, () => l.take('192.0.2.1')).filter(Boolean).length).toBe(5);
  });

  it('compare tokens whatever their lengths', () => {
    expect(tokenMatches('secret-token-1', 'secret-token-1')).toBe(true);
    expect(tokenMatches('secret-token-2', 'secret-token-1')).toBe(false);
    expect(tokenMatches('s', 'secret-token-1')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token-1')).toBe(false);
  });
});
