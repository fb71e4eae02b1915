/**
 * Writes calls so that `calls` holds one merged row per call and kpi_daily_rollup stays exact (see
 * sql/030_kpi_rollup.sql and sql/040_call_merge.sql). Calls go to `calls_ingest`, each line
 * annotated with what the rollup needs: whether the row becomes its call's stored version
 * (`rollup_apply`), and the version counted so far (`prev_*`), looked up in `call_contrib`.
 *
 * A call seen for the first time, once in its insert, is written as it came (the common case:
 * no parsing). A call that is already stored, or comes more than once in one insert, is merged
 * field by field with its stored row (merge.ts) and written once, merged; its ingested_at is the
 * newest of its versions, so the merged row is the one `calls FINAL` keeps (the last written
 * among equals). The calls topic is keyed by call identity, so one call is only ever written by
 * the one sink consumer that owns its partition, in order.
 */
import type { CallVersion } from '../../runtime/codec.js';
import { insertBody, type Warehouse } from '../../runtime/warehouse.js';
import { counted, identityKey, storedRows, type Counted, type Identity } from './lookup.js';
import { encodeMergedFrom, mergeVersions, type Stored, type Version } from './merge.js';

export { chunks } from './lookup.js';

/** The table calls are inserted into (its materialized views fill calls, call_contrib and the rollup). */
export const CALLS_INGEST = 'calls_ingest';

interface Parsed extends Identity {
  key: string;
  ms: number;
  /** The feed, from the message's origin header (undefined: none, or named in the row itself). */
  origin: string | undefined;
  /** The row, where it had to be parsed to find its identity. */
  row?: Record<string, unknown>;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC, the canonical form) or ISO 8601, as epoch milliseconds. */
export function epochMs(value: unknown): number {
  if (typeof value !== 'string') return Number.NEGATIVE_INFINITY;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

function parseLine(line: Buffer): Record<string, unknown> | undefined {
  try {
    const r = JSON.parse(line.toString('utf8')) as unknown;
    return r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parse(line: Buffer, version: CallVersion | undefined, origin: string | undefined): Parsed | undefined {
  const row = version ? undefined : parseLine(line);
  const r = version ?? row;
  if (!r) return undefined;
  const id: Identity = {
    tenant: String(r.tenant ?? ''),
    connector_id: String(r.connector_id ?? ''),
    call_id: String(r.call_id ?? ''),
    leg: Number(r.leg ?? 0),
  };
  return { ...id, key: identityKey(id), ms: epochMs(r.ingested_at), origin, ...(row ? { row } : {}) };
}

/** What the rollup columns of an insert are worked out from, before anything is looked up. */
export interface CallPlan {
  bytes: Buffer[];
  parsed: (Parsed | undefined)[];
  /** The lines of each call (by identity key), in order. */
  lines: Map<string, number[]>;
}

/**
 * Reads the calls' identities and versions (no I/O). `versions` and `origins` come from the
 * messages' headers where they had them (see callVersionOf, callOriginOf); other lines are parsed.
 */
export function planCalls(
  lines: readonly (string | Buffer)[],
  versions: readonly (CallVersion | undefined)[] = [],
  origins: readonly (string | undefined)[] = [],
): CallPlan {
  const bytes = lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l));
  const parsed = bytes.map((b, i) => parse(b, versions[i], origins[i]));
  const byCall = new Map<string, number[]>();
  parsed.forEach((p, i) => {
    if (!p || !Number.isInteger(p.leg) || p.leg < 0 || p.leg > 255) return;
    const list = byCall.get(p.key);
    if (list) list.push(i);
    else byCall.set(p.key, [i]);
  });
  return { bytes, parsed, lines: byCall };
}

/**
 * The lines as one JSONEachRow body, each with the rollup columns appended. A line that is not a
 * JSON object passes unchanged (the warehouse rejects it, and the sink dead-letters it like any
 * rejected row).
 */
export async function annotateCalls(
  wh: Warehouse,
  lines: readonly (string | Buffer)[],
  versions: readonly (CallVersion | undefined)[] = [],
  origins: readonly (string | undefined)[] = [],
): Promise<Buffer> {
  return annotatePlanned(wh, planCalls(lines, versions, origins));
}

/** annotateCalls for a plan made earlier: the look-up must come after every earlier insert of these calls. */
export async function annotatePlanned(wh: Warehouse, plan: CallPlan): Promise<Buffer> {
  const { bytes, parsed } = plan;
  const firsts = [...plan.lines.values()].map((l) => parsed[l[0]!]!);
  const prev = await counted(wh, firsts);
  const stored = await storedRows(
    wh,
    firsts.filter((p) => prev.has(p.key)),
    prev,
  );
  // Each line up to its closing brace, then its rollup columns; a merged call as one new line
  // where its last line was. Sized first, then copied once.
  const ends = new Int32Array(bytes.length);
  const extras: (Buffer | undefined)[] = new Array<Buffer | undefined>(bytes.length);
  const merged = new Map<number, Buffer[]>();
  let size = 0;
  bytes.forEach((line, i) => {
    const p = parsed[i];
    const end = p ? objectEnd(line) : -1;
    ends[i] = end;
    const group = p ? plan.lines.get(p.key) : undefined;
    let extra: Buffer | undefined;
    if (end === -1) extra = EMPTY;
    else if (!group) extra = NOT_APPLIED;
    else if (group.length === 1 && !prev.has(p!.key)) extra = newCall(p!.origin);
    else if (group[group.length - 1] === i) {
      const m = mergedLines(group, plan, stored.get(p!.key), prev.get(p!.key));
      merged.set(i, m);
      for (const b of m) size += b.length;
    }
    extras[i] = extra;
    if (extra) size += end === -1 ? line.length + 1 : end + 1 + extra.length + 2;
  });
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  bytes.forEach((line, i) => {
    const extra = extras[i];
    if (!extra) {
      for (const b of merged.get(i) ?? []) at += b.copy(body, at);
      return;
    }
    const end = ends[i]!;
    if (end === -1) {
      at += line.copy(body, at);
    } else {
      at += line.copy(body, at, 0, end);
      if (extra.length > 0 && !isEmptyObject(line, end)) body[at++] = 0x2c;
      at += extra.copy(body, at);
      body[at++] = 0x7d;
    }
    body[at++] = 0x0a;
  });
  return body.subarray(0, at);
}

/**
 * The lines of one call merged with its stored row into one line. A line that cannot be parsed
 * is left out of the merge and passed on unchanged, for the warehouse to reject.
 */
function mergedLines(group: number[], plan: CallPlan, stored: Stored | undefined, old: Counted | undefined): Buffer[] {
  const out: Buffer[] = [];
  const versions: Version[] = [];
  for (const i of group) {
    const p = plan.parsed[i]!;
    const row = p.row ?? parseLine(plan.bytes[i]!);
    if (!row) out.push(withExtra(plan.bytes[i]!, objectEnd(plan.bytes[i]!), NOT_APPLIED));
    else versions.push({ row, origin: p.origin ?? String(row.origin ?? ''), ms: p.ms });
  }
  if (versions.length === 0) return out;
  const merged = mergeVersions(stored, versions);
  let extra: string;
  if (old && merged.ms < old.ms) extra = '"rollup_apply":0';
  else if (!old) extra = '"rollup_apply":1,"prev_exists":0';
  else
    extra =
      `"rollup_apply":1,"prev_exists":1,"prev_day":"${old.day}",` +
      `"prev_source":${JSON.stringify(old.source)},"prev_direction":${JSON.stringify(old.direction)},` +
      `"prev_disposition":${JSON.stringify(old.disposition)},` +
      `"prev_talk_seconds":${old.talk_seconds},"prev_ring_seconds":${old.ring_seconds}`;
  extra += `,"origin":${JSON.stringify(merged.origin)},"merged_from":${JSON.stringify(encodeMergedFrom(merged.mergedFrom))}`;
  const json = JSON.stringify(merged.row);
  out.push(Buffer.from(`${json.slice(0, -1)},${extra}}\n`));
  return out;
}

/** The line up to its closing brace, then `extra` (rollup columns), the brace and a newline. */
function withExtra(line: Buffer, end: number, extra: Buffer): Buffer {
  if (end === -1) return Buffer.concat([line, NEWLINE]);
  const comma = !isEmptyObject(line, end);
  return Buffer.concat([line.subarray(0, end), comma ? COMMA : EMPTY, extra, CLOSE]);
}

/** The rollup columns of a call not seen before, by its feed (a handful of feeds: kept). */
function newCall(origin: string | undefined): Buffer {
  if (origin === undefined) return NEW_CALL;
  let b = NEW_CALL_OF.get(origin);
  if (!b) {
    b = Buffer.from(`"rollup_apply":1,"prev_exists":0,"origin":${JSON.stringify(origin)}`);
    if (NEW_CALL_OF.size < 64) NEW_CALL_OF.set(origin, b);
  }
  return b;
}

const NEW_CALL_OF = new Map<string, Buffer>();
const NEWLINE = Buffer.from('\n');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}\n');
const EMPTY = Buffer.alloc(0);
const NOT_APPLIED = Buffer.from('"rollup_apply":0');
const NEW_CALL = Buffer.from('"rollup_apply":1,"prev_exists":0');

/** Where the object's closing brace is, after the whitespace before it (-1 without one). */
function objectEnd(line: Buffer): number {
  let end = line.lastIndexOf(0x7d);
  if (end === -1) return -1;
  while (end > 0 && isSpace(line[end - 1]!)) end--;
  return end;
}

function isEmptyObject(line: Buffer, end: number): boolean {
  return end > 0 && line[end - 1] === 0x7b;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Writes calls the way the sink does (annotated, into calls_ingest, with a deduplication token),
 * for loaders and tests that put calls into the warehouse without the stream.
 */
export async function writeCalls(
  wh: Warehouse,
  rows: Record<string, unknown>[],
  token: string = `calls-${Date.now()}-${Math.random().toString(36).slice(2)}`,
): Promise<void> {
  if (rows.length === 0) return;
  const body = await annotateCalls(
    wh,
    rows.map((r) => JSON.stringify(r)),
  );
  await insertBody(wh, CALLS_INGEST, body, token);
}
