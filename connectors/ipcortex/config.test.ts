import { describe, expect, it } from 'vitest';
import { ipcortexConfigSchema } from './config.js';
import { ipcortex } from './index.js';

const base = { id: 'hq-pabx', type: 'ipcortex', base_url: 'https://pabx.example.co.uk' };
const issues = (v: unknown) => {
  const r = ipcortexConfigSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('ipcortex config', () => {
  it('fills the documented defaults', () => {
    expect(ipcortexConfigSchema.parse({ ...base, key: 'k-123' })).toEqual({
      ...base,
      key: 'k-123',
      tenant: 'hq-pabx',
      enabled: true,
      max_body_bytes: 1048576,
      mode: 'allcalls',
      billing_summary: true,
      cost_divisor: 1,
      currency: 'GBP',
      access_prefixes: ['9'],
      lookback_days: 3,
      schedule: '20 3 * * *',
      lock_retries: 10,
      retry_base_ms: 2000,
      retry_max_ms: 60000,
      request_timeout_ms: 180000,
    });
  });

  it('needs a key, or a username and a password, never both', () => {
    expect(issues(base)).toEqual(['username: expected key, or username and password']);
    expect(issues({ ...base, username: 'u' })).toEqual(['password: expected key, or username and password']);
    expect(issues({ ...base, key: 'k', username: 'u', password: 'p' })).toEqual([
      'key: give either key or username + password, not both',
    ]);
    expect(issues({ ...base, username: 'u', password: 'p' })).toEqual([]);
  });

  it('rejects unknown keys, bad divisors and bad modes', () => {
    expect(issues({ ...base, key: 'k', colour: 'red' })).toEqual([': Unrecognized key: "colour"']);
    expect(issues({ ...base, key: 'k', cost_divisor: 12 })).toEqual(['cost_divisor: expected 1, 10, 100, … 1000000']);
    expect(issues({ ...base, key: 'k', mode: 'cdr' })).toHaveLength(1);
    expect(issues({ ...base, key: 'k', base_url: 'not a url' })).toHaveLength(1);
  });

  it('every field is described with an example; the example config is valid', () => {
    const shape = (ipcortexConfigSchema as unknown as { in: { shape: Record<string, { description?: string }> } }).in
      .shape;
    for (const [name, field] of Object.entries(shape)) {
      if (name === 'type') continue;
      expect(field.description, name).toMatch(/Example: `.+`$/);
    }
    expect(ipcortexConfigSchema.safeParse(ipcortex.example).success).toBe(true);
    expect(ipcortex.poll?.defaultSchedule).toBe('20 3 * * *');
  });
});
