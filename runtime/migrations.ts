/**
 * Applies `sql/NNN_*.sql` in order, once each (recorded in `schema_migrations`), then re-creates
 * every view in `sql/views/` (views carry no data, so re-creating them is the upgrade path).
 * `{{db}}` in the files is the configured database. Idempotent.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CallhouseError } from './errors.js';
import { PACKAGE_ROOT } from './paths.js';
import { rebuildRollups } from './rollups.js';
import { insertRows, queryRows, type Warehouse } from './warehouse.js';

export const SQL_DIR = join(PACKAGE_ROOT, 'sql');

export interface MigrationResult {
  applied: string[];
  skipped: string[];
  views: string[];
}

export interface MigrateOptions {
  /** Days to keep raw received payloads (the raw_payloads TTL). */
  rawRetentionDays?: number;
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

export function render(sql: string, db: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(db)) {
    throw new CallhouseError('CONFIG_INVALID', `database name ${JSON.stringify(db)} is not a plain identifier`);
  }
  return sql.replaceAll('{{db}}', db);
}

export async function migrate(wh: Warehouse, opts: MigrateOptions = {}): Promise<MigrationResult> {
  const db = wh.database;
  const run = (query: string): Promise<unknown> => wh.client.command({ query });
  await run(render('CREATE DATABASE IF NOT EXISTS {{db}}', db));
  await run(
    render(
      `CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations
       (version String, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
       ENGINE = ReplacingMergeTree ORDER BY version`,
      db,
    ),
  );
  const done = new Set(
    (await queryRows<{ version: string }>(wh, render('SELECT version FROM {{db}}.schema_migrations FINAL', db))).map(
      (r) => r.version,
    ),
  );
  const result: MigrationResult = { applied: [], skipped: [], views: [] };
  const files = readdirSync(SQL_DIR)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .sort();
  for (const file of files) {
    const version = file.slice(0, 3);
    if (done.has(version)) {
      result.skipped.push(file);
      continue;
    }
    const text = readFileSync(join(SQL_DIR, file), 'utf8');
    for (const stmt of splitStatements(render(text, db))) await run(stmt);
    const checksum = createHash('sha256').update(text).digest('hex').slice(0, 16);
    await insertRows(wh, 'schema_migrations', [{ version, name: file, checksum }], `migration-${version}-${checksum}`);
    result.applied.push(file);
  }
  // The rollup created by 030 starts with the calls already there (an upgrade).
  if (result.applied.some((f) => f.startsWith('030_'))) await rebuildRollups(wh);
  if (opts.rawRetentionDays !== undefined) {
    const days = Math.max(1, Math.floor(opts.rawRetentionDays));
    await run(render(`ALTER TABLE {{db}}.raw_payloads MODIFY TTL toDateTime(received_at) + INTERVAL ${days} DAY`, db));
  }
  const viewDir = join(SQL_DIR, 'views');
  for (const file of readdirSync(viewDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    for (const stmt of splitStatements(render(readFileSync(join(viewDir, file), 'utf8'), db))) await run(stmt);
    result.views.push(file);
  }
  return result;
}
