/**
 * Starts one local Kafka broker for the whole test run (unless KAFKA_BROKERS is set, or
 * CALLHOUSE_NO_KAFKA=1 for runs of pure unit tests) and hands its address to the tests.
 */
import type { TestProject } from 'vitest/node';

let stop: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.CALLHOUSE_NO_KAFKA === '1') {
    project.provide('kafkaBrokers', '');
    return;
  }
  if (process.env.KAFKA_BROKERS) {
    project.provide('kafkaBrokers', process.env.KAFKA_BROKERS);
    return;
  }
  const { startLocalKafka } = await import('../runtime/kafka-local.js');
  const broker = await startLocalKafka({
    dataDir: `${process.cwd()}/.vitest-tmp/kafka-${process.pid}`,
    ephemeral: true,
  });
  stop = broker.stop;
  project.provide('kafkaBrokers', broker.brokers);
}

export async function teardown(): Promise<void> {
  await stop?.();
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}
