/**
 * The one error type of callhouse. Every failure that reaches a policy decision (retry, back off,
 * dead-letter, stop a connector) is a CallhouseError with a code from the closed list below and an
 * honest `retriable` flag.
 */
export const ERROR_CODES = {
  // bad input: never retriable, the input goes to dead letters
  PARSE_ERROR: false,
  INVALID_VALUE: false,
  UNSUPPORTED_PAYLOAD: false,
  // configuration and usage
  CONFIG_INVALID: false,
  USAGE: false,
  /** A request to our own admin listener without the token it accepts. */
  UNAUTHORIZED: false,
  // vendor side
  VENDOR_AUTH: false,
  VENDOR_FORBIDDEN: false,
  VENDOR_LOCKED: true,
  VENDOR_RATE_LIMIT: true,
  VENDOR_TOO_MANY_RECORDS: true,
  VENDOR_UNAVAILABLE: true,
  VENDOR_ERROR: false,
  VENDOR_TOKEN_EXPIRED: true,
  UNTRUSTED_URL: false,
  // infrastructure
  KAFKA_UNAVAILABLE: true,
  /** Kafka refused the record for good (too large, invalid, not authorised): resending never helps. */
  KAFKA_REJECTED: false,
  WAREHOUSE_UNAVAILABLE: true,
  WAREHOUSE_REJECTED: false,
  TIMEOUT: true,
  INTERNAL: false,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class CallhouseError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** Seconds the caller should wait before retrying, when the source says so. */
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      cause?: unknown;
      retriable?: boolean;
      retryAfterSeconds?: number;
      details?: Record<string, unknown>;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CallhouseError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }
}

export function isCallhouseError(e: unknown): e is CallhouseError {
  return e instanceof CallhouseError;
}

/** Wraps anything thrown into a CallhouseError, keeping the original as `cause`. */
export function asCallhouseError(e: unknown, fallback: ErrorCode = 'INTERNAL'): CallhouseError {
  if (e instanceof CallhouseError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new CallhouseError(fallback, message, { cause: e });
}
