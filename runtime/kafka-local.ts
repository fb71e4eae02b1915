/**
 * The local Apache Kafka: one KRaft node, or a cluster of three on loopback, whose jars Maven
 * fetches once (pinned in kafka/pom.xml), with its data under the callhouse data directory. One
 * Kafka per data directory: a second callhouse process on the same directory finds and uses the
 * running one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CallhouseError } from './errors.js';
import { PACKAGE_ROOT } from './paths.js';
import { requireJava, requireMaven } from './tools.js';
import { kafkajs } from './kafka-client.js';
import {
  canConnect,
  dataPath,
  formatStorage,
  freePort,
  isAlive,
  localNode,
  portOr,
  quorumLeader,
  sleep,
  storedClusterId,
  type LocalKafkaNode,
  type NodeSpec,
} from './kafka-local-node.js';

export { canConnect, freePort, type LocalKafkaNode };

const PROJECT_ROOT = PACKAGE_ROOT;
const POM = join(PROJECT_ROOT, 'kafka', 'pom.xml');

export function kafkaVersion(): string {
  const m = /<kafka\.version>([^<]+)</.exec(readFileSync(POM, 'utf8'));
  if (!m) throw new CallhouseError('INTERNAL', 'kafka/pom.xml names no kafka.version');
  return m[1]!;
}

export function kafkaLibsDir(): string {
  return process.env.CALLHOUSE_KAFKA_HOME ?? join(homedir(), '.cache', 'callhouse', `kafka-${kafkaVersion()}`, 'libs');
}

/** Fetches the broker's jars with Maven into the cache folder, once. */
export function fetchKafka(log: (line: string) => void = () => {}): string {
  const libs = kafkaLibsDir();
  const marker = join(libs, '.complete');
  if (existsSync(marker)) return libs;
  requireMaven();
  log(`fetching Apache Kafka ${kafkaVersion()} jars with Maven into ${libs}`);
  mkdirSync(libs, { recursive: true });
  const r = spawnSync('mvn', ['-q', '-B', '-f', POM, 'package', `-Dkafka.libs=${libs}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new CallhouseError(
      'KAFKA_UNAVAILABLE',
      `could not fetch the Kafka jars with Maven (is mvn installed?): ${(r.stderr || r.stdout || String(r.error)).slice(-500)}`,
    );
  }
  rmSync(join(PROJECT_ROOT, 'kafka', 'target'), { recursive: true, force: true });
  writeFileSync(marker, new Date().toISOString());
  return libs;
}

export interface LocalKafka {
  brokers: string;
  /** True when this process started the broker (and so stops it). */
  owned: boolean;
  /** The nodes this process started (none when it attached to running ones). */
  nodes: LocalKafkaNode[];
  /** The node that leads the controller quorum now, if this process started the nodes. */
  activeController(): number | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The callhouse data directory; the broker keeps its data in `<dataDir>/kafka`. */
  dataDir: string;
  /**
   * Nodes, each a broker and a controller (default 1). With three, the controller quorum has three
   * voters, topics get three replicas and writes need two of them (`min.insync.replicas` 2).
   */
  nodes?: number;
  /** Delete the data when stopped (tests). */
  ephemeral?: boolean;
  log?: (line: string) => void;
  /** Heap of each node's JVM. */
  heapMb?: number;
}

interface BrokerFile {
  pids: number[];
  brokers: string;
}

/** Starts the local broker (or cluster) for this data directory, or attaches to the one already running. */
export async function startLocalKafka(opts: StartOptions): Promise<LocalKafka> {
  const log = opts.log ?? (() => {});
  const count = opts.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 9)
    throw new CallhouseError('CONFIG_INVALID', `a local Kafka has 1 to 9 nodes, not ${count}`);
  const home = resolve(opts.dataDir, 'kafka');
  const stateFile = join(home, 'broker.json');
  mkdirSync(home, { recursive: true });

  const running = readBrokerFile(stateFile);
  if (running && running.pids.every(isAlive) && (await canConnect(running.brokers, 2000))) {
    log(`using the local Kafka already running for ${opts.dataDir} at ${running.brokers}`);
    return {
      brokers: running.brokers,
      owned: false,
      nodes: [],
      activeController: () => undefined,
      stop: async () => {},
    };
  }

  const libs = fetchKafka(log);
  requireJava();
  const classpath = `${libs}/*`;
  // One node keeps its files in <home> itself (as before clusters existed); a cluster's nodes each in <home>/node-<id>.
  const specs: NodeSpec[] = [];
  const taken = new Set<number>();
  for (let id = 1; id <= count; id++) {
    const dir = count === 1 ? home : join(home, `node-${id}`);
    mkdirSync(dir, { recursive: true });
    const props = join(dir, 'server.properties');
    // A restarted node takes its previous ports when it can, so clients that knew it find it again.
    const previous = existsSync(props) ? readFileSync(props, 'utf8') : '';
    const port = await unusedPort(Number(/PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(previous)?.[1] ?? 0), taken);
    const controllerPort = await unusedPort(
      Number(/CONTROLLER:\/\/127\.0\.0\.1:(\d+)/.exec(previous)?.[1] ?? 0),
      taken,
    );
    specs.push({ id, dir, port, controllerPort });
  }
  const voters = specs.map((s) => `${s.id}@127.0.0.1:${s.controllerPort}`).join(',');
  for (const s of specs) {
    writeFileSync(join(s.dir, 'server.properties'), serverProperties(s, voters, dataPath(s), count));
    writeFileSync(join(s.dir, 'log4j2.properties'), LOG4J2);
  }
  const clusterId = specs.map(storedClusterId).find((id) => id !== undefined) ?? randomClusterId();
  for (const s of specs) formatStorage(s, classpath, clusterId);

  const heap = opts.heapMb ?? (count === 1 ? 512 : 384);
  const nodes = specs.map((s) => localNode(s, classpath, heap));
  const brokers = nodes.map((n) => n.address).join(',');
  try {
    // A cluster's nodes open their listeners only once a majority of voters is up: start them together.
    await Promise.all(nodes.map((n) => n.start()));
    if (count > 1) await waitForBrokers(brokers, count);
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    throw e;
  }
  const writeState = (): void =>
    writeFileSync(stateFile, JSON.stringify({ pids: nodes.map((n) => n.pid ?? 0), brokers } satisfies BrokerFile));
  writeState();
  log(
    `local Kafka ${kafkaVersion()} ${count === 1 ? 'broker' : `cluster of ${count} nodes`} started at ${brokers} (data in ${home})`,
  );

  return {
    brokers,
    owned: true,
    nodes: nodes.map((n) => ({
      id: n.id,
      address: n.address,
      get pid() {
        return n.pid;
      },
      running: n.running,
      stop: n.stop,
      // A node started again has a new process id, which a second callhouse process checks.
      start: async () => {
        await n.start();
        writeState();
      },
    })),
    activeController: () => quorumLeader(specs),
    stop: async () => {
      // Data about to be deleted needs no clean shutdown. Otherwise one node after another, so
      // that each still finds a controller quorum to hand its partitions to.
      if (opts.ephemeral) await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
      else for (const n of nodes) await n.stop('SIGTERM');
      rmSync(stateFile, { force: true });
      if (opts.ephemeral) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Waits until every node has registered as a broker (a topic with three replicas needs all three). */
async function waitForBrokers(brokers: string, count: number): Promise<void> {
  const client = new kafkajs.Kafka({ brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const admin = client.admin();
  const deadline = Date.now() + 60_000;
  try {
    await admin.connect();
    for (;;) {
      const live = await admin.describeCluster().then(
        (c) => c.brokers.length,
        () => 0,
      );
      if (live >= count) return;
      if (Date.now() > deadline)
        throw new CallhouseError('KAFKA_UNAVAILABLE', `only ${live} of ${count} local Kafka brokers registered`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function serverProperties(node: NodeSpec, voters: string, dataPath: string, nodes: number): string {
  // Three replicas at most; writes wait for two of them, so one node may be down.
  const replicas = Math.min(nodes, 3);
  const minIsr = replicas >= 3 ? 2 : 1;
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataPath}`,
    'num.partitions=1',
    // Kafka's internal topics as replicated as callhouse's own (one replica on a single node).
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=4',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    'log.segment.bytes=67108864',
    // Room for a full report (max_body_bytes, 1 MiB by default) with its headers, and for its dead
    // letter (the body as JSON text); the same as docker-compose.yml. Checked at start-up.
    'message.max.bytes=10485760',
    '',
  ].join('\n');
}

/** Kafka 4 logs through log4j 2: warnings, and the line that says the node is up. */
const LOG4J2 = [
  'status = warn',
  'appender.stdout.type = Console',
  'appender.stdout.name = STDOUT',
  'appender.stdout.layout.type = PatternLayout',
  'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.raft.name = kafka.server.KafkaRaftServer',
  'logger.raft.level = INFO',
  '',
].join('\n');

function readBrokerFile(path: string): BrokerFile | undefined {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as Partial<BrokerFile> & { pid?: number };
    // Written by a single broker before clusters existed: { pid, brokers, controllerPort }.
    const pids = f.pids ?? (f.pid !== undefined ? [f.pid] : []);
    return f.brokers && pids.length > 0 ? { pids, brokers: f.brokers } : undefined;
  } catch {
    return undefined;
  }
}

/** A free port, `preferred` when it is free, never one of `taken` (which it joins). */
async function unusedPort(preferred: number, taken: Set<number>): Promise<number> {
  let port = await portOr(taken.has(preferred) ? 0 : preferred);
  while (taken.has(port)) port = await freePort();
  taken.add(port);
  return port;
}

function randomClusterId(): string {
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. One that starts
  // with '-' would be read as an option by the storage tool, so those are drawn again.
  for (;;) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    const id = Buffer.from(bytes).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/** Lists the jar names in the cache (for `callhouse status`). */
export function kafkaJars(): string[] {
  const libs = kafkaLibsDir();
  return existsSync(libs) ? readdirSync(libs).filter((f) => f.endsWith('.jar')) : [];
}
