import { afterAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../runtime/kafka.js';
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
