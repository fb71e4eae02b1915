/**
 * callhouse on a Kafka cluster of three KRaft nodes (topics with three replicas, writes acknowledged
 * by two), first losing a broker under webhook and poll load, then its active controller. In
 * each, every report answered 200 and every call the poller read is in `calls` exactly once.
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import voicenter from '../../connectors/voicenter/index.js';
import type { LocalKafka } from '../../runtime/kafka-local.js';
import { cdrsOfDay } from '../../simulators/voicenter/data.js';
import { startSimulator, type VoicenterSimulator } from '../../simulators/voicenter/index.js';
import { clusterAdmin, partitionsOf, startTestCluster, untilInSync } from '../helpers/cluster.js';
import { randomPrefix, until } from '../helpers/kafka.js';
import { drained, runBackfill, seedCursors } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'cluster-failover-token';
const SEED = 47;
const PER_DAY = 120;
const DAYS = ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08', '2024-03-09'];

const cdr = (i: number): string =>
  JSON.stringify({
    action: 'NewCdr',
    callid: `${1709000000 + i}.${i}`,
    timestart: '2024-02-27 02:13:20',
    callfrom: '1001',
    callto: '1002',
    callduraction: '40',
    talkduraction: String(i % 25),
    status: i % 25 ? 'ANSWERED' : 'NO ANSWER',
    type: 'Internal',
  });
const pushedId = (i: number): string => `${1709000000 + i}.${i}`;

/** A PBX pushing reports from 8 connections until stopped; remembers which were answered 200. */
function pushLoad(url: string, first: number) {
  const acked: number[] = [];
  let next = first;
  let stopped = false;
  const sender = async (): Promise<void> => {
    while (!stopped) {
      const i = next++;
      const r = await fetch(url, { method: 'POST', body: cdr(i) }).catch(() => undefined);
      // A report not answered 200 is not counted (a PBX would send it again); it may land all the same.
      if (r?.status === 200) acked.push(i);
      else await new Promise((res) => setTimeout(res, 50));
    }
  };
  const senders = Array.from({ length: 8 }, () => sender());
  return {
    acked,
    stop: async () => {
      stopped = true;
      await Promise.all(senders);
    },
  };
}

describe('callhouse on a three-node Kafka cluster', () => {
  let cluster: LocalKafka;
  let admin: Admin;
  let sim: VoicenterSimulator;
  let t: TestService;
  let ourTopics: string[];
  const acked: number[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = await clusterAdmin(cluster);
    sim = await startSimulator({
      seed: SEED,
      callsPerDay: PER_DAY,
      code: 'cluster-code-1',
      maxReturn: 20,
      requestsPerMinute: 100_000,
    });
    const prefix = randomPrefix();
    const env = { KAFKA_BROKERS: cluster.brokers };
    await seedCursors(prefix, { vc: { to: '2100-01-01T00:00:00.000Z' } }, env.KAFKA_BROKERS);
    t = await startTestService({
      prefix,
      env,
      connectors: [
        { id: 'pbx', type: 'yeastar-s', timezone: 'UTC', token: TOKEN },
        {
          id: 'vc',
          type: 'voicenter',
          tenant: 'cluster',
          base_url: sim.url,
          code: 'cluster-code-1',
          min_spacing_ms: 250,
          requests_per_minute: 6000,
          max_records_per_request: 20,
        },
      ],
    });
    ourTopics = (await admin.listTopics()).filter((n) => n.startsWith(prefix));
  }, 240_000);

  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    await sim?.close();
    await admin?.disconnect().catch(() => undefined);
    await cluster?.stop();
  });

  it('creates its topics with three replicas and min.insync.replicas 2', async () => {
    expect(ourTopics.length).toBeGreaterThanOrEqual(6);
    for (const p of await partitionsOf(admin, ourTopics)) expect(p.replicas, p.topic).toHaveLength(3);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: ourTopics.map((name) => ({ type: 2, name, configNames: ['min.insync.replicas'] })),
    });
    for (const r of configs.resources) {
      expect(r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue, r.resourceName).toBe(
        '2',
      );
    }
  });

  it('loses no acknowledged report and no polled call while a broker is killed and brought back', async () => {
    const url = `${t.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`;
    const load = pushLoad(url, 0);
    const from = new Date(`${DAYS[0]}T00:00:00Z`);
    const to = new Date(`${DAYS.at(-1)}T00:00:00Z`);
    let daysDone = 0;
    // The poll load: a backfill that, failing with the broker, is run again (it resumes after its last day).
    const poll = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await runBackfill(t, 'vc', from, to, (p) => (daysDone = p.done));
        } catch (e) {
          if (attempt >= 5) throw e;
        }
      }
    })();

    await until('push and poll load', async () => load.acked.length > 300 && daysDone >= 1, 60_000, 50);
    const controller = cluster.activeController();
    const leaders = new Set((await partitionsOf(admin, ourTopics)).map((p) => p.leader));
    const victim = cluster.nodes.find((n) => n.id !== controller && leaders.has(n.id))!;
    expect(victim).toBeDefined();
    await victim.stop('SIGKILL');
    const atKill = load.acked.length;
    await until('reports answered with a broker down', async () => load.acked.length > atKill + 300, 90_000, 50);
    await until(
      'leaders moved off the killed broker',
      async () => (await partitionsOf(admin, ourTopics)).every((p) => p.leader !== victim.id && p.leader >= 0),
      60_000,
      500,
    );
    await victim.start();
    const atRestart = load.acked.length;
    await until('reports answered after the restart', async () => load.acked.length > atRestart + 300, 90_000, 50);
    await load.stop();
    await poll;
    await untilInSync(admin, ourTopics);
    acked.push(...load.acked);

    await expectExactlyOnce(t, acked, 'pbx');
    await expectPolledCalls(t, from, to);
  }, 300_000);

  it('goes on when the active controller is killed, and a new controller creates topics', async () => {
    const url = `${t.ingestUrl}/ingest/yeastar-s/pbx?token=${TOKEN}`;
    const load = pushLoad(url, 1_000_000);
    await until('push load', async () => load.acked.length > 300, 60_000, 50);
    const controller = cluster.activeController();
    expect(controller).toBeDefined();
    const node = cluster.nodes.find((n) => n.id === controller)!;
    await node.stop('SIGKILL');
    const atKill = load.acked.length;
    const successor = await until(
      'another controller to be elected',
      async () => {
        const c = cluster.activeController();
        return c !== undefined && c !== controller ? c : undefined;
      },
      60_000,
      200,
    );
    expect(successor).not.toBe(controller);
    await until(
      'reports answered without the old controller',
      async () => load.acked.length > atKill + 300,
      90_000,
      50,
    );
    // Topic creation goes through the controller: the new one serves it.
    const fresh = `${t.service.topics.calls}-after-failover`;
    await t.service.bus.ensureTopics([{ name: fresh, partitions: 2 }]);
    expect((await partitionsOf(admin, [fresh])).map((p) => p.replicas.length)).toEqual([3, 3]);

    await node.start();
    const atRestart = load.acked.length;
    await until('reports answered after the restart', async () => load.acked.length > atRestart + 300, 90_000, 50);
    await load.stop();
    await untilInSync(admin, ourTopics);
    acked.push(...load.acked);
    await expectExactlyOnce(t, acked, 'pbx');
  }, 300_000);
});

/** Every acknowledged report is one row of `calls`, and no other row came from the PBX. */
async function expectExactlyOnce(t: TestService, acked: number[], connector: string): Promise<void> {
  await drained(t, 180_000);
  const rows = await t.query<{ call_id: string; n: string }>(
    `SELECT call_id, count() AS n FROM {db}.calls FINAL WHERE connector_id = '${connector}' GROUP BY call_id`,
  );
  const landed = new Map(rows.map((r) => [r.call_id, Number(r.n)]));
  expect(acked.filter((i) => !landed.has(pushedId(i)))).toEqual([]);
  expect([...landed].filter(([, n]) => n !== 1)).toEqual([]);
  // A report answered other than 200 may have landed too (the PBX would send it again); none other.
  expect(landed.size).toBeGreaterThanOrEqual(acked.length);
}

/** The calls of every CDR the simulator holds for the window, each once. */
async function expectPolledCalls(t: TestService, from: Date, to: Date): Promise<void> {
  const expected = new Set<string>();
  for (const day of ['2024-03-03', ...DAYS]) {
    for (const c of cdrsOfDay(SEED, day, PER_DAY)) {
      if (c.epoch < from.getTime() / 1000 || c.epoch >= to.getTime() / 1000) continue;
      const n = voicenter.normalise(Buffer.from(JSON.stringify(c.record)), 'application/json', {
        config: t.config.connectors[1]! as Parameters<typeof voicenter.normalise>[2]['config'],
        received_at: '2024-03-20 00:00:00.000',
        ingested_at: '2024-03-20 00:00:00.000',
        meta: { endpoint: 'cdr' },
        warn: () => {},
      });
      for (const call of n.calls) expected.add(`${call.call_id}|${call.leg}`);
    }
  }
  expect(expected.size).toBeGreaterThan(400);
  const rows = await t.query<{ k: string; n: string }>(
    `SELECT concat(call_id, '|', toString(leg)) AS k, count() AS n FROM {db}.calls FINAL WHERE connector_id = 'vc' GROUP BY k`,
  );
  expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(new Set(rows.map((r) => r.k))).toEqual(expected);
}
