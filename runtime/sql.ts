/**
 * Analyst SQL (`callhouse sql`, the admin listener's POST /sql): one statement as the engine
 * parses it, checked against the analyst allow-list on the engine's own parse tree, run on a
 * read-only session or user of its own with the analyst limits. What runs is the engine's own
 * formatting of the query, the text whose parse was checked.
 */
import { CallhouseError } from './errors.js';
import type { Analyst, AnalystLimits, Run } from './analyst.js';
import { parseTsv } from './analyst.js';
import { checkAnalystAst, parseAstDump } from './sql-ast.js';

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export async function readOnlyQuery(analyst: Analyst, query: string): Promise<SqlResult> {
  const catalogue = await analyst.catalogue();
  const statement = await engineFormat(analyst.parse, query);
  const dump = parseTsv(await engineRun(analyst.parse, analyst.limits, `EXPLAIN AST ${statement}`))
    .map((r) => r[0] ?? '')
    .join('\n');
  checkAnalystAst(parseAstDump(dump), { database: analyst.database, catalogue });
  const raw = await analyst.withSession((run) =>
    engineRun(run, analyst.limits, statement, 'JSONCompactEachRowWithNamesAndTypes'),
  );
  return parseResult(raw);
}

/**
 * The rows of a JSONCompactEachRowWithNamesAndTypes answer, read a slice at a time: a large
 * result (up to analyst.max_result_rows) gives the event loop back between slices, so that the
 * sink and the listeners are not held up while it is read.
 */
export async function parseResult(raw: string, slice = 2000): Promise<SqlResult> {
  const lines = raw.split('\n').filter((l) => l !== '');
  const columns = lines[0] ? (JSON.parse(lines[0]) as string[]) : [];
  const rows: Record<string, unknown>[] = [];
  for (let i = 2; i < lines.length; i += 1) {
    if ((i - 2) % slice === slice - 1) await new Promise((r) => setImmediate(r));
    const r = JSON.parse(lines[i]!) as unknown[];
    rows.push(Object.fromEntries(columns.map((c, j) => [c, r[j]])));
  }
  return { columns, rows };
}

/** The engine's own formatting of the query: it refuses more than one statement, and an empty one. */
async function engineFormat(run: Run, query: string): Promise<string> {
  if (query.includes('\0')) throw new CallhouseError('USAGE', 'refused: a NUL character in the query');
  let formatted: string;
  try {
    formatted = parseTsv(await run(`SELECT formatQuery(${stringLiteral(query)})`))[0]?.[0] ?? '';
  } catch (e) {
    const msg = (e as Error).message;
    if (/Multi-statements are not allowed/.test(msg))
      throw new CallhouseError('USAGE', 'refused: one statement at a time');
    if (/Empty query/.test(msg)) throw new CallhouseError('USAGE', 'refused: the query is empty');
    const m = /Syntax error[^:]*: failed at position \d+( \([^)]*\))?/.exec(msg);
    throw new CallhouseError('USAGE', `query failed: ${m?.[0] ?? firstLine(e)}`);
  }
  // The engine writes names with line breaks or control characters escaped in its formatting but
  // raw in its parse-tree dump, where they could pass for lines of the tree: such names are refused.
  if (/`(?:[^`\\]|\\.)*\\[nrtbf0]/.test(formatted.replace(/'(?:[^'\\]|\\.)*'/g, "''")))
    throw new CallhouseError('USAGE', 'refused: a name with a line break or control character in it');
  return formatted;
}

async function engineRun(run: Run, limits: AnalystLimits, sql: string, format?: string): Promise<string> {
  try {
    return await run(sql, format);
  } catch (e) {
    throw limitError(e, limits);
  }
}

/** The engine's error as analysts should read it: a passed limit names its setting. */
export function limitError(e: unknown, limits: AnalystLimits): CallhouseError {
  if (e instanceof CallhouseError) return e;
  const msg = (e as Error).message ?? String(e);
  const code = /Code: (\d+)/.exec(msg)?.[1];
  const over = (what: string): CallhouseError => new CallhouseError('USAGE', `query exceeded ${what}`);
  if (code === '159' || /TIMEOUT_EXCEEDED/.test(msg))
    return over(`the analyst time limit of ${limits.max_execution_time} s (analyst.max_execution_time)`);
  if (code === '396' || /TOO_MANY_ROWS_OR_BYTES/.test(msg))
    return /bytes/i.test(msg.split('\n')[0] ?? '') && !/max rows/.test(msg)
      ? over(`the analyst result limit of ${limits.max_result_bytes} bytes (analyst.max_result_bytes)`)
      : over(`the analyst result limit of ${limits.max_result_rows} rows (analyst.max_result_rows)`);
  if (code === '241' || /MEMORY_LIMIT_EXCEEDED/.test(msg))
    return over(`the analyst memory limit of ${limits.max_memory_usage} bytes (analyst.max_memory_usage)`);
  if (code === '164' || /\bREADONLY\b/.test(msg))
    return new CallhouseError('USAGE', 'refused by the engine: analyst sessions are read-only');
  if (code === '497' || /ACCESS_DENIED/.test(msg))
    return new CallhouseError('USAGE', `refused by the engine: ${firstLine(e)}`);
  return new CallhouseError('USAGE', `query failed: ${firstLine(e)}`);
}

function firstLine(e: unknown): string {
  return ((e as Error).message ?? String(e))
    .split('\n')[0]!
    .replace(/: In scope SELECT formatQuery\(.*$/, '')
    .slice(0, 500);
}

function stringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
