/** A running callhouse for a test: real broker, embedded warehouse, random topics and database. */
import { randomBytes } from 'node:crypto';
import { validateConfig, type Config } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logging.js';
import { startService, type Role, type Service } from '../../runtime/service.js';
import { openWarehouse, queryRows, type Warehouse } from '../../runtime/warehouse.js';
import { testBrokers, until } from './kafka.js';
import { testDataDir } from './warehouse.js';

export interface TestService {
  service: Service;
  config: Config;
  warehouse: Warehouse;
  ingestUrl: string;
  adminUrl: string;
  /** The admin listener's token (written to the test's data directory at start). */
  adminToken: string;
  /** A request to the admin listener with the token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Waits until `sql` (a count) returns at least `n`. */
  waitForCount(sql: string, n: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startTestService(opts: {
  connectors: Record<string, unknown>[];
  role?: Role;
  settings?: Record<string, unknown>;
  database?: string;
  prefix?: string;
  env?: Record<string, string>;
}): Promise<TestService> {
  const database = opts.database ?? `t_${randomBytes(5).toString('hex')}`;
  const prefix = opts.prefix ?? `t${randomBytes(4).toString('hex')}.`;
  const env = {
    ...process.env,
    KAFKA_BROKERS: testBrokers().join(','),
    CALLHOUSE_DATA_DIR: testDataDir(),
    CLICKHOUSE_DATABASE: database,
    CALLHOUSE_TOPIC_PREFIX: prefix,
    CALLHOUSE_HTTP_PORT: '0',
    CALLHOUSE_ADMIN_PORT: '0',
    ...opts.env,
  };
  const config = validateConfig(
    {
      connectors: opts.connectors,
      sink: { batch_ms: 100, batch_rows: 20000 },
      kafka: { partitions: 2 },
      ...opts.settings,
    },
    env,
  );
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const service = await startService(config, opts.role ?? 'all', logger);
  const warehouse = await openWarehouse({ url: config.env.clickhouseUrl, database, dataDir: config.env.dataDir });
  const query = <T>(sql: string): Promise<T[]> => queryRows<T>(warehouse, sql.replaceAll('{db}', database));
  return {
    service,
    config,
    warehouse,
    ingestUrl: service.ingestUrl ?? '',
    adminUrl: service.adminUrl ?? '',
    adminToken: service.adminToken,
    admin: (path, init = {}) =>
      fetch(`${service.adminUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${service.adminToken}`, ...(init.headers as Record<string, string>) },
      }),
    query,
    waitForCount: (sql, n, timeoutMs = 30_000) =>
      until(
        `${n} rows from ${sql}`,
        async () => {
          const rows = await query<{ n: number | string }>(sql);
          const v = Number(rows[0]?.n ?? 0);
          return v >= n ? v : undefined;
        },
        timeoutMs,
      ),
    stop: async () => {
      await service.stop();
      await warehouse.client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
      await warehouse.close();
    },
  };
}
