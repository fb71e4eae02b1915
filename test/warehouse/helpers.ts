/** Reading a view as literal rows, the same way on the embedded engine and an HTTP server. */
import { expect } from 'vitest';
import { queryRows, type Warehouse } from '../../runtime/warehouse.js';
import { writeCalls } from '../../sinks/clickhouse/rollup.js';
import type { CallRecord } from '../../transforms/core/model.js';

/** The way the sink writes them (so that the kpi_daily rollup counts them), each batch with a fresh token. */
export async function insertCalls(wh: Warehouse, rows: CallRecord[]): Promise<void> {
  await writeCalls(wh, rows as unknown as Record<string, unknown>[]);
}

/** Column names of a relation, in order. */
export async function columnsOf(wh: Warehouse, relation: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(wh, `DESCRIBE TABLE ${wh.database}.${relation}`);
  return rows.map((r) => r.name);
}

/** All rows of a view as arrays in column order, sorted by the first `keys` columns. */
export async function rowsOf(wh: Warehouse, view: string, orderBy: string): Promise<unknown[][]> {
  const rows = await queryRows<Record<string, unknown>>(wh, `SELECT * FROM ${wh.database}.${view} ORDER BY ${orderBy}`);
  return rows.map((r) => Object.values(r));
}

/**
 * Compares row by row, cell by cell: a number expected is compared as a number (an HTTP server
 * sends UInt64 and Decimal as strings, the embedded engine as numbers) to 1e-9, a string exactly,
 * null as NULL (unknown), which no number or string matches.
 */
export function expectRows(actual: unknown[][], expected: unknown[][]): void {
  expect(actual.length, `row count; got ${JSON.stringify(actual)}`).toBe(expected.length);
  expected.forEach((exp, i) => {
    const got = actual[i]!;
    expect(got.length, `row ${i} width`).toBe(exp.length);
    exp.forEach((e, j) => {
      const where = `row ${i} ${JSON.stringify(exp.slice(0, 4))} column ${j}: got ${JSON.stringify(got[j])}`;
      if (e === null) {
        expect(got[j], where).toBeNull();
      } else if (typeof e === 'number') {
        expect(got[j], where).not.toBeNull();
        const n = Number(got[j]);
        expect(Number.isFinite(n), where).toBe(true);
        expect(n, where).toBeCloseTo(e, 9);
      } else {
        expect(String(got[j]), where).toBe(e);
      }
    });
  });
}
