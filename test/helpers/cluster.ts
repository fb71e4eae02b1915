/**
 * A Kafka cluster of three KRaft nodes of its own, for the tests that kill brokers (never the
 * broker the rest of the suite shares), and what those tests ask of it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { kafkajs } from '../../runtime/kafka-client.js';
import { startLocalKafka, type LocalKafka } from '../../runtime/kafka-local.js';
import { until } from './kafka.js';

export async function startTestCluster(): Promise<LocalKafka> {
  return startLocalKafka({
    dataDir: mkdtempSync(join(tmpdir(), 'callhouse-cluster-')),
    nodes: 3,
    ephemeral: true,
    heapMb: 320,
  });
}

export async function clusterAdmin(cluster: LocalKafka): Promise<Admin> {
  const admin = new kafkajs.Kafka({
    clientId: 'test-cluster-admin',
    brokers: cluster.brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
  }).admin();
  await admin.connect();
  return admin;
}

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export async function partitionsOf(admin: Admin, topics: string[]): Promise<PartitionState[]> {
  const meta = await admin.fetchTopicMetadata({ topics });
  return meta.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionId,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    })),
  );
}

/** Waits until every partition of `topics` has all its replicas in sync again. */
export async function untilInSync(admin: Admin, topics: string[], timeoutMs = 120_000): Promise<void> {
  await until(
    'every partition to have all its replicas in sync',
    async () => (await partitionsOf(admin, topics)).every((p) => p.isr.length === p.replicas.length),
    timeoutMs,
    500,
  );
}
