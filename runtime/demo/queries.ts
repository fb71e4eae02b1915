/** The SQL the demo prints: the KPI summary it ends with, and examples to try on the same data. */

export const KPI_SUMMARY_SQL = `SELECT tenant, source,
  sum(k.attempts) AS calls, sum(k.answered) AS answered_calls,
  round(sum(k.answered) / greatest(sum(k.attempts), 1), 3) AS asr,
  round(sum(k.acd_seconds * k.answered) / greatest(sum(k.answered), 1), 1) AS acd,
  sum(k.talk_seconds) AS talk
FROM kpi_daily AS k GROUP BY tenant, source ORDER BY tenant, source`;

/**
 * Printed as `npx callhouse sql "<query>"`: one line each, no double quotes, `$` or backticks, so
 * that they run as printed in any POSIX shell.
 */
export const EXAMPLE_QUERIES: { what: string; sql: string }[] = [
  {
    what: 'calls and answer rate per tenant and vendor',
    sql: 'SELECT tenant, source, sum(attempts) AS calls, round(sum(answered) / sum(attempts), 3) AS asr FROM kpi_daily GROUP BY tenant, source ORDER BY tenant, source',
  },
  {
    what: 'how the calls ended, per vendor',
    sql: 'SELECT source, disposition, count() AS calls, sum(talk_seconds) AS talk_seconds FROM calls WHERE leg = 0 GROUP BY source, disposition ORDER BY source, calls DESC',
  },
  {
    what: 'the busiest hours, with their traffic in erlangs',
    sql: 'SELECT hour, tenant, attempts, answered, round(erlangs, 2) AS erlangs FROM calls_hourly ORDER BY attempts DESC, hour LIMIT 10',
  },
];

export const printedQuery = (sql: string): string => `npx callhouse sql "${sql}"`;
