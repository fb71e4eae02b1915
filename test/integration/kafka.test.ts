import { afterAll, describe, expect, it } from 'vitest';
import type { Batch, Bus } from '../../runtime/kafka.js';
import { murmur2 } from '../../runtime/kafka-client.js';
import { randomPrefix, testBus, until } from '../helpers/kafka.js';

describe('the Kafka client against the real local broker', () => {
  const buses: Bus[] = [];
  afterAll(async () => {
    for (const b of buses) await b.close();
  });

  it('creates topics, produces, consumes in a group, commits, and a restarted consumer resumes after the commit', async () => {
    const bus = testBus();
    buses.push(bus);
    const topic = `${randomPrefix()}roundtrip`;
    const group = `${topic}-group`;
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    await bus.ensureTopics([{ name: topic, partitions: 2 }]); // idempotent
    expect(await bus.listTopics()).toContain(topic);

    await bus.produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `first-${i}` })),
    );
    const seen: string[] = [];
    const c1 = await bus.consume({
      groupId: group,
      topics: [topic],
      handle: async (b) => void seen.push(...b.messages.map((m) => m.value.toString())),
    });
    await until('first 10 messages', async () => seen.length >= 10);
    await until('lag 0 after commit', async () => (await bus.lag(group, [topic]))[topic] === 0);
    await c1.stop();

    await bus.produce(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `second-${i}` })),
    );
    expect((await bus.lag(group, [topic]))[topic]).toBe(5);
    const after: string[] = [];
    const c2 = await bus.consume({
      groupId: group,
      topics: [topic],
      handle: async (b) => void after.push(...b.messages.map((m) => m.value.toString())),
    });
    await until('the 5 new messages', async () => after.length >= 5);
    await c2.stop();
    expect(after.sort()).toEqual(['second-0', 'second-1', 'second-2', 'second-3', 'second-4']);
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `first-${i}`).sort());
  });

  it('does not commit a batch whose handler failed: it is delivered again', async () => {
    const bus = testBus();
    buses.push(bus);
    const topic = `${randomPrefix()}redeliver`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    await bus.produce(topic, [{ key: 'a', value: 'only' }]);
    let attempts = 0;
    const c = await bus.consume({
      groupId: `${topic}-g`,
      topics: [topic],
      handle: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('simulated failure before the output was durable');
      },
    });
    await until('a second delivery', async () => attempts >= 2);
    await until('lag 0', async () => (await bus.lag(`${topic}-g`, [topic]))[topic] === 0);
    await c.stop();
  });

  describe('a pipelined consumer', () => {
    /** A promise and the function that resolves it. */
    const gate = (): { open(): void; wait: Promise<void> } => {
      let open!: () => void;
      const wait = new Promise<void>((r) => (open = r));
      return { open, wait };
    };

    /** A pipelined consumer of a new one-partition topic. */
    const pipelinedConsumer = async (name: string, handle: (b: Batch) => Promise<void>) => {
      const bus = testBus();
      buses.push(bus);
      const topic = `${randomPrefix()}${name}`;
      const group = `${topic}-g`;
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const consumer = await bus.consume({ groupId: group, topics: [topic], pipelined: true, maxWaitMs: 100, handle });
      return { bus, topic, group, consumer };
    };

    /** Sends 'a', waits until it is handed out, then sends 'b' and waits until that is. */
    const sendTwo = async (bus: Bus, topic: string, handedOut: (value: string) => boolean): Promise<void> => {
      await bus.produce(topic, [{ key: 'k', value: 'a' }]);
      await until('the first batch', async () => handedOut('a'));
      await bus.produce(topic, [{ key: 'k', value: 'b' }]);
      await until('the second batch, handed out while the first is held', async () => handedOut('b'));
    };

    it('is handed the next batch of a partition while the last is still being handled, and commits each once it is done', async () => {
      const first = gate();
      const events: string[] = [];
      let secondPrevious: Promise<void> | undefined;
      const {
        bus,
        topic,
        group,
        consumer: c,
      } = await pipelinedConsumer('pipelined', async (b) => {
        const values = b.messages.map((m) => m.value.toString()).join(',');
        events.push(`start ${values}`);
        if (values === 'a') await first.wait;
        else {
          secondPrevious = b.previous;
          await b.previous;
        }
        events.push(`end ${values}`);
      });
      await sendTwo(bus, topic, (v) => events.includes(`start ${v}`));
      let previousSettled = false;
      void secondPrevious!.then(() => (previousSettled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(previousSettled).toBe(false);
      // Nothing is committed while the first batch is unfinished.
      expect((await bus.lag(group, [topic]))[topic]).toBe(2);
      first.open();
      await until('lag 0 after both commits', async () => (await bus.lag(group, [topic]))[topic] === 0);
      expect(events).toEqual(['start a', 'start b', 'end a', 'end b']);
      await c.stop();
    });

    it('reads a partition again from a batch that failed, with the batch after it', async () => {
      const release = gate();
      let failed = false;
      const handled: string[] = [];
      const done: string[] = [];
      const {
        bus,
        topic,
        group,
        consumer: c,
      } = await pipelinedConsumer('pipefail', async (b) => {
        const values = b.messages.map((m) => m.value.toString());
        handled.push(values.join(','));
        if (values[0] === 'a' && !failed) {
          await release.wait;
          failed = true;
          throw new Error('simulated failure before the output was durable');
        }
        await b.previous;
        done.push(...values);
      });
      await sendTwo(bus, topic, (v) => handled.includes(v));
      release.open();
      await until('both written after the failure', async () => done.includes('a') && done.includes('b'));
      await until('lag 0', async () => (await bus.lag(group, [topic]))[topic] === 0);
      await c.stop();
      // b waited for a: it was written only after a's second delivery, and never before it.
      expect(done.indexOf('a')).toBeLessThan(done.indexOf('b'));
      expect(handled[0]).toBe('a');
      expect(handled.slice(2).join(',')).toMatch(/^a/);
    });

    it('does not rejoin a rebalancing group while a batch is still being handled', async () => {
      const bus1 = testBus();
      const bus2 = testBus();
      buses.push(bus1, bus2);
      const topic = `${randomPrefix()}piperebalance`;
      const group = `${topic}-g`;
      await bus1.ensureTopics([{ name: topic, partitions: 2 }]);
      const owner = new Map<number, string>();
      const held = gate();
      let holding = false;
      const seenAfterLeave: { partition: number; by: string; whileHeld: boolean }[] = [];
      let leaving = false;
      const consumer = (bus: Bus, name: string) =>
        bus.consume({
          groupId: group,
          topics: [topic],
          pipelined: true,
          maxWaitMs: 100,
          handle: async (b) => {
            owner.set(b.partition, name);
            if (leaving) seenAfterLeave.push({ partition: b.partition, by: name, whileHeld: holding });
            if (b.messages.some((m) => m.value.toString() === 'hold')) {
              holding = true;
              await held.wait;
              holding = false;
            }
            await b.previous;
          },
        });
      const c1 = await consumer(bus1, 'one');
      const c2 = await consumer(bus2, 'two');
      /** A key the producer sends to `partition` of 2. */
      const keyFor = (partition: number): string => {
        for (let i = 0; ; i++) if ((murmur2(Buffer.from(`k${i}`)) & 0x7fffffff) % 2 === partition) return `k${i}`;
      };
      // Both members own a partition once each has been handed a message on each partition's key.
      await until(
        'each member owning one partition',
        async () => {
          await bus1.produce(topic, [
            { key: keyFor(0), value: 'hello' },
            { key: keyFor(1), value: 'hello' },
          ]);
          return owner.size === 2 && new Set(owner.values()).size === 2;
        },
        60_000,
        1000,
      );
      const mine = [...owner].find(([, n]) => n === 'one')![0];
      const theirs = 1 - mine;
      await bus1.produce(topic, [{ key: keyFor(mine), value: 'hold' }]);
      await until('the held batch', async () => holding);
      leaving = true;
      await c2.stop();
      await bus1.produce(topic, [{ key: keyFor(theirs), value: 'after' }]);
      // The group rebalances when two leaves; one may not rejoin (and take its partition) yet.
      await new Promise((r) => setTimeout(r, 8000));
      expect(seenAfterLeave.filter((s) => s.partition === theirs)).toEqual([]);
      held.open();
      await until('the partition of the member that left, after the rejoin', async () =>
        seenAfterLeave.some((s) => s.partition === theirs),
      );
      expect(seenAfterLeave.filter((s) => s.partition === theirs).every((s) => !s.whileHeld)).toBe(true);
      await until('lag 0', async () => (await bus1.lag(group, [topic]))[topic] === 0);
      await c1.stop();
    });
  });

  it('reads a compacted topic to its end without a consumer group', async () => {
    const bus = testBus();
    buses.push(bus);
    const topic = `${randomPrefix()}state`;
    await bus.ensureTopics([{ name: topic, partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
    await bus.produce(topic, [
      { key: 'x', value: '1' },
      { key: 'y', value: '2' },
      { key: 'x', value: '3' },
    ]);
    const all = await bus.readAll(topic);
    expect(all.map((m) => `${m.key}=${m.value.toString()}`)).toEqual(['x=1', 'y=2', 'x=3']);
  });
});
