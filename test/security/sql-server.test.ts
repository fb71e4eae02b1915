/**
 * Analyst SQL on a ClickHouse server: the client runs as the analyst user (never the
 * pipeline's), and deploy/ creates that user read-only with its limits and final = 1. No server
 * runs here: the client's configuration and the committed XML are what is checked.
 */
import { readFileSync } from 'node:fs';
import type { createClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../runtime/config.js';
import { warehouseOptions } from '../../runtime/service.js';
import {
  DEFAULT_ANALYST_LIMITS,
  analystSettings,
  serverAnalyst,
  serverAnalystClientOptions,
} from '../../runtime/analyst.js';
import { analystClient, openWarehouse } from '../../runtime/warehouse.js';
import { child, parseXml } from '../deploy/xml.js';

const SERVER_ENV = {
  CLICKHOUSE_URL: 'http://clickhouse.invalid:8123',
  CLICKHOUSE_USER: 'callhouse',
  CLICKHOUSE_PASSWORD: 'pipeline-secret-1',
  CLICKHOUSE_ANALYST_USER: 'callhouse_analyst',
  CLICKHOUSE_ANALYST_PASSWORD: 'analyst-secret-1',
  KAFKA_BROKERS: '127.0.0.1:1',
};

describe('the analyst client of a ClickHouse server', () => {
  it('runs as the analyst user with the warehouse database, never with the pipeline credentials', () => {
    const cfg = validateConfig({ analyst: { max_execution_time: 12 } }, SERVER_ENV);
    const opts = warehouseOptions(cfg);
    const made: Parameters<typeof createClient>[0][] = [];
    const a = serverAnalyst(
      {
        url: opts.url!,
        database: opts.database,
        user: opts.analyst.user,
        password: opts.analyst.password,
        limits: opts.analyst.limits,
      },
      ((o: Parameters<typeof createClient>[0]) => {
        made.push(o);
        return { close: async () => undefined } as unknown as ReturnType<typeof createClient>;
      }) as typeof createClient,
    );
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      url: 'http://clickhouse.invalid:8123',
      username: 'callhouse_analyst',
      password: 'analyst-secret-1',
      database: 'callhouse',
      request_timeout: 22_000,
    });
    expect(JSON.stringify(made[0])).not.toContain('pipeline-secret-1');
    // No settings of its own: a readonly = 1 user may change none, and the server's profile decides.
    expect(made[0]!.clickhouse_settings).toBeUndefined();
    expect(made[0]!.compression).toEqual({ request: false, response: false });
    expect(a.limits.max_execution_time).toBe(12);
  });

  it('refuses analyst SQL on a server without an analyst user, naming the variables', async () => {
    expect(() =>
      serverAnalystClientOptions({
        url: 'http://x.invalid',
        database: 'callhouse',
        user: undefined,
        password: undefined,
        limits: DEFAULT_ANALYST_LIMITS,
      }),
    ).toThrow(/CLICKHOUSE_ANALYST_USER and CLICKHOUSE_ANALYST_PASSWORD/);
    const cfg = validateConfig({}, { ...SERVER_ENV, CLICKHOUSE_ANALYST_USER: '', CLICKHOUSE_ANALYST_PASSWORD: '' });
    const wh = await openWarehouse(warehouseOptions(cfg));
    try {
      await expect(analystClient(wh, warehouseOptions(cfg))).rejects.toThrow(
        /pipeline’s credentials never run analyst text/,
      );
    } finally {
      await wh.close();
    }
  });

  it('reads the limits from the configuration, with safe defaults and clear errors', () => {
    const d = validateConfig({}, {}).analyst;
    expect(d).toEqual(DEFAULT_ANALYST_LIMITS);
    expect(() => validateConfig({ analyst: { max_execution_time: 0 } }, {})).toThrow(/analyst\.max_execution_time/);
    expect(() => validateConfig({ analyst: { max_rows: 1 } }, {})).toThrow(/analyst/);
    expect(analystSettings(d)).toMatchObject({ final: 1, result_overflow_mode: 'throw' });
  });
});

describe('deploy/: the analyst user on the ClickHouse server', () => {
  const users = parseXml(readFileSync('deploy/clickhouse/users.d/callhouse-analyst.xml', 'utf8'));
  const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { environment?: Record<string, string>; volumes?: string[] }>;
  };
  const user = child(users, 'users', 'callhouse_analyst')!;
  const profile = child(users, 'profiles', child(user, 'profile')!.text.trim())!;
  const setting = (name: string): string | undefined => child(profile, name)?.text.trim();

  it('is read-only, counts each call once, and has the limits of the configuration’s defaults', () => {
    expect(users.name).toBe('clickhouse');
    expect(setting('readonly')).toBe('1');
    expect(setting('final')).toBe('1');
    expect(setting('result_overflow_mode')).toBe('throw');
    expect(Number(setting('max_execution_time'))).toBe(DEFAULT_ANALYST_LIMITS.max_execution_time);
    expect(Number(setting('max_result_rows'))).toBe(DEFAULT_ANALYST_LIMITS.max_result_rows);
    expect(Number(setting('max_result_bytes'))).toBe(DEFAULT_ANALYST_LIMITS.max_result_bytes);
    expect(Number(setting('max_memory_usage'))).toBe(DEFAULT_ANALYST_LIMITS.max_memory_usage);
    expect(Number(setting('max_concurrent_queries_for_user'))).toBe(DEFAULT_ANALYST_LIMITS.max_concurrent_queries);
    // Nothing here lets a readonly user change a setting.
    expect(child(profile, 'constraints')).toBeUndefined();
    expect(child(users, 'quotas', child(user, 'quota')!.text.trim())).toBeDefined();
  });

  it('may SELECT from the callhouse database only, manages no access, and takes its password from the environment', () => {
    const grants = (child(user, 'grants')?.children ?? []).map((g) => g.text.trim());
    expect(grants).toEqual(['GRANT SELECT ON callhouse.*']);
    expect(child(user, 'allow_databases')).toBeUndefined();
    expect(child(user, 'access_management')!.text.trim()).toBe('0');
    const password = child(user, 'password')!;
    expect(password.attrs.from_env).toBe('CLICKHOUSE_ANALYST_PASSWORD');
    expect(password.text.trim()).toBe('');
  });

  it('is mounted into the server, and callhouse is told to use it', () => {
    const ch = compose.services.clickhouse!;
    expect(ch.volumes).toContain(
      './deploy/clickhouse/users.d/callhouse-analyst.xml:/etc/clickhouse-server/users.d/callhouse-analyst.xml:ro',
    );
    const callhouse = compose.services.callhouse!;
    const x = parse(readFileSync('docker-compose.yml', 'utf8')) as {
      'x-callhouse': { environment: Record<string, string> };
    };
    const env = { ...x['x-callhouse'].environment, ...callhouse.environment };
    expect(env.CLICKHOUSE_ANALYST_USER).toBe(user.name);
    expect(env.CLICKHOUSE_ANALYST_PASSWORD).toBe(ch.environment!.CLICKHOUSE_ANALYST_PASSWORD);
    expect(env.CLICKHOUSE_USER).not.toBe(user.name);
  });
});
