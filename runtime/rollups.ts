/**
 * The kpi_daily rollup's maintenance: a rebuild from `calls FINAL` (sql/rollup/rebuild.sql) and a
 * check that kpi_daily (from the rollup) and kpi_daily_from_calls (from every call, at query time)
 * agree row for row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render, splitStatements, SQL_DIR } from './migrations.js';
import type { Logger } from 'pino';
import { queryRows, type Warehouse } from './warehouse.js';

/** Recounts the rollup from the calls in the warehouse. The sink must not be writing meanwhile. */
export async function rebuildRollups(wh: Warehouse): Promise<void> {
  const token = `rollup-rebuild-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const text = readFileSync(join(SQL_DIR, 'rollup', 'rebuild.sql'), 'utf8').replaceAll('{{token}}', token);
  for (const stmt of splitStatements(render(text, wh.database))) await wh.client.command({ query: stmt });
}

/**
 * A read-only query listing every row on which kpi_daily and kpi_daily_from_calls differ, with the
 * side it is found on. No rows: they agree. Without a database the names are unqualified (for
 * `callhouse sql`, whose client has the database selected).
 */
export function rollupCheckSql(database?: string): string {
  const db = database ? `${database}.` : '';
  return `SELECT 'only in kpi_daily' AS found, * FROM (SELECT * FROM ${db}kpi_daily EXCEPT SELECT * FROM ${db}kpi_daily_from_calls)
UNION ALL
SELECT 'only in kpi_daily_from_calls' AS found, * FROM (SELECT * FROM ${db}kpi_daily_from_calls EXCEPT SELECT * FROM ${db}kpi_daily)
ORDER BY day, tenant, source, direction, found`;
}

/**
 * After an unclean stop of the process that held the warehouse: a kill in the middle of one insert
 * can leave the engine having written some of calls, call_contrib and kpi_daily_rollup but not
 * all. Checks the rollup and recounts it if it is off. Only safe while nothing else writes calls
 * (the embedded warehouse, before the sink starts). Returns the number of rows that differed.
 */
export async function repairRollups(wh: Warehouse, logger: Logger): Promise<number> {
  const differing = (await queryRows(wh, rollupCheckSql(wh.database))).length;
  if (differing > 0) {
    logger.warn({ rows: differing }, 'kpi_daily rollup was off after an unclean stop; rebuilding it from calls');
    await rebuildRollups(wh);
  }
  return differing;
}
