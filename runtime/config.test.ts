import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/registry.js';
import { CONNECTOR_TYPES } from '../connectors/types.js';
import { CallhouseError } from './errors.js';
import { loadConfig, validateConfig } from './config.js';
import { redactText } from './redact.js';

const env = { CALLHOUSE_DATA_DIR: '/tmp/x' } as NodeJS.ProcessEnv;

function errorsOf(raw: unknown, e: NodeJS.ProcessEnv = env): string[] {
  try {
    validateConfig(raw, e);
  } catch (err) {
    expect(err).toBeInstanceOf(CallhouseError);
    expect((err as CallhouseError).code).toBe('CONFIG_INVALID');
    return (err as CallhouseError).details!.errors as string[];
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('without a file gives the defaults: no connectors, the contract environment', () => {
    const c = validateConfig({}, { CALLHOUSE_HTTP_PORT: '9000' } as NodeJS.ProcessEnv);
    expect(c.connectors).toEqual([]);
    expect(c.env.httpPort).toBe(9000);
    expect(c.env.adminPort).toBe(8081);
    expect(c.env.topicPrefix).toBe('callhouse.');
    expect(c.env.clickhouseDatabase).toBe('callhouse');
    expect(c.kafka.partitions).toBe(3);
  });

  it('names every bad key by its path', () => {
    const errors = errorsOf({
      connectors: [
        { id: 'ok-one', type: 'yeastar-s', timezone: 'Europe/London', token: 'abcdefgh1' },
        { id: 'Bad Id', type: 'yeastar-s', timezone: 'Europe/London' },
        { id: 'three', type: 'yeastar-s', timezone: 'Europe/Londn' },
        { id: 'four', type: 'asterix' },
      ],
      sink: { batch_rows: -1 },
      unknown_section: true,
    });
    expect(errors).toContain('connectors[2].timezone: unknown time zone "Europe/Londn"');
    expect(errors.some((e) => e.startsWith('connectors[1].id: '))).toBe(true);
    expect(
      errors.some((e) => e.startsWith('connectors[3].type: expected one of yeastar-s, ipcortex, yeastar-p, voicenter')),
    ).toBe(true);
    expect(errors.some((e) => e.startsWith('sink.batch_rows: '))).toBe(true);
    expect(errors.some((e) => e.includes('unknown_section'))).toBe(true);
    expect(errors.some((e) => e.startsWith('connectors[0]'))).toBe(false);
  });

  it('rejects duplicate connector ids', () => {
    const c = { id: 'same', type: 'yeastar-s', timezone: 'UTC' };
    expect(errorsOf({ connectors: [c, c] })).toEqual(['connectors[1].id: duplicate connector id "same"']);
  });

  it('replaces ${NAME} from the environment, registers secrets, and names missing variables', () => {
    const c = validateConfig(
      { connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: '${PBX_TOKEN}' }] },
      { ...env, PBX_TOKEN: 'sup3r-s3cret-token' },
    );
    expect(c.connectors[0]!.token).toBe('sup3r-s3cret-token');
    expect(c.connectors[0]!.tenant).toBe('pbx');
    expect(redactText('failed for https://x/y?token=sup3r-s3cret-token and sup3r-s3cret-token')).not.toContain('sup3r');
    expect(
      errorsOf({ connectors: [{ id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: '${NOPE_NOT_SET}' }] }),
    ).toContain('connectors[0].token: environment variable NOPE_NOT_SET is not set');
  });

  it('loads YAML files and reports YAML errors with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhouse-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'connectors:\n  - id: hq\n    type: yeastar-s\n    timezone: Asia/Shanghai\nkafka:\n  partitions: 6\n',
    );
    const c = loadConfig({ file: good, env });
    expect(c.kafka.partitions).toBe(6);
    expect(c.connectors[0]!.timezone).toBe('Asia/Shanghai');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'connectors: [\n');
    expect(() => loadConfig({ file: bad, env })).toThrow(/bad\.yaml: not valid YAML/);
  });
});

describe('the connector types', () => {
  it("the CLI lists (without loading the connectors) are the registry's, in its order", () => {
    expect([...CONNECTOR_TYPES]).toEqual(CONNECTORS.map((c) => c.type));
  });
});

describe('callhouse.example.yaml', () => {
  it('is a valid configuration with one connector of every type', () => {
    const env2 = {
      ...env,
      YEASTAR_TOKEN: 'example-token-1',
      IPCORTEX_API_KEY: 'k'.repeat(12),
      YEASTAR_P_WEBHOOK_TOKEN: 'example-token-2',
      YEASTAR_P_CLIENT_ID: 'id',
      YEASTAR_P_CLIENT_SECRET: 'secret-1',
      VOICENTER_CODE: 'code-1234',
      VOICENTER_NOTIFY_TOKEN: 'example-token-3',
      ASTERISK_TOKEN: 'example-token-4',
    } as NodeJS.ProcessEnv;
    const c = loadConfig({ file: 'callhouse.example.yaml', env: env2 });
    expect(c.connectors.map((x) => x.type).sort()).toEqual([...CONNECTORS.map((x) => x.type)].sort());
    expect(c.connectors.map((x) => x.type).sort()).toEqual([
      'asterisk',
      'ipcortex',
      'voicenter',
      'yeastar-p',
      'yeastar-s',
    ]);
    // Every ${NAME} of the file is one of the variables above: none is left unset by mistake.
    const values = readFileSync('callhouse.example.yaml', 'utf8').replace(/#.*$/gm, '');
    const names = [...values.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(5);
    for (const n of names) expect(env2[n], n).toBeTruthy();
  });
  it('rejects a min_insync_replicas above replication_factor, by its key', () => {
    expect(errorsOf({ kafka: { replication_factor: 2, min_insync_replicas: 3 } })).toEqual([
      'kafka.min_insync_replicas: min_insync_replicas must not exceed replication_factor (no write could be acknowledged)',
    ]);
    expect(validateConfig({ kafka: { replication_factor: 3, min_insync_replicas: 2 } }, env).kafka).toMatchObject({
      replication_factor: 3,
      min_insync_replicas: 2,
    });
  });
});
