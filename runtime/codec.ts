/**
 * How records travel on the topics. `raw.<type>` carries the received bytes unchanged as the
 * message value, with the receipt's context in headers; the normalised topics carry one JSON
 * canonical record per message, keyed by its identity.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RawPayload } from '../connectors/core/contract.js';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import type { BillingRow, CallEvent, CallRecord, DeadLetter, ReportRow } from '../transforms/core/model.js';
import { nowCh } from '../transforms/core/times.js';
import type { InMessage, OutMessage } from './kafka.js';

export interface RawReceipt {
  id: string;
  connector_id: string;
  type: string;
  tenant: string;
  received_at: string;
  content_type: string;
  meta: Record<string, string>;
  key: string;
  body: Buffer;
}

const H = {
  id: 'callhouse-id',
  connector: 'callhouse-connector',
  type: 'callhouse-type',
  tenant: 'callhouse-tenant',
  receivedAt: 'callhouse-received-at',
  contentType: 'content-type',
  meta: 'callhouse-meta',
  kind: 'callhouse-kind',
  replayOf: 'callhouse-replay-of',
  callVersion: 'callhouse-call-version',
  callOrigin: 'callhouse-call-origin',
} as const;

/**
 * Message keys only choose the partition. Keys longer than this are replaced by their SHA-256,
 * which keeps "same key, same partition" and keeps a hostile client's 1 MB call id out of every
 * message (kafkajs's own murmur2, which the producer no longer uses, took minutes over one).
 */
export const MAX_KEY_BYTES = 256;

export function boundedKey(key: string): string;
export function boundedKey(key: string | null): string | null;
export function boundedKey(key: string | null): string | null {
  if (key === null || key.length <= MAX_KEY_BYTES / 4 || Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function encodeRaw(
  p: RawPayload,
  config: BaseConnectorConfig,
  receivedAt = nowCh(),
  id: string = randomUUID(),
): OutMessage {
  return {
    key: boundedKey(p.key || null),
    value: p.body,
    headers: {
      [H.id]: id,
      [H.connector]: config.id,
      [H.type]: config.type,
      [H.tenant]: config.tenant,
      [H.receivedAt]: receivedAt,
      [H.contentType]: p.content_type,
      [H.meta]: JSON.stringify(p.meta ?? {}),
    },
  };
}

export function decodeRaw(m: InMessage): RawReceipt {
  const h = m.headers;
  let meta: Record<string, string> = {};
  try {
    meta = JSON.parse(h[H.meta] ?? '{}') as Record<string, string>;
  } catch {
    meta = {};
  }
  return {
    id: h[H.id] || `${m.topic}:${m.partition}:${m.offset}`,
    connector_id: h[H.connector] ?? '',
    type: h[H.type] ?? '',
    tenant: h[H.tenant] ?? '',
    received_at: h[H.receivedAt] ?? nowCh(),
    content_type: h[H.contentType] ?? 'application/octet-stream',
    meta,
    key: m.key ?? '',
    body: m.value,
  };
}

export type NormalisedKind = 'call' | 'event' | 'report' | 'billing';

/**
 * A call message carries its identity and ingested_at in a header as well as in its value, so
 * that the sink can order versions of a call without parsing every row (see callVersionOf), and
 * the feed it came from (the receipt's `meta.endpoint`, e.g. Voicenter's `cdr` or
 * `notification`), by which the sink merges versions of one call field by field.
 */
export function encodeCall(r: CallRecord, origin = ''): OutMessage {
  const headers: Record<string, string> = {
    [H.callVersion]: JSON.stringify([r.tenant, r.connector_id, r.call_id, r.leg, r.ingested_at]),
  };
  if (origin !== '') headers[H.callOrigin] = origin;
  return {
    key: boundedKey(`${r.tenant}|${r.connector_id}|${r.call_id}|${r.leg}`),
    value: JSON.stringify(r),
    headers,
  };
}

/**
 * The feed a call message came from (its origin header), unless its value names one itself
 * (another writer's row, which the warehouse then reads as it is).
 */
export function callOriginOf(m: InMessage): string | undefined {
  const h = m.headers[H.callOrigin];
  if (h === undefined || h === '' || m.value.includes('"origin":')) return undefined;
  return h;
}

/** What the sink needs of a call to order its versions. */
export interface CallVersion {
  tenant: string;
  connector_id: string;
  call_id: string;
  leg: number;
  ingested_at: string;
}

/**
 * The call version header of a message, when it has one that agrees with its value: each of
 * the five fields must appear in the value exactly as JSON.stringify writes it. A message from
 * another writer, or whose header disagrees, gives undefined (the sink then parses the value).
 */
export function callVersionOf(m: InMessage): CallVersion | undefined {
  const h = m.headers[H.callVersion];
  if (h === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(h);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 5) return undefined;
  const [tenant, connector_id, call_id, leg, ingested_at] = v as unknown[];
  if (
    typeof tenant !== 'string' ||
    typeof connector_id !== 'string' ||
    typeof call_id !== 'string' ||
    typeof leg !== 'number' ||
    typeof ingested_at !== 'string'
  )
    return undefined;
  const version = { tenant, connector_id, call_id, leg, ingested_at };
  // The bytes as latin1 (one character per byte): a value outside ASCII does not match, and the
  // sink parses that message instead.
  const text = m.value.toString('latin1');
  for (const [name, value] of Object.entries(version))
    if (!text.includes(`"${name}":${JSON.stringify(value)}`)) return undefined;
  return version;
}
export function encodeEvent(r: CallEvent): OutMessage {
  return { key: boundedKey(`${r.tenant}|${r.connector_id}|${r.call_id}`), value: JSON.stringify(r) };
}
export function encodeReportRow(r: ReportRow): OutMessage {
  return {
    key: boundedKey(`${r.tenant}|${r.connector_id}|${r.report_type}|${r.period_start}`),
    value: JSON.stringify(r),
    headers: { [H.kind]: 'report' },
  };
}
export function encodeBilling(r: BillingRow): OutMessage {
  return {
    key: boundedKey(`${r.tenant}|${r.connector_id}|${r.month}|${r.company}`),
    value: JSON.stringify(r),
    headers: { [H.kind]: 'billing' },
  };
}
export function kindOf(m: InMessage): string {
  return m.headers[H.kind] ?? '';
}

export function encodeDeadLetter(d: DeadLetter): OutMessage {
  return { key: boundedKey(d.connector_id || null), value: JSON.stringify(d) };
}

/** The bytes as text for a dead letter: UTF-8 when valid, else base64 with a prefix. */
export function payloadText(body: Buffer): string {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? text : `base64:${body.toString('base64')}`;
}

export function payloadBytes(text: string): Buffer {
  return text.startsWith('base64:') ? Buffer.from(text.slice(7), 'base64') : Buffer.from(text, 'utf8');
}

export const HEADERS = H;
