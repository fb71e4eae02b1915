/**
 * `callhouse transform` uses the configuration schemas' defaults, as the service does for a
 * connector that sets nothing but its connection, never the example configuration's settings, and
 * says on stderr which settings it assumed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { transformInput, trialConfig } from './transform.js';

// A default Master.csv line: the 18 columns of cdr.conf without cdr_custom. Started 2024-06-01
// 10:00:00 on a PBX clock read as UTC (the schema's default zone).
const MASTER_CSV =
  '"","2001","02079460018","from-internal","""Alice"" <2001>","PJSIP/2001-00000001","PJSIP/trunk-gb-00000002","Dial","PJSIP/02079460018@trunk-gb,30","2024-06-01 10:00:00","2024-06-01 10:00:05","2024-06-01 10:01:05",65,60,"ANSWERED","DOCUMENTATION","1717236000.1",""\n';

describe('callhouse transform settings', () => {
  it('reads a default 18-column Master.csv (no extra columns assumed)', () => {
    const { records, assumed } = transformInput('asterisk', Buffer.from(MASTER_CSV), {}, () => undefined);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'call', call_id: '1717236000.1', started_at: '2024-06-01 10:00:00.000' });
    expect(assumed).toContain('extra_columns=[]');
    expect(assumed).toContain('timezone=UTC');
  });

  it('takes no time zone, country or display format from the example configuration', () => {
    const p = trialConfig('yeastar-p', {});
    expect(p.config).toMatchObject({ timezone: 'UTC', display_format: 'MM/DD/YYYY' });
    expect(p.config.country).toBeUndefined();
    expect(p.assumed).toEqual(
      expect.arrayContaining([
        'timezone=UTC (required, not given: local times are read as UTC)',
        'display_format=MM/DD/YYYY',
        'country (not set: numbers without a country code get no E.164)',
      ]),
    );
    const s = trialConfig('yeastar-s', {});
    expect([s.config.timezone, s.config.country]).toEqual([undefined, undefined]);
    expect(trialConfig('ipcortex', {}).assumed).toEqual(expect.arrayContaining(['access_prefixes=["9"]']));
  });

  it('names only what it assumed: given settings are not listed, and a bad one is a usage error', () => {
    const { assumed } = trialConfig('yeastar-p', {
      timezone: 'Europe/Berlin',
      country: 'DE',
      display_format: 'DD/MM/YYYY',
    });
    expect(assumed.some((a) => /^(timezone|country|display_format)\b/.test(a))).toBe(false);
    expect(() => trialConfig('yeastar-s', { timezone: 'Europe/Londn' })).toThrow(/--timezone: unknown time zone/);
  });

  it('prints the assumed settings on stderr, the records on stdout', () => {
    const r = spawnSync(process.execPath, ['bin/callhouse.js', 'transform', 'asterisk'], {
      encoding: 'utf8',
      input: MASTER_CSV,
      env: { ...process.env, CALLHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'callhouse-transform-')) },
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^assumed \(schema defaults\): timezone=UTC, .*extra_columns=\[\]/m);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { call_id: string }).call_id),
    ).toEqual(['1717236000.1']);
  });
});
