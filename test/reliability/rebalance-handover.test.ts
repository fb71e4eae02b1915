/**
 * A sink member whose inserts keep failing (a warehouse that is down) while a second member joins
 * its group: the first member waits for its batches only up to its hand-over bound, below the
 * rebalance timeout, then aborts them uncommitted and rejoins in time. The partitions' next owners
 * handle those batches again, and no partition is ever written by two members at once.
 * Real broker, two processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkajs } from '../../runtime/kafka-client.js';
import { Bus, type ConsumerHandle } from '../../runtime/kafka.js';
import { testBrokers, until } from '../helpers/kafka.js';

const REBALANCE_MS = 12_000;
const HANDOVER_MS = 3_000;

interface Span {
  member: 'A' | 'B';
  partition: number;
  first: number;
  last: number;
  from: number;
  to: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the hand-over of a pipelined consumer at a rebalance', () => {
  let member: ChildProcess | undefined;
  let consumer: ConsumerHandle | undefined;
  const bus = new Bus({
    brokers: testBrokers(),
    clientId: 'handover-a',
    rebalanceTimeoutMs: REBALANCE_MS,
    handoverMs: HANDOVER_MS,
  });
  const admin = new kafkajs.Kafka({ brokers: testBrokers(), logLevel: kafkajs.logLevel.NOTHING }).admin();
  afterAll(async () => {
    member?.kill('SIGKILL');
    await consumer?.stop().catch(() => undefined);
    await bus.close();
    await admin.disconnect();
  });

  it('aborts batches stuck in retries before the rebalance timeout; their partitions are redone by the next owner, never written by two', async () => {
    const id = randomBytes(4).toString('hex');
    const topic = `handover.${id}`;
    const group = `handover-${id}`;
    await admin.connect();
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    await bus.produce(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })),
    );
    const high = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    expect([...high.values()].every((n) => n > 0)).toBe(true);

    const spans: Span[] = [];
    const aborted: { partition: number; at: number }[] = [];
    let joining = false;
    consumer = await bus.consume({
      groupId: group,
      topics: [topic],
      pipelined: true,
      maxWaitMs: 100,
      handle: async (b) => {
        const span: Span = {
          member: 'A',
          partition: b.partition,
          first: Number(b.firstOffset),
          last: Number(b.lastOffset),
          from: 0,
          to: 0,
          ok: false,
        };
        await b.previous;
        span.from = Date.now();
        spans.push(span);
        if (!joining) {
          // An insert retrying against a warehouse that is down: it never ends by itself.
          while (!b.signal.aborted) {
            span.to = Date.now();
            await sleep(100);
          }
          aborted.push({ partition: b.partition, at: Date.now() });
          throw b.signal.reason;
        }
        await sleep(20);
        span.to = Date.now();
        span.ok = true;
      },
    });
    await until('member A stuck on both partitions', async () => new Set(spans.map((s) => s.partition)).size === 2);

    joining = true;
    const joinedAt = Date.now();
    member = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/reliability/handover-member.ts',
        testBrokers().join(','),
        group,
        topic,
        String(REBALANCE_MS),
        String(HANDOVER_MS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const open = new Map<string, number>();
    let buffered = '';
    member.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const e = JSON.parse(line) as { event: string; partition: number; first: string; last: string; at: number };
        const key = `${e.partition}:${e.first}`;
        if (e.event === 'start') open.set(key, e.at);
        if (e.event === 'done')
          spans.push({
            member: 'B',
            partition: e.partition,
            first: Number(e.first),
            last: Number(e.last),
            from: open.get(key)!,
            to: e.at,
            ok: true,
          });
      }
    });

    // Everything is handled and committed in the end.
    await until(
      'the group to commit every message',
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        return committed!.partitions.every((p) => Number(p.offset) === high.get(p.partition)) || undefined;
      },
      60_000,
      250,
    );

    // A gave its stuck batches up within its bound, well before the group would have dropped it.
    expect(aborted.map((a) => a.partition).sort()).toEqual([0, 1]);
    for (const a of aborted) expect(a.at - joinedAt).toBeLessThan(REBALANCE_MS);
    // B took over at least one of them and handled it again from the uncommitted offset.
    const stuck = spans.filter((s) => s.member === 'A' && !s.ok);
    const redoneByB = stuck.filter((s) =>
      spans.some((o) => o.member === 'B' && o.ok && o.partition === s.partition && o.first <= s.first),
    );
    expect(redoneByB.length).toBeGreaterThanOrEqual(1);
    // Every message was handled successfully by someone.
    for (const [partition, n] of high) {
      for (let offset = 0; offset < n; offset++) {
        expect(
          spans.some((s) => s.ok && s.partition === partition && s.first <= offset && offset <= s.last),
          `${partition}:${offset}`,
        ).toBe(true);
      }
    }
    // No partition was written by two members at once: A's last attempt on a partition comes
    // before B's first batch there.
    for (const a of spans.filter((s) => s.member === 'A')) {
      for (const b of spans.filter((s) => s.member === 'B' && s.partition === a.partition)) {
        expect(a.to < b.from || b.to < a.from, `A ${JSON.stringify(a)} overlaps B ${JSON.stringify(b)}`).toBe(true);
      }
    }
  }, 120_000);
});
