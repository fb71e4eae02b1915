/** Read-only SQL for analysts: `callhouse sql` and the admin listener's POST /sql. */
import { CallhouseError } from './errors.js';
import type { ClickHouseClient } from '@clickhouse/client';

// Table functions and clauses that reach files, the network or other servers.
const FORBIDDEN = /\b(file|url|s3|s3Cluster|hdfs|remote|remoteSecure|mysql|postgresql|jdbc|odbc|executable|input|azureBlobStorage|gcs|iceberg|deltaLake|hudi|sqlite|mongodb|redis|cluster|clusterAllReplicas|dictionary|fileCluster|urlCluster)\s*\(|\bINTO\s+OUTFILE\b|\bFROM\s+INFILE\b/i;
const READ_ONLY_START = /^\s*(\(|SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i;

export function checkReadOnly(query: string): void {
  if (!READ_ONLY_START.test(query)) {
    throw new CallhouseError('USAGE', 'only read-only queries (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) are allowed');
  }
  if (FORBIDDEN.test(query)) {
    throw new CallhouseError('USAGE', 'queries may not read files, URLs or other servers');
  }
  if (/;\s*\S/.test(query.replace(/'(?:[^'\\]|\\.)*'/g, "''"))) {
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
