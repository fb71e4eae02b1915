/**
 * Node's process warnings, which it prints to stderr by default. One is known and harmless:
 * kafkajs 2.2.4 schedules its request queue check with a negative delay on Node 23+
 * (tulios/kafkajs#1751; Node then waits 1 ms, which is what the check wants), so every Kafka client
 * would print a TimeoutNegativeWarning. That one goes to the log at debug level; every other warning
 * is still shown, or written to the log where the screen is kept for the command's own lines.
 */
import type { Logger } from 'pino';

export function isKnownHarmless(w: Error): boolean {
  return w.name === 'TimeoutNegativeWarning' && /[\\/]kafkajs[\\/]/.test(w.stack ?? '');
}

/** Replaces Node's own printing of warnings; `logger` set: every warning goes to it, none to stderr. */
export function routeProcessWarnings(logger?: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    if (logger) logger[isKnownHarmless(w) ? 'debug' : 'warn']({ warning: w.name }, `node: ${w.message}`);
    else if (!isKnownHarmless(w)) process.stderr.write(`(node:${process.pid}) ${w.name}: ${w.message}\n`);
  });
}
