import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/registry.js';
import { ROLES } from '../../runtime/service.js';

function cli(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/callhouse.js', ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, CALLHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'callhouse-cli-')), ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the callhouse CLI', () => {
  it('lists every command of the contract in --help, and each has its own --help', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['start', 'migrate', 'backfill', 'transform', 'sql', 'dlq', 'status', 'simulate', 'demo']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    }
    for (const c of [
      ['start'],
      ['backfill'],
      ['transform'],
      ['sql'],
      ['dlq', 'list'],
      ['dlq', 'replay'],
      ['status'],
      ['simulate'],
      ['demo'],
      ['migrate'],
    ]) {
      const h = cli([...c, '--help']);
      expect(h.code, c.join(' ')).toBe(0);
      expect(h.stdout).toContain(`Usage: callhouse ${c.join(' ')}`);
    }
  });

  it("offers the service's roles and the registry's types, which it lists without loading them", () => {
    const start = cli(['start', '--help']);
    const flat = (t: string) => t.replace(/\s+/g, ' ');
    expect(flat(start.stdout)).toContain(`choices: ${ROLES.map((r) => `"${r}"`).join(', ')}`);
    expect(flat(cli(['transform', '--help']).stdout)).toContain(
      `connector type: ${CONNECTORS.map((c) => c.type).join(', ')}`,
    );
    expect(cli(['init', '--help']).code).toBe(0);
  });

  it('exits 2 on an invalid configuration, printing every bad key with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-cfg-'));
    const file = join(dir, 'callhouse.yaml');
    writeFileSync(
      file,
      'connectors:\n  - id: a\n    type: yeastar-s\n    timezone: Europe/Londn\n  - id: b\n    type: nope\n',
    );
    const r = cli(['migrate', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('connectors[0].timezone: unknown time zone "Europe/Londn"');
    expect(r.stderr).toContain('connectors[1].type: expected one of');
  });

  it('exits 2 on bad usage', () => {
    expect(cli(['backfill']).code).toBe(2);
    expect(cli(['no-such-command']).code).toBe(2);
    expect(cli(['transform', 'no-such-type'], '{}').code).toBe(2);
  });

  it('transforms a Yeastar S NewCdr from stdin into a canonical call, and a bad duration into a dead-letter reason with exit 1', () => {
    const body =
      '{"action":"NewCdr","callid":"1495779454.374","timestart":"2017-05-25 22:17:34","callfrom":"1002","callto":"41004","desttrunkname":"sip-142","callduraction":"4","talkduraction":"4","status":"ANSWERED","type":"Outbound"}';
    const r = cli(['transform', 'yeastar-s', '--timezone', 'Etc/GMT+8'], body);
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const call = records.find((x) => x.kind === 'call')!;
    expect(call).toMatchObject({
      call_id: '1495779454.374',
      started_at: '2017-05-26 06:17:34.000',
      started_local: '2017-05-25 22:17:34.000',
      direction: 'outbound',
      disposition: 'answered',
      talk_seconds: 4,
      trunk: 'sip-142',
    });
    const bad = cli(
      ['transform', 'yeastar-s', '--timezone', 'UTC'],
      body.replace('"callduraction":"4"', '"callduraction":"four"'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/dead letter/);
    expect(bad.stdout).toBe('');
  });
});
