/**
 * The local Apache Kafka broker: a single KRaft node whose jars Maven fetches once (pinned in
 * kafka/pom.xml), with its data under the callhouse data directory. One broker per data
 * directory: a second callhouse process on the same directory finds and uses the running one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CallhouseError } from './errors.js';
import { PACKAGE_ROOT } from './paths.js';
import { requireJava, requireMaven } from './tools.js';

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
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The callhouse data directory; the broker keeps its data in `<dataDir>/kafka`. */
  dataDir: string;
  /** Delete the data when stopped (tests). */
  ephemeral?: boolean;
  log?: (line: string) => void;
  heapMb?: number;
}

interface BrokerFile {
  pid: number;
  brokers: string;
  controllerPort: number;
}

/** Starts the local broker for this data directory, or attaches to the one already running. */
export async function startLocalKafka(opts: StartOptions): Promise<LocalKafka> {
  const log = opts.log ?? (() => {});
  const home = resolve(opts.dataDir, 'kafka');
  const stateFile = join(home, 'broker.json');
  mkdirSync(home, { recursive: true });

  const running = readBrokerFile(stateFile);
  if (running && isAlive(running.pid) && (await canConnect(running.brokers, 2000))) {
    log(`using the local Kafka broker already running for ${opts.dataDir} at ${running.brokers}`);
    return { brokers: running.brokers, owned: false, stop: async () => {} };
  }

  const libs = fetchKafka(log);
  requireJava();
  const dataPath = join(home, 'data');
  const props = join(home, 'server.properties');
  // A restarted broker takes its previous ports when it can, so clients that knew it find it again.
  const previous = existsSync(props) ? readFileSync(props, 'utf8') : '';
  const port = await portOr(Number(/PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(previous)?.[1] ?? 0));
  const controllerPort = await portOr(Number(/CONTROLLER:\/\/127\.0\.0\.1:(\d+)/.exec(previous)?.[1] ?? 0));
  writeFileSync(props, serverProperties(port, controllerPort, dataPath));
  writeFileSync(join(home, 'log4j.properties'), LOG4J);

  const classpath = `${libs}/*`;
  if (!existsSync(join(dataPath, 'meta.properties'))) {
    const id = randomClusterId();
    const r = spawnSync('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_LOG4J_OPTS: '' },
    });
    if (r.status !== 0) {
      throw new CallhouseError(
        'KAFKA_UNAVAILABLE',
        `formatting Kafka storage failed: ${(r.stderr || r.stdout).slice(-500)}`,
      );
    }
  }

  const out = openSync(join(home, 'broker.log'), 'a');
  const heap = opts.heapMb ?? 512;
  const child = spawn(
    'java',
    [
      `-Xmx${heap}m`,
      `-Xms${Math.min(heap, 256)}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(home, 'log4j.properties')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      props,
    ],
    { stdio: ['ignore', out, out], detached: false },
  );
  const brokers = `127.0.0.1:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));

  const deadline = Date.now() + 90_000;
  while (!(await canConnect(brokers, 1000))) {
    if (exited)
      throw new CallhouseError('KAFKA_UNAVAILABLE', `the local Kafka broker exited; see ${join(home, 'broker.log')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new CallhouseError(
        'KAFKA_UNAVAILABLE',
        `the local Kafka broker did not start; see ${join(home, 'broker.log')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  writeFileSync(stateFile, JSON.stringify({ pid: child.pid ?? 0, brokers, controllerPort } satisfies BrokerFile));
  log(`local Kafka ${kafkaVersion()} broker started at ${brokers} (data in ${dataPath})`);

  const onExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', onExit);

  return {
    brokers,
    owned: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      if (!exited) {
        child.kill('SIGTERM');
        const t = Date.now();
        while (!exited && Date.now() - t < 20_000) await new Promise((r) => setTimeout(r, 100));
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(stateFile, { force: true });
      if (opts.ephemeral) rmSync(home, { recursive: true, force: true });
    },
  };
}

function serverProperties(port: number, controllerPort: number, dataPath: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataPath}`,
    'num.partitions=1',
    // A single node: the internal topics cannot have more than one replica.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
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

const LOG4J = [
  'log4j.rootLogger=WARN, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  '',
].join('\n');

function readBrokerFile(path: string): BrokerFile | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BrokerFile;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function canConnect(brokers: string, timeoutMs: number): Promise<boolean> {
  const [host, port] = brokers.split(',')[0]!.split(':');
  return new Promise((res) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(Number(port), host!, () => done(true));
  });
}

/** `preferred` when it is free, else any free port. */
async function portOr(preferred: number): Promise<number> {
  if (preferred > 0 && (await isFree(preferred))) return preferred;
  return freePort();
}

function isFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
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
