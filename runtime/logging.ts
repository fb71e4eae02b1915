/** pino, with every secret removed from every message and field before it is written. */
import { pino, type Logger } from 'pino';
import { SECRET_KEYS, redactText } from './redact.js';

const SECRET_KEY_SET = new Set<string>(SECRET_KEYS);

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY_SET.has(k.toLowerCase()) ? '***' : scrub(v, depth + 1);
  }
  return out;
}

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level,
    base: { service: 'callhouse' },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => scrub(a)),
        );
      },
    },
  };
  return destination
    ? pino(options, destination as unknown as pino.DestinationStream)
    : pino(options, pino.destination(2));
}

/**
 * A warning that repeats for as long as its cause lasts (a PBX with a wrong token retrying every
 * few seconds), written once per key and then at most once per interval, saying how many were
 * not written in between: the operator sees it, the log does not fill with it.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: (suppressed: number) => string): boolean {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    // A few thousand keys at most (connectors × source addresses); forget the oldest beyond that.
    if (!seen && this.last.size >= 4096) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: t, suppressed: 0 });
    this.logger.warn(fields, message(seen?.suppressed ?? 0));
    return true;
  }
}
