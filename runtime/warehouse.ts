/**
 * The warehouse: a @clickhouse/client client over HTTP to CLICKHOUSE_URL, or the embedded
 * ClickHouse engine (chdb) in `$CALLHOUSE_DATA_DIR/warehouse` when no URL is set.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { CallhouseError } from './errors.js';
import { redactUrl } from './redact.js';
import {
  DEFAULT_ANALYST_LIMITS,
  embeddedAnalyst,
  serverAnalyst,
  type Analyst,
  type AnalystOptions,
} from './analyst.js';

export interface WarehouseOptions {
  url?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  database: string;
  dataDir: string;
  /** Who runs analyst SQL, and its limits (defaults when unset). */
  analyst?: AnalystOptions | undefined;
}

export interface Warehouse {
  client: ClickHouseClient;
  database: string;
  embedded: boolean;
  /** Where it is, without secrets. */
  describe: string;
  /** The embedded engine's raw insert: the body's bytes go to the engine as they are (no copy into a string). */
  rawInsert?: (params: RawInsert) => Promise<unknown>;
  close(): Promise<void>;
}

interface RawInsert {
  table: string;
  values: Buffer;
  format: 'JSONEachRow';
  settings: Record<string, string | number>;
}

interface EmbeddedEntry {
  wh: Warehouse;
  users: number;
  path: string;
  /** Analyst sessions on the same path, by database, closed with the warehouse. */
  analysts: Map<string, Analyst>;
}

/** chdb holds one data directory per process: one shared client per path, closed with its last user. */
const embeddedOpen = new Map<string, EmbeddedEntry>();

export async function openWarehouse(opts: WarehouseOptions): Promise<Warehouse> {
  if (opts.url) {
    const client = createClient({
      url: opts.url,
      username: opts.user ?? 'default',
      password: opts.password ?? '',
      request_timeout: 60_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    const wh: Warehouse = {
      client,
      database: opts.database,
      embedded: false,
      describe: redactUrl(opts.url.replace(/\/\/[^@/]*@/, '//')),
      close: async () => {
        await client.close();
        await analysts.get(wh)?.close();
      },
    };
    return wh;
  }
  const path = resolve(opts.dataDir, 'warehouse');
  const existing = embeddedOpen.get(path);
  if (existing) {
    existing.users += 1;
    return withDatabase(existing, opts.database);
  }
  mkdirSync(path, { recursive: true });
  let createChdbConnection: (o: { path: string }) => ChdbConnection;
  try {
    ({ createChdbConnection } = (await import('chdb/connection')) as {
      createChdbConnection: (o: { path: string }) => ChdbConnection;
    });
  } catch (e) {
    throw new CallhouseError(
      'WAREHOUSE_UNAVAILABLE',
      `the embedded warehouse (chdb) could not load: ${(e as Error).message}`,
    );
  }
  const connection = createChdbConnection({ path });
  const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0]);
  const entry: EmbeddedEntry = { wh: undefined as unknown as Warehouse, users: 1, path, analysts: new Map() };
  entry.wh = {
    client,
    database: opts.database,
    embedded: true,
    describe: `embedded ClickHouse in ${path}`,
    rawInsert: (params) => connection.chdb.rawInsert(params),
    close: async () => {
      entry.users -= 1;
      if (entry.users > 0) return;
      embeddedOpen.delete(path);
      for (const a of entry.analysts.values()) await a.close();
      await client.close();
    },
  };
  embeddedOpen.set(path, entry);
  return entry.wh;
}

interface ChdbConnection {
  chdb: { rawInsert(params: RawInsert): Promise<unknown> };
}

function withDatabase(entry: EmbeddedEntry, database: string): Warehouse {
  return { ...entry.wh, database };
}

/** Runs a query and returns its rows as objects (numbers as the engine gives them). */
export async function queryRows<T = Record<string, unknown>>(
  wh: Warehouse,
  query: string,
  params?: Record<string, unknown>,
): Promise<T[]> {
  const rs = await wh.client.query({
    query,
    format: 'JSONEachRow',
    ...(params ? { query_params: params } : {}),
  });
  return (await rs.json()) as T[];
}

/**
 * Inserts rows, always with a deduplication token: a retry of the same insert (same token) is
 * applied once. The embedded engine applies settings to its session, so an insert without its own
 * token would inherit the previous one and be dropped: every insert goes through here.
 */
export async function insertRows(
  wh: Warehouse,
  table: string,
  rows: Record<string, unknown>[],
  token: string = `${Date.now()}-${Math.random().toString(36).slice(2)}`,
): Promise<void> {
  if (rows.length === 0) return;
  await wh.client.insert({
    table: `${wh.database}.${table}`,
    values: rows,
    format: 'JSONEachRow',
    clickhouse_settings: {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      date_time_input_format: 'best_effort',
    },
  });
}

/**
 * One INSERT of JSONEachRow lines with its own deduplication token. The settings ride in the
 * statement itself (not session SETs, which the embedded engine would keep for later inserts),
 * and the lines go in unchanged: no parse and re-serialisation on our side.
 */
export async function insertLines(
  wh: Warehouse,
  table: string,
  lines: readonly (string | Buffer)[],
  token: string,
): Promise<void> {
  if (lines.length === 0) return;
  await insertBody(wh, table, joinLines(lines), token);
}

/** JSONEachRow lines as one body (Buffers are copied once, strings encoded once). */
export function joinLines(lines: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(typeof line === 'string' ? Buffer.from(line) : line, NEWLINE);
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');

/**
 * One INSERT of a JSONEachRow body with its own deduplication token. The embedded engine reads
 * the bytes where they lie; a server gets them as the body of the statement.
 */
export async function insertBody(
  wh: Warehouse,
  table: string,
  body: Buffer,
  token: string,
  signal?: AbortSignal,
): Promise<void> {
  if (body.length === 0) return;
  const settings = { insert_deduplicate: 1, insert_deduplication_token: token, date_time_input_format: 'best_effort' };
  if (wh.rawInsert) {
    await wh.rawInsert({ table: `${wh.database}.${table}`, values: body, format: 'JSONEachRow', settings });
    return;
  }
  const inline = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : quote(v)}`);
  await wh.client.command({
    query: `INSERT INTO ${wh.database}.${table} SETTINGS ${inline.join(', ')} FORMAT JSONEachRow\n${body.toString('utf8')}`,
    // A batch handed over at a rebalance stops writing at once; its next owner inserts it again.
    ...(signal ? { abort_signal: signal } : {}),
  });
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const analysts = new WeakMap<Warehouse, Analyst>();

/**
 * Where analyst SQL runs for this warehouse: embedded, read-only chdb sessions of its own on the
 * same data path (never the sink's); on a server, the analyst user (never the pipeline's).
 */
export async function analystClient(wh: Warehouse, opts: WarehouseOptions): Promise<Analyst> {
  const limits = opts.analyst?.limits ?? DEFAULT_ANALYST_LIMITS;
  if (wh.embedded) {
    const entry = [...embeddedOpen.values()].find((e) => e.wh.client === wh.client);
    if (!entry) throw new CallhouseError('WAREHOUSE_UNAVAILABLE', 'the embedded warehouse is closed');
    let a = entry.analysts.get(wh.database);
    if (!a) entry.analysts.set(wh.database, (a = embeddedAnalyst(entry.path, wh.database, limits)));
    return a;
  }
  let a = analysts.get(wh);
  if (!a) {
    a = serverAnalyst({
      url: opts.url!,
      database: wh.database,
      user: opts.analyst?.user,
      password: opts.analyst?.password,
      limits,
    });
    analysts.set(wh, a);
  }
  return a;
}
