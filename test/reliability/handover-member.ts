/**
 * A second member of a consumer group, for the hand-over test: handles every batch at once and
 * prints `{"event":"start"|"done",partition,first,last,at}` lines, until SIGTERM.
 * Usage: node --import tsx test/reliability/handover-member.ts <brokers> <group> <topic> <rebalanceMs> <handoverMs>
 */
import { writeSync } from 'node:fs';
import { Bus } from '../../runtime/kafka.js';

const [brokers, group, topic, rebalance, handover] = process.argv.slice(2);
const say = (o: Record<string, unknown>): void => void writeSync(1, `${JSON.stringify({ ...o, at: Date.now() })}\n`);
const bus = new Bus({
  brokers: brokers!.split(','),
  clientId: 'handover-member',
  rebalanceTimeoutMs: Number(rebalance),
  handoverMs: Number(handover),
});
const handle = await bus.consume({
  groupId: group!,
  topics: [topic!],
  pipelined: true,
  maxWaitMs: 100,
  handle: async (b) => {
    const at = { partition: b.partition, first: b.firstOffset, last: b.lastOffset };
    await b.previous;
    say({ event: 'start', ...at });
    await new Promise((r) => setTimeout(r, 20));
    say({ event: 'done', ...at });
  },
});
say({ event: 'running' });
process.once('SIGTERM', () => {
  void handle
    .stop()
    .then(() => bus.close())
    .finally(() => process.exit(0));
});
