/** Read-only SQL for analysts: `callhouse sql` and the admin listener's POST /sql. */
import { CallhouseError } from './errors.js';
import type { ClickHouseClient } from '@clickhouse/client';

// Table functions and clauses that reach files, the network, programs or other servers. Matched
// as name prefixes (`s3Cluster`, `icebergS3`, `deltaLakeAzure`, `hdfsCluster`, `fileCluster`, …),
// on the query with comments removed and identifiers unquoted: ClickHouse accepts `file`(…),
// "file"(…), file/**/(…) and file -- …\n(…) as the same call, and INTO/**/OUTFILE as INTO OUTFILE.
const FORBIDDEN_FUNCTIONS =
  /\b(file|url|s3|gcs|oss|cos|hdfs|remote|mysql|postgresql|jdbc|odbc|executable|input|azure|iceberg|deltaLake|hudi|paimon|sqlite|mongodb|redis|cluster|dictionary|ytsaurus|arrowFlight|prometheus)\w*\s*\(/i;
const FORBIDDEN_CLAUSES = /\bINTO\s+OUTFILE\b|\bFROM\s+INFILE\b/i;
const READ_ONLY_START = /^\s*(\(|SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i;

/**
 * The query as ClickHouse tokenises it, for checking: comments become a space, string literals
 * (quoted and heredoc `$tag$…$tag$`) become `''`, quoted identifiers lose their quotes.
 */
export function normaliseForCheck(query: string): string {
  let out = '';
  let i = 0;
  const n = query.length;
  while (i < n) {
    const c = query[i]!;
    const next = query[i + 1];
    if ((c === '-' && next === '-') || c === '#') {
      const end = query.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      out += ' ';
    } else if (c === '/' && next === '*') {
      // ClickHouse comments nest.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (query[i] === '/' && query[i + 1] === '*') {
          depth += 1;
          i += 2;
        } else if (query[i] === '*' && query[i + 1] === '/') {
          depth -= 1;
          i += 2;
        } else i += 1;
      }
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < n) {
        if (query[j] === '\\') {
          text += query.slice(j, j + 2);
          j += 2;
        } else if (query[j] === c && query[j + 1] === c) {
          text += c;
          j += 2;
        } else if (query[j] === c) break;
        else {
          text += query[j];
          j += 1;
        }
      }
      if (j >= n) throw new CallhouseError('USAGE', 'unterminated quote');
      out += c === "'" ? "''" : text;
      i = j + 1;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z0-9_]*\$/.exec(query.slice(i))?.[0];
      const end = tag ? query.indexOf(tag, i + tag.length) : -1;
      if (tag && end >= 0) {
        out += "''";
        i = end + tag.length;
      } else {
        out += c;
        i += 1;
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

export function checkReadOnly(query: string): void {
  const q = normaliseForCheck(query);
  if (!READ_ONLY_START.test(q)) {
    throw new CallhouseError(
      'USAGE',
      'only read-only queries (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) are allowed',
    );
  }
  if (FORBIDDEN_FUNCTIONS.test(q) || FORBIDDEN_CLAUSES.test(q)) {
    throw new CallhouseError('USAGE', 'queries may not read files, URLs or other servers');
  }
  if (/;\s*\S/.test(q)) {
    throw new CallhouseError('USAGE', 'one statement at a time');
  }
}

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export async function readOnlyQuery(client: ClickHouseClient, query: string): Promise<SqlResult> {
  checkReadOnly(query);
  const q = query.trim().replace(/;\s*$/, '');
  try {
    // No `readonly` setting: the embedded engine would keep it for its whole session (and the
    // sink shares that session). The statement check above is the guard on both backends.
    const rs = await client.query({ query: q, format: 'JSONCompactEachRowWithNamesAndTypes' });
    const raw = (await rs.json()) as unknown[][];
    const columns = (raw[0] ?? []) as string[];
    const rows = raw.slice(2).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    return { columns, rows };
  } catch (e) {
    if (e instanceof CallhouseError) throw e;
    throw new CallhouseError('USAGE', `query failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
