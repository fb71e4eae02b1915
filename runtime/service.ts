/**
 * `callhouse start`: the roles of the pipeline in one process (or one role per process; several
 * processes of one role share the work as one Kafka consumer group).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CONNECTORS, connectorSpec } from '../connectors/registry.js';
import { startSink } from '../sinks/clickhouse/sink.js';
import type { Config } from './config.js';
import { CallhouseError } from './errors.js';
import { CursorStore } from './cursors.js';
import { buildAdminServer } from './admin.js';
import { ensureAdminToken } from './admin-token.js';
import { buildIngestServer } from './http.js';
import { checkKafkaLimits, spoolDrainer } from './ingest-kafka.js';
import { Bus, topicNames, type ConsumerHandle, type TopicNames, type TopicSpec } from './kafka.js';
import { canConnect, startLocalKafka, type LocalKafka } from './kafka-local.js';
import { Metrics } from './metrics.js';
import { migrate } from './migrations.js';
import { repairRollups } from './rollups.js';
import { startTransform } from './roles/transform.js';
import { Poller } from './roles/poll.js';
import { readOnlyQuery } from './sql.js';
import { Spool } from './spool.js';
import { StatusBoard } from './status.js';
import { analystClient, openWarehouse, queryRows, type Warehouse } from './warehouse.js';

export type Role = 'all' | 'ingest' | 'transform' | 'sink' | 'poll';
export const ROLES: Role[] = ['all', 'ingest', 'transform', 'sink', 'poll'];

export interface Service {
  bus: Bus;
  topics: TopicNames;
  warehouse: Warehouse | undefined;
  status: StatusBoard;
  metrics: Metrics;
  ingestUrl: string | undefined;
  adminUrl: string | undefined;
  /** What the admin listener's routes (all but the probes) require as `Authorization: Bearer`. */
  adminToken: string;
  stop(): Promise<void>;
}

/** Kafka: the configured brokers, or the local broker of this data directory. */
export async function connectKafka(config: Config, logger: Logger): Promise<{ brokers: string[]; local?: LocalKafka }> {
  if (config.env.kafkaBrokers) return { brokers: config.env.kafkaBrokers.split(',').map((b) => b.trim()) };
  const local = await startLocalKafka({ dataDir: config.env.dataDir, log: (l) => logger.info(l) });
  return { brokers: local.brokers.split(','), local };
}

export function topicSpecs(config: Config, topics: TopicNames) {
  const p = config.kafka.partitions;
  const retention = String(config.kafka.retention_hours * 3600 * 1000);
  const replication = {
    replicationFactor: config.kafka.replication_factor,
    minInsyncReplicas: config.kafka.min_insync_replicas,
  };
  return [
    ...CONNECTORS.map((c) => ({ name: topics.raw(c.type), partitions: p, config: { 'retention.ms': retention } })),
    { name: topics.calls, partitions: p, config: { 'retention.ms': retention } },
    { name: topics.callEvents, partitions: p, config: { 'retention.ms': retention } },
    { name: topics.reportRows, partitions: p, config: { 'retention.ms': retention } },
    {
      name: topics.deadLetters,
      partitions: 1,
      config: { 'retention.ms': String(config.kafka.dead_letter_retention_days * 86_400_000) },
    },
    { name: topics.connectorState, partitions: 1, config: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } },
  ].map((t): TopicSpec => ({ ...t, ...replication }));
}

export function warehouseOptions(config: Config) {
  return {
    url: config.env.clickhouseUrl,
    user: config.env.clickhouseUser,
    password: config.env.clickhousePassword,
    database: config.env.clickhouseDatabase,
    dataDir: config.env.dataDir,
    analyst: {
      user: config.env.clickhouseAnalystUser,
      password: config.env.clickhouseAnalystPassword,
      limits: config.analyst,
    },
  };
}

const LOCK = 'warehouse.lock';
/** The admin listener binds loopback only: it is for the CLI, probes and Prometheus on this host. */
const ADMIN_HOST = '127.0.0.1';

/** Which process holds the embedded warehouse, so `callhouse sql` can go through its admin listener. */
export function warehouseHolder(dataDir: string): { pid: number; adminUrl: string } | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, LOCK), 'utf8')) as { pid: number; adminUrl: string };
    process.kill(lock.pid, 0);
    return lock;
  } catch {
    return undefined;
  }
}

export async function startService(config: Config, role: Role, logger: Logger): Promise<Service> {
  // First, so that a bad CALLHOUSE_ADMIN_TOKEN stops the start before anything is connected.
  const adminToken = ensureAdminToken(config.env.dataDir, config.env.adminToken, (m) => logger.warn(m));
  const metrics = new Metrics();
  const status = StatusBoard.of(config.connectors);
  for (const c of config.connectors) {
    if (
      connectorSpec(c.type)?.ingest &&
      c.enabled &&
      !c.token &&
      !c.allow_ips?.length &&
      (role === 'all' || role === 'ingest')
    ) {
      logger.warn(
        { connector: c.id },
        `connector ${c.id} accepts reports on /ingest/${c.type}/${c.id} from anyone: set a token or allow_ips`,
      );
    }
  }
  // Two processes must not open one embedded warehouse: say so before starting anything.
  if (role === 'all' || role === 'sink') {
    const holder = config.env.clickhouseUrl ? undefined : warehouseHolder(config.env.dataDir);
    // The lock's process is alive; its admin listener answering tells it from a reused pid.
    const answers = holder
      ? await fetch(`${holder.adminUrl}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        )
      : false;
    if (holder && holder.pid !== process.pid && answers) {
      throw new CallhouseError(
        'WAREHOUSE_UNAVAILABLE',
        `the data directory ${config.env.dataDir} is in use by another callhouse (pid ${holder.pid}, admin ${holder.adminUrl}): stop it, or set CALLHOUSE_DATA_DIR to another directory`,
        { retriable: false },
      );
    }
  }
  const kafka = await connectKafka(config, logger);
  const bus = new Bus({
    brokers: kafka.brokers,
    clientId: config.kafka.client_id,
    logger,
    rebalanceTimeoutMs: config.kafka.rebalance_timeout_ms,
    ...(config.kafka.handover_ms ? { handoverMs: config.kafka.handover_ms } : {}),
  });
  const topics = topicNames(config.env.topicPrefix);
  await bus.ensureTopics(topicSpecs(config, topics));
  // Every send is split by its topic's limit; without the rights to read them, by Kafka's default.
  await bus.describeLimits(topicSpecs(config, topics).map((t) => t.name)).catch(() => undefined);

  const has = (r: Role): boolean => role === 'all' || role === r;
  const needsWarehouse = has('sink');
  let warehouse: Warehouse | undefined;
  if (needsWarehouse) {
    warehouse = await openWarehouse(warehouseOptions(config));
    await migrate(warehouse, { rawRetentionDays: config.warehouse.raw_retention_days });
    // A lock left behind: the last holder was killed, perhaps in the middle of an insert.
    if (warehouse.embedded && existsSync(join(config.env.dataDir, LOCK))) await repairRollups(warehouse, logger);
  }

  const handles: ConsumerHandle[] = [];
  if (has('transform'))
    handles.push(await startTransform({ bus, topics, connectors: config.connectors, logger, metrics, status }));
  if (has('sink') && warehouse) {
    handles.push(
      await startSink({
        bus,
        topics,
        warehouse,
        logger,
        metrics,
        batchMs: config.sink.batch_ms,
        batchRows: config.sink.batch_rows,
      }),
    );
  }
  const cursors = new CursorStore(bus, topics);
  let poller: Poller | undefined;
  if (has('poll')) {
    poller = new Poller(config.connectors, {
      bus,
      topics,
      cursors,
      logger,
      metrics,
      status,
      dataDir: config.env.dataDir,
    });
    await poller.start();
  }

  const ready = async () => ({
    kafka: await canConnect(kafka.brokers[0]!, 1000),
    warehouse: warehouse
      ? await warehouse.client.ping().then(
          (r) => r.success,
          () => false,
        )
      : true,
  });

  const lagTimer = setInterval(() => void updateLag(bus, topics, metrics).catch(() => undefined), 5000);
  lagTimer.unref();

  const servers: FastifyInstance[] = [];
  let ingestUrl: string | undefined;
  let spool: Spool | undefined;
  let spoolTimer: NodeJS.Timeout | undefined;
  let drainSpool: (() => Promise<void>) | undefined;
  if (has('ingest')) {
    spool = await Spool.open({
      dataDir: config.env.dataDir,
      maxBytes: config.ingest.spool_max_bytes,
      warn: (m) => logger.warn(m),
    });
    // What Kafka takes decides the body limit that counts, and drains split by it.
    const limits = await checkKafkaLimits(bus, topics, config.connectors);
    for (const w of limits.warnings) logger.warn(w);
    const drain = spoolDrainer({ spool, bus, topics, metrics, status, logger });
    drainSpool = drain;
    spoolTimer = setInterval(
      () => void drain().catch((e: Error) => logger.warn(`ingest spool: Kafka still unavailable: ${e.message}`)),
      1000,
    );
    spoolTimer.unref();
    const app = buildIngestServer({
      bus,
      topics,
      connectors: config.connectors,
      logger,
      metrics,
      status,
      trustedProxies: config.ingest.trusted_proxies,
      ready,
      spool,
      rateLimitPerSource: config.ingest.rate_limit_per_source,
      bodyLimit: limits.bodyLimit,
      dataDir: config.env.dataDir,
    });
    ingestUrl = await app.listen({ port: config.env.httpPort, host: '0.0.0.0' });
    ingestUrl = ingestUrl.replace('0.0.0.0', '127.0.0.1');
    servers.push(app);
    logger.info(`ingest listening on ${ingestUrl}`);
  }
  const admin = buildAdminServer({
    metrics,
    ready,
    logger,
    token: adminToken,
    host: ADMIN_HOST,
    allowedHosts: config.admin.allowed_hosts,
    status: async () => statusReport(config, status, bus, topics, warehouse, cursors),
    sql: async (query) => {
      if (!warehouse) warehouse = await openWarehouse(warehouseOptions(config));
      return readOnlyQuery(await analystClient(warehouse, warehouseOptions(config)), query);
    },
  });
  const adminUrl = await admin.listen({ port: config.env.adminPort, host: ADMIN_HOST });
  servers.push(admin);
  logger.info(`admin listening on ${adminUrl}`);
  if (warehouse?.embedded) {
    mkdirSync(config.env.dataDir, { recursive: true });
    writeFileSync(join(config.env.dataDir, LOCK), JSON.stringify({ pid: process.pid, adminUrl }));
  }

  let stopped = false;
  return {
    bus,
    topics,
    warehouse,
    status,
    metrics,
    ingestUrl,
    adminUrl,
    adminToken,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(lagTimer);
      // Stop taking requests first, then let in-flight work finish and commit.
      for (const s of servers) await s.close().catch(() => undefined);
      clearInterval(spoolTimer);
      await drainSpool?.().catch(() => undefined);
      await spool?.close();
      await poller?.stop();
      for (const h of handles) await h.stop().catch(() => undefined);
      await bus.close();
      if (warehouse?.embedded) rmSync(join(config.env.dataDir, LOCK), { force: true });
      await warehouse?.close().catch(() => undefined);
      await kafka.local?.stop();
    },
  };
}

async function updateLag(bus: Bus, topics: TopicNames, metrics: Metrics): Promise<void> {
  const raw = CONNECTORS.map((c) => topics.raw(c.type));
  const groups: [string, string[]][] = [
    [topics.groups.transform, raw],
    [topics.groups.sink, [topics.calls, topics.callEvents, topics.reportRows, topics.deadLetters]],
  ];
  for (const [group, list] of groups) {
    const lag = await bus.lag(group, list);
    for (const [topic, n] of Object.entries(lag)) metrics.consumerLag.set({ group, topic }, n);
  }
}

export async function statusReport(
  config: Config,
  board: StatusBoard,
  bus: Bus,
  topics: TopicNames,
  warehouse: Warehouse | undefined,
  cursors: CursorStore,
) {
  const states = await cursors.load().catch(() => new Map());
  const raw = CONNECTORS.map((c) => topics.raw(c.type));
  const transformLag = await bus.lag(topics.groups.transform, raw).catch(() => ({}) as Record<string, number>);
  const sinkLag = await bus
    .lag(topics.groups.sink, [topics.calls, topics.callEvents, topics.reportRows, topics.deadLetters])
    .catch(() => ({}) as Record<string, number>);
  let dlq: Record<string, number> = {};
  if (warehouse) {
    const rows = await queryRows<{ connector_id: string; n: number | string }>(
      warehouse,
      `SELECT connector_id, count() AS n FROM ${warehouse.database}.dead_letters GROUP BY connector_id`,
    ).catch(() => []);
    dlq = Object.fromEntries(rows.map((r) => [r.connector_id, Number(r.n)]));
  }
  return {
    connectors: board.all().map((s) => ({
      ...s,
      cursor: states.get(s.id)?.cursor ?? s.cursor,
      backfill: states.get(s.id)?.backfill ?? null,
      lag: transformLag[topics.raw(s.type)] ?? 0,
      dead_letters: dlq[s.id] ?? 0,
    })),
    lag: { transform: transformLag, sink: sinkLag },
    dead_letters_total: Object.values(dlq).reduce((a, b) => a + b, 0),
    kafka: bus.brokers,
    warehouse: warehouse?.describe ?? null,
    config: config.file ?? null,
  };
}
