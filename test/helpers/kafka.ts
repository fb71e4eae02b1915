/** The broker of this test run (started once by test/global-setup.ts) and random topic names. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Bus } from '../../runtime/kafka.js';

export function testBrokers(): string[] {
  const b = inject('kafkaBrokers');
  if (!b)
    throw new Error(
      'no Kafka broker: this test needs the broker that test/global-setup.ts starts (unset CALLHOUSE_NO_KAFKA)',
    );
  return b.split(',');
}

export function randomPrefix(): string {
  return `t${randomBytes(4).toString('hex')}.`;
}

/** A Bus on the suite's broker, or on `brokers` (a cluster a test started itself). */
export function testBus(brokers?: string): Bus {
  return new Bus({ brokers: brokers?.split(',') ?? testBrokers(), clientId: `test-${process.pid}` });
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
