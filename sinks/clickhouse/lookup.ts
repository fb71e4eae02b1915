/**
 * What the sink looks up before it writes calls: the version of each call the kpi_daily rollup
 * has counted (call_contrib, narrow, for every call of an insert) and, for the calls that have
 * one, the stored row to merge new versions with (calls FINAL, for those calls only).
 */
import { queryRows, type Warehouse } from '../../runtime/warehouse.js';
import { CALL_COLUMNS, decodeMergedFrom, type Stored } from './merge.js';

export interface Identity {
  tenant: string;
  connector_id: string;
  call_id: string;
  leg: number;
}

/** What call_contrib holds of a call: the version counted and where its row's fields came from. */
export interface Counted {
  ms: number;
  day: string;
  source: string;
  direction: string;
  disposition: string;
  talk_seconds: number;
  ring_seconds: number;
  origin: string;
  merged_from: string;
}

export function identityKey(id: Identity): string {
  return JSON.stringify([id.tenant, id.connector_id, id.call_id, id.leg]);
}

/**
 * The version of each call counted so far, by identity key. Read without FINAL, which would make
 * the engine read every column of every granule the keys fall in (a second for 20,000 calls
 * against 10 million); the newest of a call's rows is picked here instead. Rows of one call that
 * tie on ingested_at but differ are the one case only FINAL can settle (the last inserted wins):
 * those calls are read again with it.
 */
export async function counted(wh: Warehouse, ids: Identity[]): Promise<Map<string, Counted>> {
  const found = new Map<string, Counted>();
  const tied = new Set<string>();
  for (const r of await contribRows(wh, ids, false)) {
    const key = identityKey(r);
    const old = found.get(key);
    if (!old || r.ms > old.ms) {
      found.set(key, r);
      tied.delete(key);
    } else if (r.ms === old.ms && !sameCount(r, old)) tied.add(key);
  }
  if (tied.size > 0) {
    const again = ids.filter((x) => tied.has(identityKey(x)));
    for (const r of await contribRows(wh, again, true)) found.set(identityKey(r), r);
  }
  return found;
}

function sameCount(a: Counted, b: Counted): boolean {
  return (
    a.day === b.day &&
    a.source === b.source &&
    a.direction === b.direction &&
    a.disposition === b.disposition &&
    a.talk_seconds === b.talk_seconds &&
    a.ring_seconds === b.ring_seconds &&
    a.origin === b.origin &&
    a.merged_from === b.merged_from
  );
}

async function contribRows(wh: Warehouse, ids: Identity[], final: boolean): Promise<(Identity & Counted)[]> {
  const rows = await byIdentity<Identity & Counted>(
    wh,
    ids,
    (filter) =>
      `SELECT tenant, connector_id, call_id, leg, toUnixTimestamp64Milli(ingested_at) AS ms, toString(day) AS day,
              source, direction, disposition, talk_seconds, ring_seconds, origin, merged_from
       FROM ${wh.database}.call_contrib ${final ? 'FINAL' : ''}
       ${final ? 'WHERE' : 'PREWHERE'} key_hash IN (SELECT cityHash64(t, c, i, l) FROM ${filter})`,
  );
  return rows.map((r) => ({
    ...r,
    leg: Number(r.leg),
    ms: Number(r.ms),
    talk_seconds: Number(r.talk_seconds),
    ring_seconds: Number(r.ring_seconds),
  }));
}

/**
 * The stored rows of these calls, each with what call_contrib says of it. Read without FINAL and
 * the newest row of each call picked here (as for call_contrib); rows of one call that tie on
 * ingested_at but differ (an older version merged in after the newer one was stored) are read
 * again with FINAL, which keeps the last written: the merged one. Costs are read as text, so that
 * a decimal comes back exactly as it went in.
 */
export async function storedRows(
  wh: Warehouse,
  ids: Identity[],
  counts: Map<string, Counted>,
): Promise<Map<string, Stored>> {
  const found = new Map<string, { row: Record<string, unknown>; ms: number; text: string }>();
  const tied = new Set<string>();
  for (const r of await callRows(wh, ids, false)) {
    const key = identityKey(r.row as unknown as Identity);
    const old = found.get(key);
    if (!old || r.ms > old.ms) {
      found.set(key, r);
      tied.delete(key);
    } else if (r.ms === old.ms && r.text !== old.text) tied.add(key);
  }
  if (tied.size > 0) {
    const again = ids.filter((x) => tied.has(identityKey(x)));
    for (const r of await callRows(wh, again, true)) found.set(identityKey(r.row as unknown as Identity), r);
  }
  const out = new Map<string, Stored>();
  for (const [key, { row, ms }] of found) {
    const c = counts.get(key);
    // Provenance applies to the row it was written with; a row call_contrib does not describe
    // (written straight into calls) is taken as one version of no particular feed.
    const same = c !== undefined && c.ms === ms;
    out.set(key, {
      row,
      ms,
      origin: same ? c.origin : '',
      mergedFrom: same ? decodeMergedFrom(c.merged_from) : {},
    });
  }
  return out;
}

async function callRows(
  wh: Warehouse,
  ids: Identity[],
  final: boolean,
): Promise<{ row: Record<string, unknown>; ms: number; text: string }[]> {
  const columns = CALL_COLUMNS.map((c) => (c === 'cost' ? 'toString(cost) AS cost' : c)).join(', ');
  const rows = await byIdentity<Record<string, unknown>>(
    wh,
    ids,
    (filter) =>
      `SELECT ${columns}, toUnixTimestamp64Milli(ingested_at) AS _ms
       FROM ${wh.database}.calls ${final ? 'FINAL' : ''}
       WHERE (tenant, connector_id, call_id, leg) IN (SELECT t, c, i, l FROM ${filter})`,
  );
  return rows.map((r) => {
    const ms = Number(r._ms);
    delete r._ms;
    r.leg = Number(r.leg);
    for (const c of ['ring_seconds', 'talk_seconds', 'total_seconds'] as const) r[c] = Number(r[c]);
    if (r.queue_wait_seconds !== null) r.queue_wait_seconds = Number(r.queue_wait_seconds);
    return { row: r, ms, text: JSON.stringify(r) };
  });
}

/** Runs a query filtered by these identities, given as a TSV text parameter (in parts for a server). */
async function byIdentity<T>(wh: Warehouse, ids: Identity[], sql: (filter: string) => string): Promise<T[]> {
  if (ids.length === 0) return [];
  // One text parameter, a TSV line per call: the engine reads it in a fraction of the time four
  // array literals of the same values take to parse. A ClickHouse server gets parameters in the
  // URL (at most 1 MiB by default), so it gets them in parts.
  const lines = ids.map((x) => `${tsv(x.tenant)}\t${tsv(x.connector_id)}\t${tsv(x.call_id)}\t${x.leg}\n`);
  const filter = `format(TSV, 't String, c String, i String, l UInt8', {ids:String})`;
  const rows: T[] = [];
  for (const text of chunks(lines, wh.embedded ? Infinity : SERVER_PARAM_BYTES)) {
    rows.push(...(await queryRows<T>(wh, sql(filter), { ids: text })));
  }
  return rows;
}

/** Text of a look-up sent to a server: up to three times as long once percent-encoded in the URL. */
const SERVER_PARAM_BYTES = 256 * 1024;

/** Lines joined into texts of at most about `bytes` characters each (a longer line on its own). */
export function chunks(lines: string[], bytes: number): string[] {
  const out: string[] = [];
  let part = '';
  for (const line of lines) {
    if (part.length > 0 && part.length + line.length > bytes) {
      out.push(part);
      part = '';
    }
    part += line;
  }
  if (part.length > 0) out.push(part);
  return out;
}

/** A value as a TSV field (the escapes ClickHouse's TSV reader undoes). */
function tsv(v: string): string {
  return /[\\\t\n\r\0]/.test(v) ? v.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c as keyof typeof TSV_ESCAPES]) : v;
}

const TSV_ESCAPES = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
