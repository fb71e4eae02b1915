/**
 * A Bus whose consumers are timed: the first batch's start and the last batch's end, and the
 * messages handled, so a stage's rate excludes the consumer group's join.
 */
import { Bus } from '../runtime/kafka.js';

export interface ConsumeClock {
  messages: number;
  first: number;
  last: number;
  /** Messages per second between the first batch's start and the last batch's end. */
  rate(): number;
}

/** Times the consumers `bus` starts from now on (the instance is patched in place). */
export function timeConsumers(bus: Bus): ConsumeClock {
  const clock: ConsumeClock = {
    messages: 0,
    first: 0,
    last: 0,
    rate() {
      const s = (this.last - this.first) / 1000;
      return s > 0 ? Math.round(this.messages / s) : 0;
    },
  };
  const consume = bus.consume.bind(bus);
  bus.consume = (opts) =>
    consume({
      ...opts,
      handle: async (batch) => {
        if (clock.first === 0) clock.first = performance.now();
        await opts.handle(batch);
        clock.messages += batch.messages.length;
        clock.last = performance.now();
      },
    });
  return clock;
}

/** Messages in `topics` (end offset minus start offset, over all partitions). */
export async function topicSize(bus: Bus, topics: string[]): Promise<number> {
  const lag = await bus.lag(`bench-size-${Date.now()}`, topics);
  return Object.values(lag).reduce((a, b) => a + b, 0);
}
