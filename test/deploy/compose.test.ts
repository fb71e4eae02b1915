/**
 * The deployment files, checked structurally (Docker is not available to the tests): the compose
 * file, Grafana provisioning, the ClickHouse users and server config, and the callhouse config the
 * containers mount. Each cross-reference between them (hosts, ports, users, passwords, uids, paths)
 * must agree.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../runtime/config.js';
import { RAW_ENVELOPE_BYTES } from '../../runtime/ingest-kafka.js';
import { child, parseXml, type XmlElement } from './xml.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  env_file?: { path: string; required?: boolean }[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as Compose;
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
const env = (name: string, key: string): string => String(svc(name).environment?.[key] ?? '');
/** The default of a `${NAME:-default}` value, or the value itself. */
const defaultOf = (v: string): string => /^\$\{\w+:-([^}]*)\}$/.exec(v)?.[1] ?? v;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('docker-compose.yml', () => {
  it('has Kafka, ClickHouse, the migrate step, callhouse and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['callhouse', 'clickhouse', 'grafana', 'kafka', 'migrate']);
  });

  it('pins every image to a version (no :latest, no untagged image)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const m = /^([\w./-]+):(\S+)$/.exec(s.image ?? '');
      expect(m, `${name}: ${s.image}`).not.toBeNull();
      const tag = defaultOf(m![2]!);
      expect(tag, name).not.toBe('latest');
      expect(tag, name).toMatch(/^\d+(\.\d+){2,3}$/);
    }
    expect(svc('kafka').image).toMatch(/^apache\/kafka:/);
    expect(svc('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:/);
    expect(svc('grafana').image).toMatch(/^grafana\/grafana:/);
    // The broker in compose is the version the local broker of `npm run demo` and the tests runs.
    const pom = readFileSync('kafka/pom.xml', 'utf8');
    expect(svc('kafka').image).toBe(`apache/kafka:${/<kafka\.version>([^<]+)</.exec(pom)![1]}`);
    for (const name of ['migrate', 'callhouse']) {
      expect(svc(name).build, name).toBe('.');
      expect(svc(name).image, name).toBe(`callhouse:\${CALLHOUSE_VERSION:-${pkg.version}}`);
    }
    expect(svc('migrate').image).toBe(svc('callhouse').image);
  });

  it('runs Kafka as a single KRaft node with replication factor 1 for the internal topics', () => {
    expect(env('kafka', 'KAFKA_PROCESS_ROLES')).toBe('broker,controller');
    expect(env('kafka', 'KAFKA_CONTROLLER_QUORUM_VOTERS')).toBe('1@kafka:9093');
    for (const k of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ]) {
      expect(env('kafka', k), k).toBe('1');
    }
    expect(Buffer.from(defaultOf(env('kafka', 'CLUSTER_ID')), 'base64url')).toHaveLength(16);
    expect(svc('kafka').volumes).toContain(`kafka-data:${env('kafka', 'KAFKA_LOG_DIRS')}`);
  });

  it('takes a full report with its headers, as the local broker does', () => {
    // The start-up check (runtime/ingest-kafka.ts) needs max_body_bytes plus the envelope to fit.
    const compose = Number(env('kafka', 'KAFKA_MESSAGE_MAX_BYTES'));
    const local = Number(/'message\.max\.bytes=(\d+)'/.exec(readFileSync('runtime/kafka-local.ts', 'utf8'))?.[1]);
    expect(compose).toBe(local);
    const cfg = validateConfig(parse(readFileSync('deploy/callhouse.yaml', 'utf8')) ?? {}, {
      CALLHOUSE_DATA_DIR: '/tmp',
    });
    const largest = Math.max(1024 * 1024, ...cfg.connectors.map((c) => c.max_body_bytes));
    expect(compose).toBeGreaterThanOrEqual(largest + RAW_ENVELOPE_BYTES);
  });

  it('wires callhouse to Kafka and ClickHouse with the same credentials ClickHouse creates', () => {
    for (const name of ['migrate', 'callhouse']) {
      const advertised = /PLAINTEXT:\/\/([^,]+)/.exec(env('kafka', 'KAFKA_ADVERTISED_LISTENERS'))![1];
      expect(env(name, 'KAFKA_BROKERS'), name).toBe(advertised);
      expect(env(name, 'CLICKHOUSE_URL'), name).toBe('http://clickhouse:8123');
      expect(env(name, 'CLICKHOUSE_USER'), name).toBe(env('clickhouse', 'CLICKHOUSE_USER'));
      expect(env(name, 'CLICKHOUSE_PASSWORD'), name).toBe(env('clickhouse', 'CLICKHOUSE_PASSWORD'));
      expect(env(name, 'CLICKHOUSE_DATABASE'), name).toBe(env('clickhouse', 'CLICKHOUSE_DB'));
      expect(env(name, 'CALLHOUSE_CONFIG'), name).toBe('/etc/callhouse/callhouse.yaml');
      expect(svc(name).volumes, name).toContain('./deploy/callhouse.yaml:/etc/callhouse/callhouse.yaml:ro');
      expect(svc(name).env_file, name).toEqual([{ path: './deploy/connectors.env', required: false }]);
    }
    expect(svc('migrate').command).toEqual(['migrate']);
    expect(svc('callhouse').command).toEqual(['start']);
    expect(svc('migrate').restart).toBe('no');
  });

  it('takes every secret from the environment, with defaults that are obviously placeholders', () => {
    const text = readFileSync('docker-compose.yml', 'utf8');
    const secrets = [...text.matchAll(/\$\{(\w*(?:PASSWORD|TOKEN|SECRET)\w*)(?::-([^}]*))?\}/g)];
    expect(secrets.length).toBeGreaterThan(3);
    for (const [, name, def] of secrets) expect(def, name).toMatch(/^change-me/);
    expect(text).not.toMatch(/PASSWORD:\s+(?!\$\{)\S/);
  });

  it('starts callhouse only after Kafka and ClickHouse are healthy and the migrations succeeded', () => {
    for (const name of ['kafka', 'clickhouse', 'callhouse', 'grafana']) {
      const hc = svc(name).healthcheck;
      expect(hc?.test[0], name).toMatch(/^CMD(-SHELL)?$/);
      expect(hc?.retries, name).toBeGreaterThan(0);
    }
    expect(svc('callhouse').healthcheck!.test.join(' ')).toContain('/healthz');
    expect(svc('callhouse').depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      clickhouse: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
    expect(svc('migrate').depends_on).toEqual({ clickhouse: { condition: 'service_healthy' } });
    expect(svc('grafana').depends_on).toEqual({ clickhouse: { condition: 'service_healthy' } });
  });

  it('publishes the ingest port, keeps the admin port unpublished and the rest on loopback', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, p: String(p) })),
    );
    const container = (p: string): string => p.split(':').at(-1)!;
    const host = (p: string): string => defaultOf(p.split(':').slice(0, -2).join(':'));
    expect(published.find((x) => x.name === 'callhouse' && container(x.p) === '8080')).toBeDefined();
    expect(published.some((x) => container(x.p) === '8081')).toBe(false);
    for (const x of published.filter((x) => x.name !== 'callhouse'))
      expect(host(x.p), `${x.name} ${x.p}`).toBe('127.0.0.1');
    expect(published.some((x) => x.name === 'kafka')).toBe(false);
  });

  it('keeps data in named volumes and mounts configuration read-only from files that exist', () => {
    const declared = Object.keys(compose.volumes);
    expect(declared.sort()).toEqual(['callhouse-data', 'clickhouse-data', 'grafana-data', 'kafka-data']);
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const [src, target, mode] = v.split(':');
        if (src!.startsWith('./')) {
          expect(existsSync(src!), `${name}: ${src}`).toBe(true);
          expect(mode, `${name}: ${v} read-only`).toBe('ro');
        } else {
          expect(declared, `${name}: ${v}`).toContain(src);
        }
        expect(target, `${name}: ${v}`).toMatch(/^\//);
      }
    }
    expect(svc('clickhouse').volumes).toContain('clickhouse-data:/var/lib/clickhouse');
    expect(svc('grafana').volumes).toContain('grafana-data:/var/lib/grafana');
    expect(svc('callhouse').volumes).toContain(`callhouse-data:${env('callhouse', 'CALLHOUSE_DATA_DIR')}`);
  });

  it('installs a pinned version of the official ClickHouse plugin in Grafana and mounts its provisioning', () => {
    expect(env('grafana', 'GF_INSTALL_PLUGINS')).toMatch(/^grafana-clickhouse-datasource \d+\.\d+\.\d+$/);
    expect(svc('grafana').volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(svc('grafana').volumes).toContain('./grafana/dashboards:/etc/grafana/dashboards/callhouse:ro');
    expect(defaultOf(env('grafana', 'GF_SECURITY_ADMIN_PASSWORD'))).toMatch(/^change-me/);
    const home = env('grafana', 'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH');
    expect(existsSync(home.replace('/etc/grafana/dashboards/callhouse', 'grafana/dashboards')), home).toBe(true);
  });
});

describe('Grafana provisioning', () => {
  const ds = parse(readFileSync('grafana/provisioning/datasources/clickhouse.yaml', 'utf8')) as {
    apiVersion: number;
    datasources: {
      name: string;
      type: string;
      uid: string;
      jsonData: Record<string, unknown>;
      secureJsonData: Record<string, string>;
    }[];
  };
  const providers = parse(readFileSync('grafana/provisioning/dashboards/dashboards.yaml', 'utf8')) as {
    apiVersion: number;
    providers: { name: string; type: string; options: { path: string } }[];
  };

  it('provisions the ClickHouse datasource the dashboards use, as the read-only user', () => {
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toHaveLength(1);
    const d = ds.datasources[0]!;
    expect(d.type).toBe('grafana-clickhouse-datasource');
    expect(d.jsonData).toMatchObject({
      host: 'clickhouse',
      port: 8123,
      protocol: 'http',
      username: 'grafana',
      defaultDatabase: 'callhouse',
    });
    expect(d.secureJsonData.password).toMatch(/^\$\{?GRAFANA_CLICKHOUSE_PASSWORD\}?$/);
    expect(env('grafana', 'GRAFANA_CLICKHOUSE_PASSWORD')).toBe(env('clickhouse', 'GRAFANA_CLICKHOUSE_PASSWORD'));
    for (const f of readdirSync('grafana/dashboards').filter((x) => x.endsWith('.json'))) {
      const dsRefs = [
        ...readFileSync(join('grafana/dashboards', f), 'utf8').matchAll(
          /"type": "grafana-clickhouse-datasource",\s*"uid": "([^"]+)"/g,
        ),
      ].map((m) => m[1]);
      expect(dsRefs.length, f).toBeGreaterThan(0);
      expect(new Set(dsRefs), f).toEqual(new Set([d.uid]));
    }
  });

  it('loads the dashboards from where compose mounts them', () => {
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0]!.type).toBe('file');
    const mount = svc('grafana')
      .volumes!.find((v) => v.startsWith('./grafana/dashboards:'))!
      .split(':')[1];
    expect(providers.providers[0]!.options.path).toBe(mount);
  });
});

describe('ClickHouse configuration', () => {
  const users = parseXml(readFileSync('deploy/clickhouse/users.d/grafana-readonly.xml', 'utf8'));
  const config = parseXml(readFileSync('deploy/clickhouse/config.d/callhouse.xml', 'utf8'));

  it('the XML files are well-formed ClickHouse configuration', () => {
    expect(users.name).toBe('clickhouse');
    expect(config.name).toBe('clickhouse');
    expect(() => parseXml('<clickhouse><a></b></clickhouse>')).toThrow();
    expect(() => parseXml('<clickhouse><a>x & y</a></clickhouse>')).toThrow();
  });

  it('defines the read-only Grafana user on the callhouse database, password from the environment', () => {
    const user = child(users, 'users', 'grafana')!;
    expect(user).toBeDefined();
    const profileName = child(user, 'profile')!.text.trim();
    const profile = child(users, 'profiles', profileName) as XmlElement;
    expect(profile, profileName).toBeDefined();
    expect(child(profile, 'readonly')!.text.trim()).toBe('1');
    // The plugin's client sets max_execution_time: allowed in readonly mode, within bounds.
    const c = child(profile, 'constraints', 'max_execution_time')!;
    expect(child(c, 'changeable_in_readonly')).toBeDefined();
    expect(Number(child(c, 'max')!.text)).toBeGreaterThan(0);
    expect(child(config, 'access_control_improvements', 'settings_constraints_replace_previous')!.text.trim()).toBe(
      'true',
    );
    const password = child(user, 'password')!;
    expect(password.attrs.from_env).toBe('GRAFANA_CLICKHOUSE_PASSWORD');
    expect(password.text.trim()).toBe('');
    expect(
      user.children.filter((x) => x.name === 'allow_databases').flatMap((a) => a.children.map((d) => d.text.trim())),
    ).toEqual(['callhouse']);
    expect(child(user, 'access_management')?.text.trim() ?? '0').toBe('0');
    const dsUser = (
      parse(readFileSync('grafana/provisioning/datasources/clickhouse.yaml', 'utf8')) as {
        datasources: { jsonData: { username: string } }[];
      }
    ).datasources[0]!.jsonData.username;
    expect(dsUser).toBe(user.name);
    expect(svc('clickhouse').volumes).toContain(
      './deploy/clickhouse/users.d/grafana-readonly.xml:/etc/clickhouse-server/users.d/grafana-readonly.xml:ro',
    );
    expect(svc('clickhouse').volumes).toContain(
      './deploy/clickhouse/config.d/callhouse.xml:/etc/clickhouse-server/config.d/callhouse.xml:ro',
    );
  });
});

describe('deploy/callhouse.yaml', () => {
  it('is a valid callhouse configuration', () => {
    const cfg = validateConfig(parse(readFileSync('deploy/callhouse.yaml', 'utf8')), {
      KAFKA_BROKERS: 'kafka:9092',
      CLICKHOUSE_URL: 'http://clickhouse:8123',
    });
    expect(cfg.connectors).toEqual([]);
    expect(cfg.warehouse.raw_retention_days).toBeGreaterThan(0);
  });

  it('the commented example connector is valid once uncommented', () => {
    const text = readFileSync('deploy/callhouse.yaml', 'utf8');
    const example = text
      .split('\n')
      .filter((l) => l.startsWith('# '))
      .join('\n')
      .replace(/^# ?/gm, '');
    const start = example.search(/^connectors:$/m);
    expect(start).toBeGreaterThanOrEqual(0);
    const cfg = validateConfig(parse(example.slice(start)), { YEASTAR_S_TOKEN: 'a-long-enough-token' });
    expect(cfg.connectors.map((c) => c.type)).toEqual(['yeastar-s']);
  });
});
