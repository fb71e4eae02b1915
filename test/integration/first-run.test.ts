/**
 * What a new user meets first, each said in one line that says what to do, with the README's exit
 * codes: no Java, Java too old, no Maven (and nothing started); a data directory held by another
 * callhouse; a port in use; a PBX with a wrong token (one warning per source, not one per request).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/kafka-local.js';
import { randomPrefix, testBrokers } from '../helpers/kafka.js';
import { runCli, startProcess, type Proc } from '../helpers/process.js';

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `callhouse-${name}-`));

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/callhouse.js', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KAFKA_BROKERS: '', LOG_LEVEL: 'silent', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the local Kafka broker on a machine without its tools', () => {
  const emptyPath = tmp('path');
  /** Jars marked as fetched, so that Java is the first thing missing. */
  const fetched = tmp('libs');
  writeFileSync(join(fetched, '.complete'), 'test');

  it('no java on PATH: one line naming Java 17+ and KAFKA_BROKERS, exit 1, no broker started', () => {
    const data = tmp('data');
    const r = cli(['status'], { PATH: emptyPath, CALLHOUSE_DATA_DIR: data, CALLHOUSE_KAFKA_HOME: fetched });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'callhouse: the local Kafka broker needs Java 17+ and `java` is not on PATH: install a JDK or JRE (e.g. apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to the address of a running Kafka\n',
    );
    expect(existsSync(join(data, 'kafka', 'data'))).toBe(false);
    expect(existsSync(join(data, 'kafka', 'broker.json'))).toBe(false);
  });

  it('java 8 on PATH: says which version it found and which it needs', () => {
    const bin = tmp('oldjava');
    writeFileSync(join(bin, 'java'), '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n');
    chmodSync(join(bin, 'java'), 0o755);
    const data = tmp('data');
    const r = cli(['status'], { PATH: bin, CALLHOUSE_DATA_DIR: data, CALLHOUSE_KAFKA_HOME: fetched });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^callhouse: the local Kafka broker needs Java 17\+ and `java` on PATH is Java 8: install Java 17 or newer, or set KAFKA_BROKERS[^\n]*\n$/,
    );
    expect(existsSync(join(data, 'kafka', 'data'))).toBe(false);
  });

  it('no mvn on PATH and no jars yet: one line naming Maven and npm run kafka:fetch, exit 1, nothing fetched', () => {
    const libs = join(tmp('nolibs'), 'libs');
    const r = cli(['status'], { PATH: emptyPath, CALLHOUSE_DATA_DIR: tmp('data'), CALLHOUSE_KAFKA_HOME: libs });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^callhouse: the Kafka jars are not fetched yet and Maven \(`mvn`\), which fetches them once, is not on PATH: install Maven \(e\.g\. apt-get install maven\) and run `npm run kafka:fetch`, or set KAFKA_BROKERS[^\n]*\n$/,
    );
    expect(existsSync(libs) ? readdirSync(libs) : []).toEqual([]);
  });
});

describe('beside a running callhouse', () => {
  const TOKEN = 'first-run-token-8c1e';
  const logDir = tmp('logs');
  const dataDir = join(tmp('held'), 'var');
  const configFile = join(logDir, 'callhouse.yaml');
  let env: Record<string, string>;
  let proc: Proc;
  let listener: Server;
  let takenPort: number;

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(configFile, `connectors:\n  - { id: office, type: yeastar-s, timezone: UTC, token: ${TOKEN} }\n`);
    env = {
      KAFKA_BROKERS: testBrokers().join(','),
      CALLHOUSE_TOPIC_PREFIX: randomPrefix(),
      CALLHOUSE_CONFIG: configFile,
      CALLHOUSE_DATA_DIR: dataDir,
      CALLHOUSE_HTTP_PORT: String(await freePort()),
      CALLHOUSE_ADMIN_PORT: String(await freePort()),
    };
    proc = await startProcess(['start'], { ...env, LOG_LEVEL: 'warn' }, logDir, 'held');
    listener = createServer();
    takenPort = await freePort();
    await new Promise<void>((r) => listener.listen(takenPort, '0.0.0.0', r));
  }, 120_000);
  afterAll(async () => {
    await proc?.kill();
    listener?.close();
  });

  it('a wrong token from a PBX: 401 each time, one warning per source naming the fix, never the token', async () => {
    const wrong = 'wrong-token-from-pbx-77';
    const ingest = `http://127.0.0.1:${env.CALLHOUSE_HTTP_PORT}/ingest/yeastar-s/office`;
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${ingest}?token=${wrong}`, { method: 'POST', body: '{"action":"NewCdr"}' });
      expect(r.status).toBe(401);
    }
    await new Promise((r) => setTimeout(r, 500));
    const log = readFileSync(join(logDir, 'held.log'), 'utf8');
    const warnings = log.split('\n').filter((l) => l.includes('refused a report'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).msg).toBe(
      "connector office refused a report from 127.0.0.1: wrong or missing token; give the PBX the token of this connector's configuration (in its URL, or an Authorization: Bearer or X-Callhouse-Token header)",
    );
    expect(log).not.toContain(wrong);
  });

  it('a second callhouse on the same data directory: one line naming the holder and CALLHOUSE_DATA_DIR, exit 1', async () => {
    const r = await runCli(['start'], {
      ...env,
      LOG_LEVEL: 'silent',
      CALLHOUSE_HTTP_PORT: String(await freePort()),
      CALLHOUSE_ADMIN_PORT: String(await freePort()),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `callhouse: the data directory ${dataDir} is in use by another callhouse (pid ${proc.child.pid}, admin http://127.0.0.1:${env.CALLHOUSE_ADMIN_PORT}): stop it, or set CALLHOUSE_DATA_DIR to another directory\n`,
    );
  }, 60_000);

  it('a port in use: one line naming the port and the variable that moves it, exit 1', async () => {
    // The admin port's message comes from the same mapping (runtime/cli/first-run.test.ts).
    for (const name of ['CALLHOUSE_HTTP_PORT']) {
      const ports = { CALLHOUSE_HTTP_PORT: String(await freePort()), CALLHOUSE_ADMIN_PORT: String(await freePort()) };
      const r = await runCli(['start'], {
        ...env,
        ...ports,
        [name]: String(takenPort),
        LOG_LEVEL: 'silent',
        CALLHOUSE_DATA_DIR: join(tmp('ports'), 'var'),
      });
      expect(r.code, name).toBe(1);
      expect(r.stderr).toBe(
        `callhouse: port ${takenPort} is already in use by another program: stop it, or set ${name} to a free port\n`,
      );
    }
  }, 120_000);
});
