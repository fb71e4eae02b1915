/**
 * One node of the local Kafka: a JVM running a combined KRaft broker and controller, with its
 * ports, its data folder and its log. kafka-local.ts formats and starts one or three of them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { CallhouseError } from './errors.js';

export interface NodeSpec {
  id: number;
  /** The node's folder: server.properties, log4j2.properties, broker.log and data/. */
  dir: string;
  port: number;
  controllerPort: number;
}

export interface LocalKafkaNode {
  readonly id: number;
  /** `127.0.0.1:port` of its broker listener. */
  readonly address: string;
  readonly pid: number | undefined;
  running(): boolean;
  /** Ends the node's process: SIGKILL (the default) as a crash or a power cut would, SIGTERM as an operator would. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts the node again on its ports and data; resolves once its broker listener accepts connections. */
  start(): Promise<void>;
}

const START_TIMEOUT_MS = 90_000;

export function dataPath(spec: NodeSpec): string {
  return join(spec.dir, 'data');
}

/** Formats the node's storage for `clusterId` unless it holds a formatted log already. */
export function formatStorage(spec: NodeSpec, classpath: string, clusterId: string): void {
  if (existsSync(join(dataPath(spec), 'meta.properties'))) return;
  const r = spawnSync(
    'java',
    [
      `-Dlog4j2.configurationFile=${join(spec.dir, 'log4j2.properties')}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      join(spec.dir, 'server.properties'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    throw new CallhouseError(
      'KAFKA_UNAVAILABLE',
      `formatting Kafka storage failed: ${(r.stderr || r.stdout).slice(-500)}`,
    );
  }
}

/** The cluster id a formatted node holds, if any. */
export function storedClusterId(spec: NodeSpec): string | undefined {
  const meta = join(dataPath(spec), 'meta.properties');
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim();
}

/**
 * The node of the quorum's newest epoch that names a leader, read from the nodes' quorum-state
 * files (KRaft rewrites its own file at every election), or undefined while none is elected.
 */
export function quorumLeader(specs: NodeSpec[]): number | undefined {
  let best: { epoch: number; leader: number } | undefined;
  for (const s of specs) {
    try {
      const q = JSON.parse(readFileSync(join(dataPath(s), '__cluster_metadata-0', 'quorum-state'), 'utf8')) as {
        leaderId?: number;
        leaderEpoch?: number;
      };
      const epoch = q.leaderEpoch ?? -1;
      const leader = q.leaderId ?? -1;
      if (leader >= 0 && (!best || epoch > best.epoch)) best = { epoch, leader };
    } catch {
      // Not written yet, or being rewritten: the other nodes' files answer.
    }
  }
  return best?.leader;
}

export function localNode(spec: NodeSpec, classpath: string, heapMb: number): LocalKafkaNode {
  let child: ChildProcess | undefined;
  let exited = true;
  const address = `127.0.0.1:${spec.port}`;
  const log = join(spec.dir, 'broker.log');
  const onExit = (): void => {
    if (!exited) child?.kill('SIGKILL');
  };

  const launch = (): void => {
    const out = openSync(log, 'a');
    child = spawn(
      'java',
      [
        `-Xmx${heapMb}m`,
        `-Xms${Math.min(heapMb, 256)}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(spec.dir, 'log4j2.properties')}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        join(spec.dir, 'server.properties'),
      ],
      { stdio: ['ignore', out, out], detached: false },
    );
    exited = false;
    const mine = child;
    mine.once('exit', () => {
      if (child === mine) exited = true;
    });
    process.once('exit', onExit);
  };

  const node: LocalKafkaNode = {
    id: spec.id,
    address,
    get pid() {
      return exited ? undefined : child?.pid;
    },
    running: () => !exited,
    stop: async (signal = 'SIGKILL') => {
      process.removeListener('exit', onExit);
      if (exited || !child) return;
      child.kill(signal);
      const t = Date.now();
      while (!exited && Date.now() - t < 20_000) await sleep(100);
      if (!exited) {
        child.kill('SIGKILL');
        while (!exited) await sleep(50);
      }
    },
    start: async () => {
      if (!exited) return;
      launch();
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!(await canConnect(address, 1000))) {
        if (exited) throw new CallhouseError('KAFKA_UNAVAILABLE', `the local Kafka broker exited; see ${log}`);
        if (Date.now() > deadline) {
          await node.stop('SIGKILL');
          throw new CallhouseError('KAFKA_UNAVAILABLE', `the local Kafka broker did not start; see ${log}`);
        }
        await sleep(250);
      }
    },
  };
  return node;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function isAlive(pid: number): boolean {
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
export async function portOr(preferred: number): Promise<number> {
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
