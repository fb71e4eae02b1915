/** Printing results for people (tables) and programs (CSV, JSON). */
import Table from 'cli-table3';

export function formatRows(
  columns: string[],
  rows: Record<string, unknown>[],
  format: 'table' | 'csv' | 'json',
): string {
  if (format === 'json') return rows.map((r) => JSON.stringify(r)).join('\n');
  if (format === 'csv') {
    const cell = (v: unknown): string => {
      const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n');
  }
  const table = new Table({ head: columns, style: { head: [], border: [] } });
  for (const r of rows) table.push(columns.map((c) => display(r[c])));
  return table.toString();
}

function display(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
