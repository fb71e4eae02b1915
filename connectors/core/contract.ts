/**
 * The connector contract. A connector is a declaration: its type, its configuration schema, and
 * either a push side (`ingest`: what the vendor POSTs to /ingest/{type}/{id}) or a pull side
 * (`poll`: what callhouse reads from the vendor on a schedule), or both; plus the normaliser
 * that turns one raw payload into canonical records. The runtime gives every connector the same
 * ingest path, Kafka topics, cursors, retries, dead letters, metrics and status.
 *
 * Obligations, checked for every connector by the compliance suite (test/compliance.ts,
 * `describeConnector`), walked through in docs/adding-a-connector.md:
 *   - failures are thrown as CallhouseError with a listed code; bad input is non-retriable
 *     (PARSE_ERROR, INVALID_VALUE, UNSUPPORTED_PAYLOAD) and ends in dead letters;
 *   - the same payload always normalises to the same record identities (call_id, leg, event_key);
 *   - a poll cursor is small and JSON-serialisable; a read from it re-emits nothing new beyond
 *     the connector's documented overlap, and a cursor in the future reads nothing.
 * A connector is registered with one line in connectors/registry.ts.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Normalised } from '../../transforms/core/model.js';
import type { BaseConnectorConfig } from './config.js';
import type { CallhouseError } from '../../runtime/errors.js';

/** One payload as it travels on `raw.<type>`: what the connector received, unchanged. */
export interface RawPayload {
  /** Kafka key: the vendor's call id where there is one, else '' (random partition). */
  key: string;
  /** The bytes, as received (push) or as read (poll, one item of a response). */
  body: Buffer;
  content_type: string;
  /** Context that is not in the body: endpoint, report type, period, company, …. */
  meta: Record<string, string>;
}

/** The envelope written to `raw.<type>`; the transform role reads it back. */
export interface RawEnvelope {
  v: 1;
  /** Unique id of this receipt. */
  id: string;
  connector_id: string;
  type: string;
  tenant: string;
  received_at: string;
  content_type: string;
  /** Body bytes as base64 (bodies may be any encoding). */
  body_b64: string;
  meta: Record<string, string>;
}

/** What a normaliser knows besides the payload. */
export interface NormaliseContext<C extends BaseConnectorConfig = BaseConnectorConfig> {
  config: C;
  /** When callhouse received the payload, CH text form (UTC). */
  received_at: string;
  /** Ingestion time stamped on the records, CH text form (UTC). */
  ingested_at: string;
  meta: Record<string, string>;
  /** Warnings that do not stop the record (e.g. a time-zone mismatch); logged and counted. */
  warn(message: string, details?: Record<string, unknown>): void;
  /**
   * Conditions of the data that are not errors but are counted (a local time at a daylight-saving
   * change, a report layout whose headers we do not know). The runtime turns them into metrics
   * and status; a normaliser only reports them, so it stays pure.
   */
  observe?(observation: Observation): void;
}

/** What a normaliser reports through `observe`. */
export type Observation =
  | { kind: 'dst_overlap' | 'dst_gap'; resolved_by: 'vendor_time' | 'rule' }
  | { kind: 'report_layout_unmatched'; report_type: string; headers: string[]; missing: string[] };

/**
 * One raw payload → canonical records. Pure (no I/O, no clock: use `ctx.ingested_at`); builds
 * records with transforms/core (buildCall, parseTime, parseDuration, dispositionOf, phoneParts).
 * Throws CallhouseError only; the transform role dead-letters the payload with the reason.
 */
export type Normaliser<C extends BaseConnectorConfig = BaseConnectorConfig> = (
  body: Buffer,
  contentType: string,
  ctx: NormaliseContext<C>,
) => Normalised;

export interface IngestReply {
  status: number;
  body: unknown;
  contentType?: string;
}

export interface AfterDurableContext {
  logger: Logger;
  /** The callhouse data directory (for files a connector keeps, such as recordings). */
  dataDir: string;
  /** Reports a part of the work that failed while the rest went on (counted in status and metrics). */
  failed?(error: CallhouseError): void;
}

export interface IngestSpec<C extends BaseConnectorConfig = BaseConnectorConfig> {
  /**
   * Splits a request body into payloads for `raw.<type>` and extracts their keys. Must only
   * check that the body is readable (throw CallhouseError PARSE_ERROR otherwise: 400 and dead
   * letter); full validation happens in the transform role.
   */
  accept(body: Buffer, contentType: string, config: C): RawPayload[];
  /** The body the vendor expects with a 200 once the payloads are durable. */
  ok(config: C): IngestReply;
  /** The body the vendor expects with a 400 (unparseable body). */
  rejected?(config: C, reason: string): IngestReply;
  /**
   * Work the runtime starts once accepted payloads are durable, without delaying the vendor's
   * 200: for example downloading a recording that a report names. The payloads it returns are
   * made durable on `raw.<type>` like received ones (so what it produced is normalised and kept).
   * A failure is logged and counted; the vendor does not resend for it.
   */
  afterDurable?(payloads: RawPayload[], config: C, ctx: AfterDurableContext): Promise<RawPayload[]>;
}

/** A position in a vendor's data, stored on the compacted `connector-state` topic. */
export type Cursor = Record<string, string | number | boolean | null>;

export interface PollWindow {
  from: Date;
  to: Date;
}

export interface PollBatch {
  payloads: RawPayload[];
  /** Where to resume once these payloads are durable; undefined keeps the last cursor. */
  cursor?: Cursor;
  /** For progress reporting: windows done and total within this read. */
  progress?: { done: number; total: number; label?: string };
}

export interface PollContext<C extends BaseConnectorConfig = BaseConnectorConfig> {
  config: C;
  logger: Logger;
  signal: AbortSignal;
  /** Shared state across reads in this process (tokens, sessions). */
  session: Map<string, unknown>;
  /** The callhouse data directory, for locks shared with other callhouse processes on it. */
  dataDir?: string;
  /** Sleeps, or rejects when the signal aborts. */
  sleep(ms: number): Promise<void>;
  now(): Date;
}

export interface PollSpec<C extends BaseConnectorConfig = BaseConnectorConfig> {
  /** Default cron schedule, chosen to respect the vendor's load rules. */
  defaultSchedule: string;
  /**
   * Reads from the saved cursor (null on the first run) up to now, or over an explicit window
   * (backfill). Yields batches; the runtime makes each batch durable in Kafka before it stores
   * the batch's cursor.
   */
  read(ctx: PollContext<C>, cursor: Cursor | null, window?: PollWindow): AsyncIterable<PollBatch>;
  /**
   * A cheap reachability and credentials check, used by `status` and `/readyz`. Throws the same
   * codes as `read` (VENDOR_AUTH / VENDOR_FORBIDDEN stop the connector; retriable ones retry).
   */
  check?(ctx: PollContext<C>): Promise<void>;
}

export interface ConnectorSpec<C extends BaseConnectorConfig = BaseConnectorConfig> {
  type: string;
  title: string;
  /** The full configuration schema of one instance (the base fields plus the vendor's). */
  configSchema: z.ZodType<C>;
  /** Example configuration, used in the README and callhouse.example.yaml. */
  example: Record<string, unknown>;
  normalise: Normaliser<C>;
  ingest?: IngestSpec<C>;
  poll?: PollSpec<C>;
}

/** Declares a connector with its config type inferred from its schema. */
export function defineConnector<C extends BaseConnectorConfig>(spec: ConnectorSpec<C>): ConnectorSpec<C> {
  return spec;
}
