/**
 * The programs the local Kafka broker needs (Java to run it, Maven once to fetch its jars),
 * checked before use so that a machine without them gets one line saying what to install, not a
 * spawn error. Neither is needed when KAFKA_BROKERS names a running Kafka.
 */
import { spawnSync } from 'node:child_process';
import { CallhouseError } from './errors.js';

const INSTEAD = 'or set KAFKA_BROKERS to the address of a running Kafka';
export const MIN_JAVA = 17;

/** The major version `java -version` reports (1.8 → 8), or undefined when it cannot be run. */
export function javaMajor(java = 'java'): number | undefined {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return undefined;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

export function requireJava(): void {
  const major = javaMajor();
  if (major === undefined) {
    throw new CallhouseError(
      'KAFKA_UNAVAILABLE',
      `the local Kafka broker needs Java ${MIN_JAVA}+ and \`java\` is not on PATH: install a JDK or JRE (e.g. apt-get install openjdk-${MIN_JAVA}-jre-headless), ${INSTEAD}`,
      { retriable: false },
    );
  }
  if (major < MIN_JAVA) {
    throw new CallhouseError(
      'KAFKA_UNAVAILABLE',
      `the local Kafka broker needs Java ${MIN_JAVA}+ and \`java\` on PATH is Java ${major}: install Java ${MIN_JAVA} or newer, ${INSTEAD}`,
      { retriable: false },
    );
  }
}

export function requireMaven(): void {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) {
    throw new CallhouseError(
      'KAFKA_UNAVAILABLE',
      `the Kafka jars are not fetched yet and Maven (\`mvn\`), which fetches them once, is not on PATH: install Maven (e.g. apt-get install maven) and run \`npm run kafka:fetch\`, ${INSTEAD}`,
      { retriable: false },
    );
  }
}
