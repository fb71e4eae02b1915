/**
 * Configuration: a YAML file (callhouse.yaml, --config FILE or CALLHOUSE_CONFIG) with ${NAME}
 * replaced from the environment, validated in full at start-up, plus the environment variables
 * of the contract. Every error names its key by path, e.g. `connectors[2].timezone: …`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CallhouseError } from './errors.js';
import { registerSecret } from './redact.js';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import { CONNECTORS, connectorSpec } from '../connectors/registry.js';

const MiB = 1024 * 1024;

const analystSchema = z
  .object({
    max_execution_time: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(30)
      .describe('Longest an analyst query (`callhouse sql`, POST /sql) may run, in seconds. Example: `30`'),
    max_result_rows: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('Most rows an analyst query may return; one that would return more fails. Example: `100000`'),
    max_result_bytes: z
      .number()
      .int()
      .min(MiB)
      .default(32 * MiB)
      .describe('Most bytes (uncompressed, in the engine) an analyst query may return. Example: `33554432`'),
    max_memory_usage: z
      .number()
      .int()
      .positive()
      .default(2048 * MiB)
      .describe('Most memory one analyst query may use in the engine, in bytes. Example: `2147483648`'),
    max_concurrent_queries: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(2)
      .describe(
        'Analyst queries running at once; one more is refused at once. Embedded, each has a read-only engine session of its own beside the sink. Example: `2`',
      ),
  })
  .strict()
  .default({
    max_execution_time: 30,
    max_result_rows: 100_000,
    max_result_bytes: 32 * MiB,
    max_memory_usage: 2048 * MiB,
    max_concurrent_queries: 2,
  })
  .describe(
    'Limits of analyst SQL. On a ClickHouse server the analyst user’s profile enforces its own (see deploy/clickhouse/users.d/callhouse-analyst.xml); these apply to the embedded engine.',
  );

export const pipelineSchema = z
  .object({
    kafka: z
      .object({
        partitions: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(3)
          .describe('Partitions of each topic created at start-up. Example: `6`'),
        retention_hours: z
          .number()
          .int()
          .positive()
          .default(168)
          .describe('Retention of raw and normalised topics, in hours. Example: `168`'),
        dead_letter_retention_days: z
          .number()
          .int()
          .positive()
          .default(90)
          .describe('Retention of the dead-letters topic, in days. Example: `90`'),
        client_id: z.string().default('callhouse').describe('Kafka client id. Example: `callhouse`'),
        rebalance_timeout_ms: z
          .number()
          .int()
          .min(1000)
          .default(60_000)
          .describe(
            'How long a rebalancing consumer group waits for its members to rejoin before dropping one, in ms. Example: `60000`',
          ),
        handover_ms: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            'How long a sink member may finish its batches in flight before it rejoins a rebalancing group; then they are aborted uncommitted and redone by the next owner. Below rebalance_timeout_ms (default: half of it). Example: `30000`',
          ),
        replication_factor: z
          .number()
          .int()
          .min(1)
          .max(32)
          .optional()
          .describe(
            'Replicas of each topic created at start-up; unset: 3, or the number of brokers when the cluster has fewer. Example: `3`',
          ),
        min_insync_replicas: z
          .number()
          .int()
          .min(1)
          .max(32)
          .optional()
          .describe(
            'Replicas that must have a write before Kafka acknowledges it (topic setting `min.insync.replicas`); unset: 2 with three or more replicas, else 1. Example: `2`',
          ),
      })
      .strict()
      .refine((k) => k.handover_ms === undefined || k.handover_ms < k.rebalance_timeout_ms, {
        path: ['handover_ms'],
        message: 'must be below kafka.rebalance_timeout_ms, or the group drops the member before it hands over',
      })
      .refine((k) => (k.min_insync_replicas ?? 1) <= (k.replication_factor ?? Infinity), {
        message: 'min_insync_replicas must not exceed replication_factor (no write could be acknowledged)',
        path: ['min_insync_replicas'],
      })
      .default({
        partitions: 3,
        retention_hours: 168,
        dead_letter_retention_days: 90,
        client_id: 'callhouse',
        rebalance_timeout_ms: 60_000,
      })
      .describe('Kafka topics and client.'),
    sink: z
      .object({
        batch_rows: z
          .number()
          .int()
          .positive()
          .default(20000)
          .describe('Rows per warehouse insert at most. Example: `20000`'),
        batch_ms: z
          .number()
          .int()
          .positive()
          .default(500)
          .describe('Longest wait before a partial batch is inserted, in ms. Example: `500`'),
      })
      .strict()
      .default({ batch_rows: 20000, batch_ms: 500 })
      .describe('The warehouse sink.'),
    warehouse: z
      .object({
        raw_retention_days: z
          .number()
          .int()
          .positive()
          .default(90)
          .describe('Days to keep received raw payloads in `raw_payloads`. Example: `90`'),
      })
      .strict()
      .default({ raw_retention_days: 90 })
      .describe('Warehouse settings applied by `callhouse migrate`.'),
    ingest: z
      .object({
        trusted_proxies: z
          .array(z.string())
          .default([])
          .describe('Proxies whose X-Forwarded-For is believed for allow_ips. Example: `[10.0.0.1/32]`'),
        spool_max_bytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024)
          .describe('Disk spool for reports while Kafka is down, in bytes. Example: `268435456`'),
        rate_limit_per_source: z
          .number()
          .int()
          .positive()
          .default(5000)
          .describe(
            'Requests per second one source address may send to /ingest (bursts of twice that); more get 429. Example: `5000`',
          ),
      })
      .strict()
      .default({ trusted_proxies: [], spool_max_bytes: 256 * 1024 * 1024, rate_limit_per_source: 5000 })
      .describe('The ingest listener.'),
    analyst: analystSchema,
    admin: z
      .object({
        allowed_hosts: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Host names (besides localhost, 127.0.0.1 and ::1) that requests to the admin listener may name in their Host header, for a proxy in front of it; any other name is refused, against DNS rebinding. Example: `[callhouse-admin.internal]`',
          ),
      })
      .strict()
      .default({ allowed_hosts: [] })
      .describe('The admin listener.'),
  })
  .strict();

export type PipelineConfig = z.infer<typeof pipelineSchema>;

export interface EnvConfig {
  kafkaBrokers: string | undefined;
  clickhouseUrl: string | undefined;
  clickhouseUser: string | undefined;
  clickhousePassword: string | undefined;
  /** The read-only user analyst SQL runs as on a ClickHouse server. */
  clickhouseAnalystUser: string | undefined;
  clickhouseAnalystPassword: string | undefined;
  clickhouseDatabase: string;
  dataDir: string;
  httpPort: number;
  adminPort: number;
  topicPrefix: string;
  logLevel: string;
  /** The admin listener's token, when the environment sets it (else the data directory's admin.token). */
  adminToken: string | undefined;
}

export interface Config extends PipelineConfig {
  connectors: BaseConnectorConfig[];
  env: EnvConfig;
  /** Where the file came from, or undefined for the defaults. */
  file: string | undefined;
}

/** Formats a zod path as `connectors[2].timezone`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(root)';
}

function substituteEnv(value: unknown, path: (string | number)[], env: NodeJS.ProcessEnv, errors: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        errors.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], env, errors));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], env, errors)]));
  }
  return value;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const port = (name: string, def: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new CallhouseError('CONFIG_INVALID', `${name}: not a port number: ${JSON.stringify(raw)}`);
    }
    return n;
  };
  return {
    kafkaBrokers: env.KAFKA_BROKERS || undefined,
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    clickhouseUser: env.CLICKHOUSE_USER || undefined,
    clickhousePassword: env.CLICKHOUSE_PASSWORD || undefined,
    clickhouseAnalystUser: env.CLICKHOUSE_ANALYST_USER || undefined,
    clickhouseAnalystPassword: env.CLICKHOUSE_ANALYST_PASSWORD || undefined,
    clickhouseDatabase: env.CLICKHOUSE_DATABASE || 'callhouse',
    dataDir: resolve(env.CALLHOUSE_DATA_DIR || './var'),
    httpPort: port('CALLHOUSE_HTTP_PORT', 8080),
    adminPort: port('CALLHOUSE_ADMIN_PORT', 8081),
    topicPrefix: env.CALLHOUSE_TOPIC_PREFIX ?? 'callhouse.',
    logLevel: env.LOG_LEVEL || 'info',
    adminToken: env.CALLHOUSE_ADMIN_TOKEN || undefined,
  };
}

/** Validates a parsed configuration object; throws CONFIG_INVALID listing every bad key. */
export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, file?: string): Config {
  const errors: string[] = [];
  const obj = (raw ?? {}) as Record<string, unknown>;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    throw new CallhouseError('CONFIG_INVALID', '(root): expected a mapping of settings');
  }
  const substituted = substituteEnv(obj, [], env, errors) as Record<string, unknown>;
  const { connectors: rawConnectors = [], ...rest } = substituted;

  const pipeline = pipelineSchema.safeParse(rest);
  if (!pipeline.success) for (const i of pipeline.error.issues) errors.push(`${formatPath(i.path)}: ${i.message}`);

  const connectors: BaseConnectorConfig[] = [];
  if (!Array.isArray(rawConnectors)) {
    errors.push('connectors: expected a list of connectors');
  } else {
    const seen = new Set<string>();
    rawConnectors.forEach((c: unknown, i) => {
      const at = (p: readonly PropertyKey[]): string => formatPath(['connectors', i, ...p]);
      const type = (c as { type?: unknown } | null)?.type;
      const spec = typeof type === 'string' ? connectorSpec(type) : undefined;
      if (!spec) {
        errors.push(
          `${at(['type'])}: expected one of ${CONNECTORS.map((s) => s.type).join(', ')}, got ${JSON.stringify(type)}`,
        );
        return;
      }
      const r = spec.configSchema.safeParse(c);
      if (!r.success) {
        for (const issue of r.error.issues) errors.push(`${at(issue.path)}: ${issue.message}`);
        return;
      }
      if (seen.has(r.data.id)) errors.push(`${at(['id'])}: duplicate connector id ${JSON.stringify(r.data.id)}`);
      seen.add(r.data.id);
      connectors.push(r.data);
    });
  }
  let envConfig: EnvConfig | undefined;
  try {
    envConfig = readEnv(env);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length > 0 || !pipeline.success || !envConfig) {
    throw new CallhouseError(
      'CONFIG_INVALID',
      `invalid configuration${file ? ` in ${file}` : ''}:\n${errors.join('\n')}`,
      {
        details: { errors },
      },
    );
  }
  for (const c of connectors) registerConnectorSecrets(c);
  registerSecret(envConfig.clickhousePassword);
  registerSecret(envConfig.clickhouseAnalystPassword);
  registerSecret(envConfig.adminToken);
  return { ...pipeline.data, connectors, env: envConfig, file };
}

const SECRET_FIELDS = new Set(['token', 'password', 'client_secret', 'code', 'key', 'refresh_token']);

function registerConnectorSecrets(value: unknown): void {
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && SECRET_FIELDS.has(k)) registerSecret(v);
    else if (typeof v === 'object') registerConnectorSecrets(v);
  }
}

/** Finds and loads the configuration file (or the defaults when there is none). */
export function loadConfig(opts: { file?: string | undefined; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.CALLHOUSE_CONFIG ?? (existsSync('callhouse.yaml') ? 'callhouse.yaml' : undefined);
  if (!file) return validateConfig({}, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CallhouseError(
      'CONFIG_INVALID',
      `cannot read the configuration file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new CallhouseError('CONFIG_INVALID', `${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateConfig(raw, env, file);
}
