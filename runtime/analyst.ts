/**
 * Where analyst SQL runs: never on the pipeline's own session or credentials. Embedded, a pool
 * of chdb sessions of their own on the warehouse's data path, each made read-only (with the
 * analyst limits and `final = 1`) before any analyst text reaches it; on a ClickHouse server, the
 * analyst user (CLICKHOUSE_ANALYST_USER), whose profile the server enforces.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { CallhouseError } from './errors.js';
import type { FunctionCatalogue } from './sql-ast.js';

export interface AnalystLimits {
  max_execution_time: number;
  max_result_rows: number;
  max_result_bytes: number;
  max_memory_usage: number;
  max_concurrent_queries: number;
}

export const DEFAULT_ANALYST_LIMITS: AnalystLimits = {
  max_execution_time: 30,
  max_result_rows: 100_000,
  max_result_bytes: 32 * 1024 * 1024,
  max_memory_usage: 2 * 1024 * 1024 * 1024,
  max_concurrent_queries: 2,
};

export interface AnalystOptions {
  user?: string | undefined;
  password?: string | undefined;
  limits: AnalystLimits;
}

/** One statement's text in, the engine's output in the given format out. `TabSeparated` when no format. */
export type Run = (sql: string, format?: string) => Promise<string>;

export interface Analyst {
  database: string;
  limits: AnalystLimits;
  /** Runs `fn` on a read-only session of its own; refuses at once when every session is busy. */
  withSession<T>(fn: (run: Run) => Promise<T>): Promise<T>;
  /**
   * Runs the engine's own parse and formatting (formatQuery, EXPLAIN AST): read-only too, but
   * without the result limits, which a long parse-tree dump would pass.
   */
  parse: Run;
  /** The engine's functions and table functions, read once. */
  catalogue(): Promise<FunctionCatalogue>;
  close(): Promise<void>;
}

/** The settings every analyst session has; `readonly = 1` is set last, after which none can change. */
export function analystSettings(limits: AnalystLimits): Record<string, number | string> {
  return {
    final: 1,
    max_execution_time: limits.max_execution_time,
    max_result_rows: limits.max_result_rows,
    max_result_bytes: limits.max_result_bytes,
    result_overflow_mode: 'throw',
    max_memory_usage: limits.max_memory_usage,
  };
}

function busy(limits: AnalystLimits, slots = limits.max_concurrent_queries): CallhouseError {
  const capped =
    slots < limits.max_concurrent_queries
      ? `, here at most ${slots} beside the sink with UV_THREADPOOL_SIZE=${threadpoolSize()}`
      : '';
  return new CallhouseError(
    'USAGE',
    `${slots} analyst queries are already running (analyst.max_concurrent_queries${capped}); try again when one has finished`,
  );
}

/**
 * The embedded engine runs every query, the sink's inserts included, on a thread of Node's
 * libuv pool (UV_THREADPOOL_SIZE, 4 unless set before the process starts). Analyst queries may
 * hold threads for seconds; 4 are kept for the sink's pipelined inserts and file writes.
 */
export function threadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

export function embeddedSlots(limits: AnalystLimits, pool = threadpoolSize()): number {
  return Math.max(1, Math.min(limits.max_concurrent_queries, pool - 4));
}

interface ChdbSession {
  queryAsync(q: string, o?: { format?: string }): Promise<{ text(): string }>;
  close(): void;
}

/** Analyst sessions on the embedded engine's data path, beside (never instead of) the sink's. */
export function embeddedAnalyst(path: string, database: string, limits: AnalystLimits): Analyst {
  const idle: ChdbSession[] = [];
  const slots = embeddedSlots(limits);
  let running = 0;
  let closed = false;
  const open = async (settings: Record<string, number | string> = analystSettings(limits)): Promise<ChdbSession> => {
    const { Session } = (await import('chdb')) as unknown as { Session: new (p: string) => ChdbSession };
    const s = new Session(path);
    try {
      const set = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${v}'`}`);
      await s.queryAsync(`SET ${set.join(', ')}`);
      await s.queryAsync(`USE ${quoteIdentifier(database)}`);
      await s.queryAsync('SET readonly = 1');
      const ro = (await s.queryAsync("SELECT getSetting('readonly')", { format: 'TSVRaw' })).text().trim();
      if (ro !== '1') throw new CallhouseError('INTERNAL', 'the analyst session did not become read-only');
      return s;
    } catch (e) {
      s.close();
      throw e;
    }
  };
  const withSession = async <T>(fn: (run: Run) => Promise<T>): Promise<T> => {
    if (closed) throw new CallhouseError('WAREHOUSE_UNAVAILABLE', 'the warehouse is closed');
    if (running >= slots) throw busy(limits, slots);
    running += 1;
    let s: ChdbSession | undefined;
    try {
      s = idle.pop() ?? (await open());
      const session = s;
      return await fn(async (sql, format = 'TabSeparated') => (await session.queryAsync(sql, { format })).text());
    } finally {
      running -= 1;
      if (s && !closed) idle.push(s);
      else s?.close();
    }
  };
  // One session for parsing, its queries one after another (each takes milliseconds).
  let parser: Promise<ChdbSession> | undefined;
  let parsing: Promise<unknown> = Promise.resolve();
  const parse: Run = (sql, format = 'TabSeparated') => {
    if (closed) return Promise.reject(new CallhouseError('WAREHOUSE_UNAVAILABLE', 'the warehouse is closed'));
    const { max_result_rows: _r, max_result_bytes: _b, ...settings } = analystSettings(limits);
    const p = parser ?? (parser = open(settings));
    p.catch(() => (parser = undefined));
    const next = parsing.then(async () => (await (await p).queryAsync(sql, { format })).text());
    parsing = next.catch(() => undefined);
    return next;
  };
  let catalogue: Promise<FunctionCatalogue> | undefined;
  // A failed read is tried again by the next query, not kept.
  const forget = (e: unknown): never => {
    catalogue = undefined;
    throw e;
  };
  return {
    database,
    limits,
    withSession,
    parse,
    catalogue: () => (catalogue ??= readCatalogue(parse).catch(forget)),
    close: async () => {
      closed = true;
      // Sessions still running a query are closed when it ends.
      for (const s of idle.splice(0)) s.close();
      await parsing;
      if (parser) (await parser.catch(() => undefined))?.close();
    },
  };
}

export interface ServerAnalystOptions {
  url: string;
  database: string;
  user: string | undefined;
  password: string | undefined;
  limits: AnalystLimits;
}

/** How the analyst's client to a ClickHouse server is made: its own user, no settings of its own. */
export function serverAnalystClientOptions(o: ServerAnalystOptions): Parameters<typeof createClient>[0] {
  if (!o.user)
    throw new CallhouseError(
      'CONFIG_INVALID',
      'analyst SQL on a ClickHouse server runs as a read-only user of its own: set CLICKHOUSE_ANALYST_USER and CLICKHOUSE_ANALYST_PASSWORD (see the deployment chapter); the pipeline’s credentials never run analyst text',
    );
  return {
    url: o.url,
    username: o.user,
    password: o.password ?? '',
    database: o.database,
    // The server's profile bounds the query; the client waits a little longer to hear why it stopped.
    request_timeout: (o.limits.max_execution_time + 10) * 1000,
    max_open_connections: o.limits.max_concurrent_queries,
    // Compressed responses are asked for with a setting (enable_http_compression), which a readonly = 1 user may not send.
    compression: { request: false, response: false },
  };
}

/** The analyst user on a ClickHouse server; its profile (readonly = 1, limits, final = 1) is the server's. */
export function serverAnalyst(o: ServerAnalystOptions, make = createClient): Analyst {
  const client: ClickHouseClient = make(serverAnalystClientOptions(o));
  let running = 0;
  const run: Run = async (sql, format) => {
    if (format) return (await client.query({ query: sql, format: format as 'JSONEachRow' })).text();
    const rs = await client.exec({ query: sql });
    let out = '';
    for await (const chunk of rs.stream) out += String(chunk);
    return out;
  };
  const withSession = async <T>(fn: (r: Run) => Promise<T>): Promise<T> => {
    if (running >= o.limits.max_concurrent_queries) throw busy(o.limits);
    running += 1;
    try {
      return await fn(run);
    } finally {
      running -= 1;
    }
  };
  let catalogue: Promise<FunctionCatalogue> | undefined;
  const forget = (e: unknown): never => {
    catalogue = undefined;
    throw e;
  };
  return {
    database: o.database,
    limits: o.limits,
    withSession,
    // The server's profile applies to these too: its max_result_rows must stay above a parse-tree dump.
    parse: run,
    catalogue: () => (catalogue ??= readCatalogue(run).catch(forget)),
    close: () => client.close(),
  };
}

/** Read as one row each, so that small result limits (analyst.max_result_rows) leave it whole. */
async function readCatalogue(run: Run): Promise<FunctionCatalogue> {
  const one = async (sql: string): Promise<string[][]> =>
    (JSON.parse((await run(sql, 'JSONEachRow')).trim()) as { r: unknown[][] }).r.map((x) => x.map(String));
  const columns = (c: string): string =>
    `SELECT groupArray(tuple(name, alias_to, toString(case_insensitive), toString(is_aggregate)${c})) AS r FROM system.functions`;
  let rows: string[][];
  let hasCategories = true;
  try {
    rows = await one(columns(', categories'));
  } catch {
    // Servers before the column was added: the named refusals alone decide.
    rows = await one(columns(''));
    hasCategories = false;
  }
  const byName = new Map(rows.map((r) => [r[0]!, r]));
  const functions: FunctionCatalogue['functions'] = new Map();
  for (const r of rows) {
    const target = r[1] ? (byName.get(r[1]) ?? r) : r;
    const entry = { categories: hasCategories ? (target[4] ?? '') : undefined, aggregate: target[3] === '1' };
    functions.set(r[0]!, entry);
    if (r[2] === '1') functions.set(r[0]!.toLowerCase(), entry);
  }
  const tables = await one('SELECT groupArray(tuple(name)) AS r FROM system.table_functions');
  return { functions, tableFunctions: new Set(tables.map((r) => r[0]!)) };
}

/** Rows of the engine's TabSeparated output (escapes undone). */
export function parseTsv(text: string): string[][] {
  if (text === '') return [];
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => line.split('\t').map(unescapeTsv));
}

function unescapeTsv(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '0' ? '\0' : c === 'b' ? '\b' : c === 'f' ? '\f' : c,
  );
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}
